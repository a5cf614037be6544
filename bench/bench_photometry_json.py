"""`tom-tui photometry TARGET --json` for one target's 100k points, as a whole process, next to
the way the JSON was built before (one dict per point, dumped whole) in the same run; also the
JSON building alone, in process, both ways.

Target: <= 0.25 s whole process. The two outputs are checked to be the same bytes.

Run: .venv/bin/python bench/bench_photometry_json.py            (100k points)
     .venv/bin/python bench/bench_photometry_json.py --quick    (10k points: checks that it runs)
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
from _common import TOM_TUI, machine_note, median_measured
from bench_photometry_read import points_for

from tom_tui.services.photometry.reads import photometry_of, points_json_pieces, points_to_json
from tom_tui.services.targets.operations import TargetService
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store

TARGET_S = 0.25
NAME = "SN bench"
OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS

# The JSON as it was built before: one dict per point, the whole list dumped at once.
OLD_PATH = f"""
import sys, orjson
from pathlib import Path
from tom_tui.store.store import Store
from tom_tui.services.photometry.reads import photometry_of, points_to_json
_, table = photometry_of(Store.open(Path(sys.argv[1])), {NAME!r})
sys.stdout.buffer.write(orjson.dumps(points_to_json(table), option={OPTIONS}) + b"\\n")
"""


def build(root: Path, points: int) -> Store:
    store = Store.init(root / "store")
    target = TargetService(store).add({"name": NAME, "ra": 10.0, "dec": 10.0}).target
    assert target.id is not None
    table = points_for(np.array([target.id]), points, np.random.default_rng(3), 1)
    with store.transaction() as tx:
        photometry_store.add_points(tx, 1, table)
    return store


def in_process(store: Store, runs: int) -> tuple[float, float]:
    _, table = photometry_of(store, NAME)
    old, new = [], []
    for _ in range(runs):
        start = time.perf_counter()
        orjson.dumps(points_to_json(table), option=OPTIONS)
        old.append(time.perf_counter() - start)
        start = time.perf_counter()
        b"".join(points_json_pieces(table))
        new.append(time.perf_counter() - start)
    return statistics.median(old), statistics.median(new)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10k points: checks that it runs")
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    points = 10_000 if arguments.quick else 100_000
    runs = 2 if arguments.quick else arguments.runs
    print(machine_note())
    with tempfile.TemporaryDirectory() as directory:
        store = build(Path(directory), points)
        new = [*TOM_TUI, "--store", str(store.root), "photometry", NAME, "--json"]
        old = [sys.executable, "-c", OLD_PATH, str(store.root)]
        outputs = [subprocess.run(a, check=True, capture_output=True).stdout for a in (new, old)]
        assert hashlib.sha256(outputs[0]).digest() == hashlib.sha256(outputs[1]).digest(), "outputs differ"
        floor, _ = median_measured([sys.executable, "-c", "import pyarrow, numpy, click, orjson"], runs)
        seconds, peak = median_measured(new, runs)
        old_seconds, old_peak = median_measured(old, runs)
        old_json, new_json = in_process(store, runs)
    print(
        f"photometry --json, {points:,} points: {seconds:.3f} s, peak {peak:.0f} MiB (target <= {TARGET_S} s)"
    )
    print(f"  before (a dict per point): {old_seconds:.3f} s, peak {old_peak:.0f} MiB")
    print(f"  floor, python -c 'import pyarrow, numpy, click, orjson': {floor:.3f} s")
    print(f"  JSON building alone: {new_json * 1000:.0f} ms (before: {old_json * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
