"""Import a 100k-target TOM Toolkit CSV into an empty store, as a whole `tom-tui` process.

Target (issue 2): <= 5 s. Peer in the same run: the same rows written the naive TinyDB way
(one file, one `insert` per target, no locking or atomicity), timed on its first 2,000 rows and
extrapolated, since its cost grows with the file (MEASURED.md: ~3.1 s per insert at 100k).

Run: .venv/bin/python bench/bench_target_import.py [--targets 100000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import import_into_new_store, machine_note, write_target_csv

TARGET_S = 5.0


def naive_tinydb_rate(csv_path: Path, workdir: Path, rows: int = 2000) -> float:
    from tinydb import TinyDB

    database = TinyDB(workdir / "naive.json")
    started = time.perf_counter()
    with open(csv_path, newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= rows:
                break
            database.insert(row)
    return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print(machine_note())
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        csv_path = workdir / "targets.csv"
        write_target_csv(csv_path, arguments.targets)
        times = []
        for run in range(arguments.runs):
            store = workdir / f"store{run}"
            times.append(import_into_new_store(store, csv_path))
            shutil.rmtree(store)
        median = statistics.median(times)
        print(
            f"tom-tui target import, {arguments.targets:,} targets: median {median:.2f} s "
            f"({arguments.targets / median:,.0f} targets/s; runs {', '.join(f'{t:.2f}' for t in times)}) "
            f"target <= {TARGET_S} s: {'PASS' if median <= TARGET_S else 'FAIL'}"
        )
        rate = naive_tinydb_rate(csv_path, workdir)
        print(
            f"peer: naive TinyDB insert per row, first 2,000 rows: {rate:,.0f} rows/s "
            f"(slows as the file grows; 100k rows would take minutes)"
        )


if __name__ == "__main__":
    main()
