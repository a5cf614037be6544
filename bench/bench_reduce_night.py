"""A night of 100 raw frames of 2k x 2k, from `frames import` to points on the light curves.

20 calibration frames (10 bias, 10 flats) and 80 science frames with ~200 stars each, one of them
a variable star that is a tom-tui target, are written by the simulator to a temporary folder
first (not timed). Then, timed: importing them into a new store (`import_frames`), and one
reduction run (`start_run`: masters, calibration, astrometry, photometry, the target's points
ingested) on local worker processes (default: one per core). Goal (issue 10): ≤ 60 s on this
2-core machine. ``--quick`` runs a tiny night (256 x 256, 12 frames) to check the script works.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _reduction import FULL, QUICK, new_store, timed_import, write_night

from tom_tui.services.photometry.reads import photometry_of
from tom_tui.services.reduction.runs import start_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny night, to check the script runs")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as folder:
        night = write_night(Path(folder) / "night", size)
        store = new_store(Path(folder) / "store", night)
        import_s = timed_import(store, night)
        started = time.perf_counter()
        record = start_run(store, catalog=night.catalog, workers=args.workers)
        run_s = time.perf_counter() - started
        _, points = photometry_of(store, "SIM Var 1", columns=["mjd"])
    total = import_s + run_s
    print(
        f"night of {night.frames} frames {size.side}x{size.side} ({size.calibration} calibration, "
        f"{size.science} science, ~{size.stars} stars): {total:.1f} s "
        f"(import {import_s:.1f} s, run {run_s:.1f} s on {record.workers} worker(s), {record.scheduler}); "
        f"frames {record.counts}; {points.num_rows} points on the variable's light curve"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
