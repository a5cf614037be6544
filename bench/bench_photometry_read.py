"""Reading one target's photometry out of 10M stored points (target: <= 20 ms).

Builds a store holding 10,000 targets x 1,000 points = 10M points (compacted bucket files, plus
one recent upload's delta file for every tenth target), then times `target_photometry` (all
columns, sorted by MJD) for 200 random targets, each read opening the files afresh.

Run: .venv/bin/python bench/bench_photometry_read.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from tom_tui.domain.photometry import STORED_SCHEMA
from tom_tui.domain.units import mag_to_flux_array
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store

TARGETS = 10_000
POINTS_PER_TARGET = 1_000
READS = 200
TARGET_MS = 20.0


def points_for(target_ids: np.ndarray, per_target: int, rng: np.random.Generator, upload_id: int) -> pa.Table:
    count = len(target_ids) * per_target
    target = np.repeat(target_ids, per_target)
    mjd = 58000 + rng.random(count) * 2000
    mag = 16 + rng.random(count) * 5
    detected = rng.random(count) > 0.1
    bands = np.array(["ztfg", "ztfr", "ztfi"])[rng.integers(0, 3, count)]
    columns = {
        "target_id": pa.array(target),
        "mjd": pa.array(mjd),
        "filter": pa.array(bands),
        "mag": pa.array(mag, mask=~detected),
        "magerr": pa.array(np.full(count, 0.05), mask=~detected),
        "limit": pa.array(mag + 1, mask=detected),
        "flux": pa.array(mag_to_flux_array(mag)),
        "fluxerr": pa.array(np.full(count, 3.0)),
        "magsys": pa.array(["ab"] * count),
        "telescope": pa.array(["P48"] * count),
        "instrument": pa.array(["ZTF"] * count),
        "source": pa.array(["ZTF forced photometry"] * count),
        "extra": pa.nulls(count, pa.string()),
        "negative_subtraction": pa.array(np.zeros(count, dtype=bool)),
        "upload_id": pa.array(np.full(count, upload_id)),
        "product_id": pa.nulls(count, pa.int64()),
    }
    return pa.table(columns, schema=STORED_SCHEMA)


def build(root: Path) -> Store:
    store = Store.init(root / "store")
    rng = np.random.default_rng(7)
    ids = np.arange(1, TARGETS + 1)
    with store.transaction() as tx:
        for bucket in range(photometry_store.BUCKETS):
            in_bucket = ids[ids % photometry_store.BUCKETS == bucket]
            # Many targets of one bucket in one upload: the store writes the bucket's main file.
            photometry_store.add_points(tx, 1, points_for(in_bucket, POINTS_PER_TARGET, rng, 1))
        for target_id in ids[::10]:
            # One target per upload: a delta file.
            recent = points_for(np.array([target_id]), 20, rng, 2)
            photometry_store.add_points(tx, 2, recent)
    return store


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        store = build(Path(folder))
        built = time.perf_counter() - start
        rng = np.random.default_rng(11)
        chosen = rng.integers(1, TARGETS + 1, READS)
        timings = []
        rows = 0
        with store.read() as view:
            for target_id in chosen:
                begin = time.perf_counter()
                table = target_photometry(view, int(target_id))
                timings.append((time.perf_counter() - begin) * 1000)
                rows += table.num_rows
        size = sum(path.stat().st_size for path in (Path(folder) / "store" / "photometry").rglob("*.parquet"))
    median = statistics.median(timings)
    p95 = float(np.percentile(timings, 95))
    print(
        f"store: {TARGETS * POINTS_PER_TARGET:,} points in {photometry_store.BUCKETS} buckets "
        f"({size / 1e6:.0f} MB on disk), built in {built:.1f} s"
    )
    print(
        f"one target's points ({rows / READS:.0f} on average), {READS} random targets: "
        f"median {median:.1f} ms, p95 {p95:.1f} ms (target <= {TARGET_MS:.0f} ms): "
        f"{'OK' if median <= TARGET_MS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
