"""A project on a local Dask cluster: two worker processes against one, same catalogue.

A catalogue of ``--sources`` positions spread over ``--bins`` RA bins runs end to end (download
from the simulated survey, reduce, quality, find, one injection copy, histograms) into a fresh
store, once on a cluster of one worker process and once on two. Each cluster is started and
warmed up (the simulated sky built in every worker) before the clock starts, so the figure is the
run itself. Goal (issue 12): two workers ≥ 1.7× one. ``--quick`` runs 16 sources in 4 bins.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tom_tui.services.projects.run import run_project
from tom_tui.store.store import Store

PROJECT = """
[project]
name = "scaling"
[catalogue]
path = "catalogue.csv"
[download]
surveys = ["simulated"]
threads = 2
requests_per_second = 1000.0
[inject]
copies = 1
"""


def write_catalogue(folder: Path, sources: int, bins: int) -> Path:
    rng = np.random.default_rng(2026)
    ra = 150.0 + rng.integers(0, bins, sources) + rng.uniform(0.05, 0.95, sources)
    dec = rng.uniform(5.0, 30.0, sources)
    lines = ["ra,dec", *(f"{a:.6f},{d:.6f}" for a, d in zip(ra, dec, strict=True))]
    (folder / "catalogue.csv").write_text("\n".join(lines) + "\n")
    path = folder / "scaling.toml"
    path.write_text(PROJECT)
    return path


def _warm_up() -> int:
    from tom_tui.services import plugins

    rows: int = plugins.make_survey("simulated").fetch(10.0, 10.0).photometry.num_rows
    return rows


def timed_run(folder: Path, project: Path, workers: int) -> float:
    import distributed

    dask: Any = distributed
    store = Store.init(folder / f"store-{workers}")
    with (
        dask.LocalCluster(
            n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        dask.Client(cluster) as client,
    ):
        client.run(_warm_up)
        started = time.perf_counter()
        summary = run_project(store, project, scheduler=cluster.scheduler_address)
        elapsed = time.perf_counter() - started
    print(f"{workers} worker(s): {elapsed:.2f} s for {summary.sources} sources in {summary.bins} bins")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--sources", type=int, default=600)
    parser.add_argument("--bins", type=int, default=24)
    arguments = parser.parse_args()
    sources, bins = (16, 4) if arguments.quick else (arguments.sources, arguments.bins)
    os.environ.setdefault("TOM_TUI_NOW", "2021-03-01T00:00:00")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        project = write_catalogue(folder, sources, bins)
        one = timed_run(folder, project, 1)
        two = timed_run(folder, project, 2)
    print(f"speed-up with two workers: {one / two:.2f}× (goal ≥ 1.7×)")


if __name__ == "__main__":
    main()
