"""The same night reduced on a Dask local cluster of 2 worker processes, then of 1.

The night of ``bench_reduce_night.py`` (100 frames of 2k x 2k) is written once (not timed) and
imported into two fresh stores (not timed); each store's reduction run (`start_run`) is sent to
its own `dask.distributed.LocalCluster` of worker processes on 127.0.0.1, one thread each, started
before the clock (a user's `--scheduler tcp://...` cluster is already running too). The figure
is the run time with 1 worker over the run time with 2. Goal (issue 10): ≥ 1.7x on this 2-core
machine. ``--quick`` runs a tiny night to check the script works.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _reduction import FULL, QUICK, NightOnDisk, new_store, timed_import, write_night

from tom_tui.services.reduction.runs import start_run


def timed_run(root: Path, night: NightOnDisk, workers: int) -> tuple[float, dict[str, int]]:
    """Seconds of one run of the night on a local cluster of ``workers`` processes."""
    from dask.distributed import LocalCluster

    store = new_store(root, night)
    timed_import(store, night)
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        started = time.perf_counter()
        record = start_run(store, catalog=night.catalog, scheduler=cluster.scheduler_address)
        return time.perf_counter() - started, record.counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny night, to check the script runs")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as folder:
        night = write_night(Path(folder) / "night", size)
        two_s, two_counts = timed_run(Path(folder) / "two", night, 2)
        one_s, one_counts = timed_run(Path(folder) / "one", night, 1)
    print(
        f"night of {night.frames} frames {size.side}x{size.side}: 2 workers {two_s:.1f} s {two_counts}, "
        f"1 worker {one_s:.1f} s {one_counts}: speed-up {one_s / two_s:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
