"""Opening a target with 100k photometry points in the TUI and painting its light curve (target: <= 0.3 s).

Headless (Textual's run_test, 110x34): time from pushing the target detail screen with the
light-curve tab until the tab has read, thinned and drawn the plot (plotext build included).
Median of 5 openings, each on a fresh screen.

Run: .venv/bin/python bench/bench_photometry_tui.py
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tom_tui.screens import target_detail
from tom_tui.screens.app import TomApp
from tom_tui.screens.registry import TargetTabEntry
from tom_tui.screens.target_data import LightCurvePanel
from tom_tui.services.data import products as data_service
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

POINTS = 100_000
RUNS = 5
TARGET_SECONDS = 0.3


def build(root: Path) -> Store:
    store = Store.init(root / "store")
    TargetService(store).add({"name": "SN 100k", "ra": 10.0, "dec": 20.0})
    rng = np.random.default_rng(2)
    mjd = np.sort(58000 + rng.random(POINTS) * 1500)
    bands = np.array(["ztfg", "ztfr", "ztfi"])[rng.integers(0, 3, POINTS)]
    mag = 17 + rng.random(POINTS) * 3
    lines = [f"{t:.6f},{b},{m:.3f},0.05" for t, b, m in zip(mjd, bands, mag, strict=True)]
    path = root / "lc.csv"
    path.write_text("mjd,filter,mag,magerr\n" + "\n".join(lines) + "\n")
    data_service.upload_data_product(store, "SN 100k", path, "photometry")
    return store


async def open_times(store: Store) -> list[float]:
    target_detail.TARGET_TABS[:] = [
        TargetTabEntry("Light curve", "tom_tui.screens.target_data:LightCurvePanel")
    ]
    app = TomApp(store, low_bandwidth=True)
    times: list[float] = []
    async with app.run_test(size=(110, 34)) as pilot:
        for _ in range(RUNS):
            start = time.perf_counter()
            await app.push_screen(target_detail.TargetDetailScreen(1))
            panel = app.screen.query_one(LightCurvePanel)
            while panel.data is None:
                await asyncio.sleep(0.002)
            panel.query_one("PlotextPlot").render()  # the paint: plotext builds the text
            times.append(time.perf_counter() - start)
            await app.pop_screen()
            await pilot.pause()
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder))
        times = asyncio.run(open_times(store))
    median = statistics.median(times)
    print(
        f"open a target with {POINTS:,} points and paint its light curve: median {median:.3f} s "
        f"({', '.join(f'{t:.3f}' for t in times)}) (target <= {TARGET_SECONDS} s): "
        f"{'OK' if median <= TARGET_SECONDS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
