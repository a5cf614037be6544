"""`tom-tui sql` as whole processes (targets: <= 1 s each).

1. Points per filter over 10M stored points (10,000 targets x 1,000 points, the store of
   bench_photometry_read.py).
2. Every target with its latest detection, for 100k targets (imported from a TOM Toolkit CSV) with
   10 points each.

Peers in the same run: pandas reading the same Parquet files and grouping, and the floor of
starting Python and importing duckdb.

Run: .venv/bin/python bench/bench_sql.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import TOM_TUI, import_into_new_store, machine_note, time_process, write_target_csv
from bench_photometry_read import build as build_points_store
from bench_photometry_read import points_for

from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store

TARGET_S = 1.0
PER_FILTER = "SELECT filter, count(*) AS n FROM photometry GROUP BY filter ORDER BY filter"
LATEST = (
    "SELECT t.name, l.mjd, l.mag, l.filter FROM targets t JOIN ("
    "SELECT target_id, max(mjd) AS mjd, arg_max(mag, mjd) AS mag, arg_max(filter, mjd) AS filter "
    "FROM photometry WHERE mag IS NOT NULL GROUP BY target_id) l ON l.target_id = t.id"
)


def sql_seconds(store: Path, query: str, runs: int) -> float:
    median, _ = time_process([*TOM_TUI, "--store", str(store), "sql", "--csv", query], runs=runs)
    return median


def pandas_seconds(store: Path, work: str) -> float:
    code = (
        "import pandas as pd, time\n"
        f"t = time.perf_counter(); p = pd.read_parquet({str(store / 'photometry')!r}, columns="
        "['target_id', 'mjd', 'mag', 'filter'])\n"
        f"{work}\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def floor_seconds() -> float:
    median, _ = time_process([sys.executable, "-c", "import duckdb"], runs=3)
    return median


def targets_with_points(folder: Path, count: int) -> Path:
    csv_path = folder / "targets.csv"
    write_target_csv(csv_path, count)
    root = folder / "targets_store"
    import_into_new_store(root, csv_path)
    store = Store.open(root)
    rng = np.random.default_rng(3)
    ids = np.arange(1, count + 1)
    with store.transaction() as tx:
        for bucket in range(photometry_store.BUCKETS):
            in_bucket = ids[ids % photometry_store.BUCKETS == bucket]
            if in_bucket.size:
                photometry_store.add_points(tx, 1, points_for(in_bucket, 10, rng, 1))
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    quick = parser.parse_args().quick
    runs = 1 if quick else 5
    print(machine_note())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if quick:
            import bench_photometry_read

            bench_photometry_read.TARGETS, bench_photometry_read.POINTS_PER_TARGET = 100, 100
        points_store = build_points_store(folder).root
        points = sql_seconds(points_store, PER_FILTER, runs)
        points_peer = pandas_seconds(points_store, "p.groupby('filter').size()")
        many = targets_with_points(folder, 1_000 if quick else 100_000)
        latest = sql_seconds(many, LATEST, runs)
        latest_peer = pandas_seconds(
            many, "d = p.dropna(subset=['mag']).sort_values('mjd').groupby('target_id').tail(1)"
        )
        floor = floor_seconds()
    size = "quick sizes" if quick else "10M points / 100k targets"
    print(f"[{size}] floor (python -c 'import duckdb'): {floor:.3f} s")
    print(
        f"points per filter: {points:.3f} s whole process (target <= {TARGET_S} s) "
        f"{'OK' if points <= TARGET_S else 'MISSED'}; pandas read + groupby: {points_peer:.3f} s"
    )
    print(
        f"targets x latest detection: {latest:.3f} s whole process (target <= {TARGET_S} s) "
        f"{'OK' if latest <= TARGET_S else 'MISSED'}; pandas read + sort + groupby: {latest_peer:.3f} s"
    )


if __name__ == "__main__":
    main()
