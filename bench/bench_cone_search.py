"""10″ cone searches among 1M targets inside a running process (the TUI, a script).

Target (issue 2): <= 1 ms per cone. Peer in the same run: astropy's `SkyCoord.separation`
over all targets (what a naive implementation does), and numpy brute force over unit vectors.

Run: .venv/bin/python bench/bench_cone_search.py [--targets 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyarrow as pa
from _common import machine_note

from tom_tui.domain.sky import unit_vectors
from tom_tui.store.target_index import INDEX_SCHEMA, TargetIndex

TARGET_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--cones", type=int, default=2000)
    arguments = parser.parse_args()
    print(machine_note())
    rng = np.random.default_rng(1)
    count = arguments.targets
    ra = rng.uniform(0, 360, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, count)))
    empty_lists = pa.array([[]] * count, pa.list_(pa.string()))
    table = pa.table(
        {
            "id": pa.array(np.arange(1, count + 1), pa.int64()),
            "name": pa.array([f"T{i}" for i in range(count)]),
            "type": pa.array(["SIDEREAL"] * count),
            "ra": ra,
            "dec": dec,
            "scheme": pa.nulls(count, pa.string()),
            "aliases": empty_lists,
            "keys": empty_lists,
            "tags": empty_lists,
            "lists": empty_lists,
            "created": pa.nulls(count, pa.string()),
            "modified": pa.nulls(count, pa.string()),
        },
        schema=INDEX_SCHEMA,
    )
    index = TargetIndex(table)
    started = time.perf_counter()
    index.cone(10.0, 10.0, 10.0)
    build = time.perf_counter() - started
    centres = rng.integers(0, count, arguments.cones)
    timings = []
    found = 0
    for row in centres:
        # Centre near a real target so that cones are not all empty.
        started = time.perf_counter()
        found += len(index.cone(float(ra[row]) + 2e-4, float(dec[row]), 10.0))
        timings.append(time.perf_counter() - started)
    median_ms = statistics.median(timings) * 1000
    print(f"KD-tree build over {count:,} targets: {build:.2f} s (once per process)")
    print(
        f"cone 10″ among {count:,}: median {median_ms:.3f} ms, "
        f"p99 {np.percentile(timings, 99) * 1000:.3f} ms "
        f"({found} matches in {len(centres)} cones) target <= {TARGET_MS} ms: "
        f"{'PASS' if median_ms <= TARGET_MS else 'FAIL'}"
    )
    xyz = unit_vectors(ra, dec)
    started = time.perf_counter()
    for row in centres[:50]:
        centre = unit_vectors(np.array([ra[row]]), np.array([dec[row]]))[0]
        np.flatnonzero(xyz @ centre > np.cos(np.radians(10 / 3600)))
    brute = (time.perf_counter() - started) / 50 * 1000
    print(f"peer: numpy brute force over unit vectors: {brute:.2f} ms per cone")
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    catalogue = SkyCoord(ra * u.deg, dec * u.deg)
    started = time.perf_counter()
    for row in centres[:5]:
        inside = catalogue.separation(SkyCoord(ra[row] * u.deg, dec[row] * u.deg)) < 10 * u.arcsec
        found += int(inside.sum())
    naive = (time.perf_counter() - started) / 5 * 1000
    print(f"peer: astropy SkyCoord.separation over all: {naive:.1f} ms per cone")


if __name__ == "__main__":
    main()
