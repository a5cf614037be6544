"""Flagging bad photometry points by a query, and painting a light curve that has flagged points.

Targets: flagging 100k points by a query (`mag > 18.5` over a 200k-point light curve, half of
it) <= 1 s, in the service, one transaction (summary refresh included); then the TUI paints the
target's light curve (100k points shown, 100k flagged left out) <= 0.3 s, median of 5 openings as
bench_photometry_tui.py measures it (compare with its figure for 100k points without flags).

Run: .venv/bin/python bench/bench_flags.py          (--quick: 2,000 points, to check it runs)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_photometry_tui import open_times

from tom_tui.services.data import products as data_service
from tom_tui.services.photometry.flags import PointSelection, flag_points
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

POINTS = 200_000
FLAG_TARGET_SECONDS = 1.0
PAINT_TARGET_SECONDS = 0.3
# Magnitudes are uniform in 17-20: this condition holds for half of the points.
QUERY = "mag > 18.5"


def build(root: Path, points: int) -> Store:
    store = Store.init(root / "store")
    TargetService(store).add({"name": "SN flagged", "ra": 10.0, "dec": 20.0})
    rng = np.random.default_rng(3)
    mjd = np.sort(58000 + rng.random(points) * 1500)
    bands = np.array(["ztfg", "ztfr", "ztfi"])[rng.integers(0, 3, points)]
    mag = 17 + rng.random(points) * 3
    lines = [f"{t:.6f},{b},{m:.3f},0.05,P48,ZTF" for t, b, m in zip(mjd, bands, mag, strict=True)]
    path = root / "lc.csv"
    path.write_text("mjd,filter,mag,magerr,telescope,instrument\n" + "\n".join(lines) + "\n")
    data_service.upload_data_product(store, "SN flagged", path, "photometry")
    return store


def verdict(value: float, target: float) -> str:
    return "OK" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 points: check that the script runs")
    points = 2_000 if parser.parse_args().quick else POINTS
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder), points)
        start = time.perf_counter()
        report = flag_points(store, 1, PointSelection(where=QUERY), "bench", user="bench")
        flag_seconds = time.perf_counter() - start
        times = asyncio.run(open_times(store))
    median = statistics.median(times)
    print(
        f"flag {report.changed:,} of {points:,} points by `{QUERY}`: {flag_seconds:.3f} s "
        f"(target <= {FLAG_TARGET_SECONDS} s): {verdict(flag_seconds, FLAG_TARGET_SECONDS)}"
    )
    print(
        f"paint the light curve with {report.changed:,} points flagged: median {median:.3f} s "
        f"({', '.join(f'{t:.3f}' for t in times)}) (target <= {PAINT_TARGET_SECONDS} s): "
        f"{verdict(median, PAINT_TARGET_SECONDS)}"
    )


if __name__ == "__main__":
    main()
