"""Photometry ingest: a 1M-row TOM Toolkit CSV uploaded into a store (target: >= 1,000,000 points/s).

Measures the whole `tom-tui data upload` path in-process: CSV parse, validation, conversion to
flux, dedup check, copy of the file into the store, Parquet write, summary refresh, commit. For
comparison, in the same run, the way a Django TOM stores photometry: read the CSV row by row and
insert one database row per point, each in its own transaction (SQLite, as TOM Toolkit's default).

Run: .venv/bin/python bench/bench_photometry_ingest.py
"""

from __future__ import annotations

import csv
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tom_tui.services.data import products as data_service
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

ROWS = 1_000_000
BASELINE_ROWS = 1_000
RUNS = 3
TARGET_RATE = 1_000_000
CPU_SECONDS: list[float] = []  # process CPU time of each run (all threads): a load-independent figure


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    mjd = np.sort(58000 + rng.random(rows) * 3000)
    filters = np.array(["g", "r", "i"])[rng.integers(0, 3, rows)]
    mag = 17 + rng.random(rows) * 4
    error = 0.01 + rng.random(rows) * 0.2
    limit_rows = rng.random(rows) < 0.1
    mag_text = np.char.mod("%.3f", mag)
    mag_text[limit_rows] = ""
    error_text = np.char.mod("%.3f", error)
    error_text[limit_rows] = ""
    limit_text = np.where(limit_rows, np.char.mod("%.2f", mag + 1), "")
    lines = np.char.add(np.char.mod("%.6f", mjd), ",")
    for column in (filters, mag_text, error_text, limit_text):
        lines = np.char.add(np.char.add(lines, column), ",")
    lines = np.char.add(lines, "ZTF")
    path.write_text("time,filter,magnitude,error,limit,source\n" + "\n".join(lines.tolist()) + "\n")


def ingest_once(root: Path, csv_path: Path, run: int) -> float:
    store = Store.init(root / f"store{run}")
    TargetService(store).add({"name": "SN bench", "ra": 10.0, "dec": 10.0})
    start = time.perf_counter()
    cpu_start = time.process_time()
    outcome = data_service.upload_data_product(store, "SN bench", csv_path, "photometry")
    elapsed = time.perf_counter() - start
    CPU_SECONDS.append(time.process_time() - cpu_start)
    assert outcome.ingest is not None and outcome.ingest.added == ROWS
    return elapsed


def row_by_row(root: Path, csv_path: Path) -> float:
    """One INSERT per point, each committed on its own (Django's default autocommit)."""
    database = sqlite3.connect(root / "django_like.sqlite3", isolation_level=None)
    database.execute(
        "CREATE TABLE reduceddatum (id INTEGER PRIMARY KEY, target_id INTEGER, timestamp REAL, "
        "data_type TEXT, source_name TEXT, value TEXT)"
    )
    start = time.perf_counter()
    with open(csv_path) as handle:
        reader = csv.DictReader(handle)
        for count, row in enumerate(reader):
            if count == BASELINE_ROWS:
                break
            value = {
                "filter": row["filter"],
                "magnitude": row["magnitude"] and float(row["magnitude"]),
                "error": row["error"] and float(row["error"]),
                "limit": row["limit"] and float(row["limit"]),
            }
            database.execute(
                "INSERT INTO reduceddatum (target_id, timestamp, data_type, source_name, value) "
                "VALUES (?, ?, ?, ?, ?)",
                (1, float(row["time"]), "photometry", row["source"], repr(value)),
            )
    elapsed = time.perf_counter() - start
    database.close()
    return BASELINE_ROWS / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        csv_path = root / "photometry_1M.csv"
        write_csv(csv_path, ROWS)
        size_mb = csv_path.stat().st_size / 1e6
        times = [ingest_once(root, csv_path, run) for run in range(RUNS)]
        median = statistics.median(times)
        rate = ROWS / median
        baseline = row_by_row(root, csv_path)
    print(f"CSV: {ROWS:,} rows, {size_mb:.1f} MB")
    print(f"tom-tui upload: median {median:.3f} s over {RUNS} runs ({', '.join(f'{t:.3f}' for t in times)})")
    print(
        f"  -> {rate:,.0f} points/s (target >= {TARGET_RATE:,}): {'OK' if rate >= TARGET_RATE else 'MISSED'}"
    )
    print(
        f"row-by-row baseline (one committed INSERT per point, {BASELINE_ROWS:,} rows): "
        f"{baseline:,.0f} points/s"
    )
    print(f"  -> tom-tui is {rate / baseline:,.0f}x faster")
    print(
        f"best run {min(times):.3f} s = {ROWS / min(times):,.0f} points/s; CPU time per run (all threads) "
        f"median {statistics.median(CPU_SECONDS):.3f} s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
