"""The vectorised summary agrees with a plain per-target loop on random data."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from tom_tui.processing.photometry.summary import summarise


def naive(rows: list[dict[str, object]]) -> dict[int, dict[str, object]]:
    result: dict[int, dict[str, object]] = {}
    for target in sorted({int(row["target_id"]) for row in rows}):  # type: ignore[call-overload]
        mine = sorted((row for row in rows if row["target_id"] == target), key=lambda row: row["mjd"])  # type: ignore[arg-type, return-value]
        detections = [row for row in mine if row["mag"] is not None]
        entry: dict[str, object] = {"n_points": len(mine), "n_detections": len(detections)}
        if detections:
            peak = min(detections, key=lambda row: (row["mag"], row["mjd"]))  # type: ignore[arg-type, return-value]
            entry.update(
                first=detections[0]["mjd"],
                last=detections[-1]["mjd"],
                last_mag=detections[-1]["mag"],
                peak=peak["mag"],
                peak_filter=peak["filter"],
            )
        result[target] = entry
    return result


def test_summary_matches_naive_loop() -> None:
    rng = np.random.default_rng(5)
    count = 3000
    mag = np.round(15 + rng.random(count) * 6, 2)  # ties in magnitude happen: the earliest wins
    mag[rng.random(count) < 0.3] = np.nan
    table = pa.table(
        {
            "target_id": pa.array(rng.integers(1, 40, count)),
            "mjd": pa.array(np.round(60000 + rng.random(count) * 300, 3)),
            "filter": pa.array(np.array(["g", "r", "i", "o"])[rng.integers(0, 4, count)]),
            "mag": pa.array(mag, mask=np.isnan(mag)),
        }
    )
    expected = naive(table.to_pylist())
    summary = {row["target_id"]: row for row in summarise(table).to_pylist()}
    assert set(summary) == set(expected)
    for target, want in expected.items():
        got = summary[target]
        assert got["n_points"] == want["n_points"] and got["n_detections"] == want["n_detections"]
        if want["n_detections"]:
            assert got["first_det_mjd"] == want["first"] and got["last_det_mjd"] == want["last"]
            assert got["last_det_mag"] == want["last_mag"] and got["peak_mag"] == want["peak"]
            assert got["peak_filter"] == want["peak_filter"]
        per_filter = sum(item["n_points"] for item in got["filters"])
        assert per_filter == want["n_points"]
        assert all(math.isfinite(item["peak_mag"]) for item in got["filters"] if item["n_detections"])
