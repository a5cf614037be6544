"""Ingest of ZTF Avro alert files into a store of 100k targets: alerts/s and photometry points/s.

Builds its own data in a temporary directory: a store with 100,000 targets, and 4,000 ZTF alerts
made from a real ZTF packet (cutouts and 34 previous candidates included) with new object ids,
half of them placed within 0.5″ of stored targets (so duplicate protection merges them) and half
at new positions. Each run ingests all files into a fresh copy of the store, end to end (read,
duplicate matching by name and position, targets, photometry), in one transaction.

Goal: ≥ 2,000 alerts/s including duplicate matching against 100k targets, half of the alerts
merging into stored targets. Compared in the same run with writing whole files (every touched
shard and the whole index rewritten, as before shard logs and the index delta).

Run: .venv/bin/python bench/bench_alert_ingest.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import fastavro
import numpy as np

from tom_tui.adapters.alerts.avro import default_workers, read_alerts
from tom_tui.domain.target import Target
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.targets.operations import OnDuplicate, add_targets
from tom_tui.store import targets as target_store
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

TARGETS = 100_000
ALERTS = 4_000
ALERTS_PER_FILE = 100
RUNS = 3
TEMPLATE = Path(__file__).resolve().parent.parent / "tests" / "data" / "alerts" / "fink_ZTF19acihgng.avro"


@contextlib.contextmanager
def whole_file_writes() -> Iterator[None]:
    """Every change rewrites its shards and the whole index (the path before appending)."""
    saved = target_store.LOG_FROM_BYTES, target_store.DELTA_FROM_ROWS
    target_store.LOG_FROM_BYTES = target_store.DELTA_FROM_ROWS = 1 << 62
    try:
        yield
    finally:
        target_store.LOG_FROM_BYTES, target_store.DELTA_FROM_ROWS = saved


def build_store(root: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ra = rng.uniform(0.0, 360.0, TARGETS)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, TARGETS)))
    store = Store.init(root)
    targets = [Target(name=f"BENCH-{i:06d}", ra=float(ra[i]), dec=float(dec[i])) for i in range(TARGETS)]
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        add_targets(repo, targets, OnDuplicate.SKIP, 0.01)
        repo.flush()
    return ra, dec


def build_alerts(folder: Path, ra: np.ndarray, dec: np.ndarray, rng: np.random.Generator) -> None:
    with open(TEMPLATE, "rb") as handle:
        reader = fastavro.reader(handle)
        schema = fastavro.parse_schema(reader.writer_schema)
        template = next(iter(reader))
    on_targets = rng.choice(TARGETS, ALERTS // 2, replace=False)
    records = []
    for k in range(ALERTS):
        record = copy.deepcopy(template)
        if k < ALERTS // 2:
            row = on_targets[k]
            alert_ra = float(ra[row] + rng.normal(0.0, 0.3 / 3600.0))
            alert_dec = float(np.clip(dec[row] + rng.normal(0.0, 0.3 / 3600.0), -90.0, 90.0))
        else:
            alert_ra, alert_dec = (
                float(rng.uniform(0.0, 360.0)),
                float(np.degrees(np.arcsin(rng.uniform(-1, 1)))),
            )
        record["objectId"] = f"ZTF26b{k:06d}"
        record["candid"] = 3_000_000_000_000_000_000 + k
        record["candidate"]["ra"], record["candidate"]["dec"] = alert_ra % 360.0, alert_dec
        record["candidate"]["jd"] += k * 1e-4
        records.append(record)
    folder.mkdir()
    for start in range(0, ALERTS, ALERTS_PER_FILE):
        with open(folder / f"alerts-{start // ALERTS_PER_FILE:04d}.avro", "wb") as handle:
            fastavro.writer(handle, schema, records[start : start + ALERTS_PER_FILE])


def time_ingest(base: Path, label: str) -> None:
    """Ingest every alert file into fresh copies of the store; print the median rate."""
    read_times, total_times, points = [], [], 0
    for run in range(RUNS):
        copy_root = base / f"store-{run}"
        shutil.copytree(base / "store", copy_root)
        store = Store.open(copy_root)
        started = time.perf_counter()
        batch = read_alerts([base / "alerts"], workers=default_workers())
        read_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = ingest_alert_files(store, [base / "alerts"], workers=default_workers())
        total_times.append(time.perf_counter() - started)
        points = report.photometry_points
        assert report.alerts == ALERTS and report.updated == ALERTS // 2, report.to_json()
        del batch
        shutil.rmtree(copy_root)
    total = statistics.median(total_times)
    read = statistics.median(read_times)
    workers = default_workers()
    print(f"{label}: read only:      {ALERTS / read:8.0f} alerts/s ({read:.2f} s, {workers} process(es))")
    print(
        f"{label}: ingest (total): {ALERTS / total:8.0f} alerts/s, {points / total:8.0f} photometry points/s "
        f"({total:.2f} s for {ALERTS} alerts, {points} points, half merging; median of {RUNS})"
    )


def main() -> int:
    global TARGETS, ALERTS, RUNS
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the script runs")
    if parser.parse_args().quick:
        TARGETS, ALERTS, RUNS = 3_000, 200, 1
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        started = time.perf_counter()
        ra, dec = build_store(base / "store", rng)
        build_alerts(base / "alerts", ra, dec, rng)
        print(
            f"setup: {TARGETS} targets, {ALERTS} alerts in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        with whole_file_writes():
            time_ingest(base, "whole-file writes (before)")
        time_ingest(base, "appending (now)          ")
        print(f"target: >= 2000 alerts/s including duplicate matching against {TARGETS:,} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
