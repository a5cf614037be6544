"""The scale table: what everyday commands cost as the store grows, so growth is visible at a glance.

Targets: 1k, 10k, 100k, 1M targets (a TOM Toolkit CSV imported by `tom-tui target import`), each
timed as whole processes: `target import` (into an empty store), `target add`, `target show
--json`, a 10″ `target list --cone`, `target list --json` (with its peak memory), `data upload`
of a 1,000-point CSV to one target, and that target's `photometry --json`.

Points: 1M, 10M, 100M points over 10,000 targets, written bucket by bucket through the store's
own writer (`store.photometry.add_points`, the one the upload path ends in), then `data upload`
of 1,000 points, one target's read in process (median of 50 random targets, files opened afresh)
and `photometry --json` for one target as a whole process. 100M points take ~3.5 GB of disk and a
few minutes to write; `--max-points` stops earlier.

Run: .venv/bin/python bench/bench_scale.py            (the whole table; ~30 min on 2 cores)
     .venv/bin/python bench/bench_scale.py --quick    (1k and 10k targets, 1M points: checks it runs)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _common import (
    TOM_TUI,
    import_into_new_store,
    machine_note,
    median_measured,
    run_measured,
    write_target_csv,
)
from bench_photometry_ingest import write_csv as write_photometry_csv
from bench_photometry_read import points_for

from tom_tui.services.photometry.reads import target_photometry
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store

TARGET_COUNTS = [1_000, 10_000, 100_000, 1_000_000]
POINT_COUNTS = [1_000_000, 10_000_000, 100_000_000]
POINT_TARGETS = 10_000
UPLOAD_POINTS = 1_000
Row = dict[str, str]


def tom(store: Path, *arguments: str) -> list[str]:
    return [*TOM_TUI, "--store", str(store), *arguments]


def timed(label: str, row: Row, measure: Callable[[], tuple[float, float]], memory: bool = False) -> None:
    seconds, peak = measure()
    row[label] = f"{seconds:.3f} s" + (f" / {peak:.0f} MiB" if memory else "")
    print(f"  {label}: {row[label]}", flush=True)


def target_row(count: int, workdir: Path, runs: int, upload_csv: Path) -> Row:
    """One line of the table for a store of ``count`` targets."""
    targets_csv, store = workdir / "targets.csv", workdir / "store"
    write_target_csv(targets_csv, count)
    row: Row = {"size": f"{count:,} targets"}
    print(row["size"], flush=True)
    timed("import", row, lambda: (import_into_new_store(store, targets_csv), 0.0))
    numbers = iter(range(10**6))

    def add() -> tuple[float, float]:
        results = [
            run_measured(tom(store, "target", "add", f"SCALE{next(numbers)}", "--ra", "12.5", "--dec", "-30"))
            for _ in range(runs)
        ]
        return statistics.median(t for t, _ in results), 0.0

    timed("add", row, add)
    timed("show", row, lambda: median_measured(tom(store, "target", "show", "AT20260000007", "--json"), runs))
    cone = tom(store, "target", "list", "--cone", "180", "0", "10", "--json")
    timed("cone", row, lambda: median_measured(cone, runs))
    list_runs = 1 if count >= 1_000_000 else runs
    timed(
        "list", row, lambda: median_measured(tom(store, "target", "list", "--json"), list_runs), memory=True
    )
    upload = tom(store, "data", "upload", "AT20260000003", str(upload_csv), "--type", "photometry")
    timed("upload", row, lambda: run_measured(upload))
    read = tom(store, "photometry", "AT20260000003", "--json")
    timed("photometry --json", row, lambda: median_measured(read, runs))
    return row


def write_points(store: Store, points: int) -> None:
    """``points`` points over :data:`POINT_TARGETS` targets, one transaction per bucket."""
    ids = np.arange(1, POINT_TARGETS + 1)
    per_target = points // POINT_TARGETS
    rng = np.random.default_rng(11)
    for bucket in range(photometry_store.BUCKETS):
        in_bucket = ids[ids % photometry_store.BUCKETS == bucket]
        with store.transaction() as tx:
            photometry_store.add_points(tx, 1, points_for(in_bucket, per_target, rng, 1))


def read_in_process(store: Store, reads: int = 50) -> float:
    chosen = np.random.default_rng(5).integers(1, POINT_TARGETS + 1, reads)
    timings = []
    with store.read() as view:
        for target_id in chosen:
            start = time.perf_counter()
            target_photometry(view, int(target_id))
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def point_row(points: int, workdir: Path, runs: int, upload_csv: Path) -> Row:
    """One line of the table for a store of ``points`` points."""
    store_path = workdir / "store"
    write_target_csv(workdir / "targets.csv", POINT_TARGETS)
    import_into_new_store(store_path, workdir / "targets.csv")
    store = Store.open(store_path)
    row: Row = {"size": f"{points:,} points"}
    print(row["size"], flush=True)
    started = time.perf_counter()
    write_points(store, points)
    size = sum(p.stat().st_size for p in (store_path / "photometry").rglob("*.parquet")) / 2**30
    print(f"  written in {time.perf_counter() - started:.0f} s, {size:.2f} GiB of Parquet", flush=True)
    upload = tom(store_path, "data", "upload", "AT20260000003", str(upload_csv), "--type", "photometry")
    timed("upload", row, lambda: run_measured(upload))
    row["read"] = f"{read_in_process(store) * 1000:.1f} ms in process"
    print(f"  read: {row['read']}", flush=True)
    timed(
        "photometry --json",
        row,
        lambda: median_measured(tom(store_path, "photometry", "AT20260000042", "--json"), runs),
    )
    return row


def print_table(rows: list[Row]) -> None:
    columns = ["import", "add", "show", "cone", "list", "upload", "read", "photometry --json"]
    print("\n| store | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        print(f"| {row['size']} | " + " | ".join(row.get(column, "—") for column in columns) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1k and 10k targets, 1M points")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-points", type=int, default=POINT_COUNTS[-1])
    arguments = parser.parse_args()
    target_counts = TARGET_COUNTS[:2] if arguments.quick else TARGET_COUNTS
    point_counts = (
        POINT_COUNTS[:1] if arguments.quick else [p for p in POINT_COUNTS if p <= arguments.max_points]
    )
    print(machine_note())
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as directory:
        upload_csv = Path(directory) / "upload.csv"
        write_photometry_csv(upload_csv, UPLOAD_POINTS)
        for count in target_counts:
            workdir = Path(directory) / f"t{count}"
            workdir.mkdir()
            rows.append(target_row(count, workdir, arguments.runs, upload_csv))
            shutil.rmtree(workdir)
        for points in point_counts:
            workdir = Path(directory) / f"p{points}"
            workdir.mkdir()
            rows.append(point_row(points, workdir, arguments.runs, upload_csv))
            shutil.rmtree(workdir)
    print_table(rows)


if __name__ == "__main__":
    main()
