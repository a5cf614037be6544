"""Per-target light-curve summaries: counts, first/last/peak detections, overall and per filter.

Computed with numpy over any number of targets at once, so the store can refresh the summaries
of every target an operation touched in the same transaction.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry import FILTER_SUMMARY_TYPE, SUMMARY_SCHEMA


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in an already sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))


def _group_stats(keys: np.ndarray, mjd: np.ndarray, mag: np.ndarray) -> dict[str, np.ndarray]:
    """Counts and the rows of first/last/peak detection per key. Rows must be sorted by MJD.

    One stable sort by key keeps time order inside each group, so firsts and lasts are the ends
    of runs: O(n) after the sort, no per-group Python (1M points summarise in ~0.1 s).
    """
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = _group_starts(sorted_keys)
    ends = np.append(starts[1:], len(sorted_keys))
    size = len(starts)
    stats: dict[str, np.ndarray] = {
        "key": sorted_keys[starts],
        "n_points": (ends - starts).astype(np.int64),
        "first_mjd": mjd[order[starts]],
        "last_mjd": mjd[order[ends - 1]],
        "n_detections": np.zeros(size, dtype=np.int64),
        "first_det": np.full(size, -1, dtype=np.int64),
        "last_det": np.full(size, -1, dtype=np.int64),
        "peak": np.full(size, -1, dtype=np.int64),
    }
    sorted_mag = mag[order]
    detected = np.flatnonzero(~np.isnan(sorted_mag))
    if len(detected) == 0:
        return stats
    group_of = np.searchsorted(starts, detected, side="right") - 1
    stats["n_detections"] = np.bincount(group_of, minlength=size).astype(np.int64)
    det_starts = _group_starts(group_of)
    det_ends = np.append(det_starts[1:], len(detected))
    groups = group_of[det_starts]
    stats["first_det"][groups] = order[detected[det_starts]]
    stats["last_det"][groups] = order[detected[det_ends - 1]]
    det_mag = sorted_mag[detected]
    brightest = np.minimum.reduceat(det_mag, det_starts)
    at_peak = np.flatnonzero(det_mag == np.repeat(brightest, det_ends - det_starts))
    first_at_peak = at_peak[_group_starts(group_of[at_peak])]
    stats["peak"][group_of[first_at_peak]] = order[detected[first_at_peak]]
    return stats


def _pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    picked = np.full(len(rows), np.nan)
    valid = rows >= 0
    picked[valid] = values[rows[valid]]
    return picked


def _nullable(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=np.isnan(values), type=pa.float64())


def summarise(points: pa.Table) -> pa.Table:
    """One summary row per target present in ``points`` (stored photometry schema)."""
    if points.num_rows == 0:
        return SUMMARY_SCHEMA.empty_table()
    mjd = np.asarray(points.column("mjd").to_numpy(), dtype=np.float64)
    if len(mjd) > 1 and not np.all(mjd[1:] >= mjd[:-1]):
        # Timsort: nearly free when the input is a few sorted runs (stored + new points).
        points = points.take(pa.array(np.argsort(mjd, kind="stable")))
        mjd = np.asarray(points.column("mjd").to_numpy(), dtype=np.float64)
    target = np.asarray(points.column("target_id").to_numpy(), dtype=np.int64)
    mag = np.asarray(points.column("mag").to_numpy(zero_copy_only=False), dtype=np.float64)
    encoded = pc.dictionary_encode(pc.fill_null(points.column("filter"), "")).combine_chunks()
    filter_names: list[str] = encoded.dictionary.to_pylist()
    filter_code = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)

    def filter_of(rows: np.ndarray) -> list[str | None]:
        return [filter_names[filter_code[row]] if row >= 0 else None for row in rows]

    overall = _group_stats(target, mjd, mag)
    width = len(filter_names)
    per_filter = _group_stats(target * width + filter_code, mjd, mag)
    grouped = _per_filter_rows(per_filter, filter_names, mjd, mag)
    return pa.table(
        {
            "target_id": pa.array(overall["key"], type=pa.int64()),
            "n_points": pa.array(overall["n_points"]),
            "n_detections": pa.array(overall["n_detections"]),
            "first_mjd": pa.array(overall["first_mjd"]),
            "last_mjd": pa.array(overall["last_mjd"]),
            "first_det_mjd": _nullable(_pick(mjd, overall["first_det"])),
            "first_det_mag": _nullable(_pick(mag, overall["first_det"])),
            "first_det_filter": pa.array(filter_of(overall["first_det"]), type=pa.string()),
            "last_det_mjd": _nullable(_pick(mjd, overall["last_det"])),
            "last_det_mag": _nullable(_pick(mag, overall["last_det"])),
            "last_det_filter": pa.array(filter_of(overall["last_det"]), type=pa.string()),
            "peak_mag": _nullable(_pick(mag, overall["peak"])),
            "peak_mjd": _nullable(_pick(mjd, overall["peak"])),
            "peak_filter": pa.array(filter_of(overall["peak"]), type=pa.string()),
            "filters": pa.array(
                [grouped.get(int(key), []) for key in overall["key"]], type=pa.list_(FILTER_SUMMARY_TYPE)
            ),
        },
        schema=SUMMARY_SCHEMA,
    )


def _per_filter_rows(
    per_filter: dict[str, np.ndarray], filter_names: list[str], mjd: np.ndarray, mag: np.ndarray
) -> dict[int, list[dict[str, object]]]:
    """The ``filters`` list of each target: one summary row per filter it was observed in."""
    width = len(filter_names)
    filter_target = per_filter["key"] // width
    filter_name = [filter_names[code] for code in per_filter["key"] % width]
    filter_rows = [
        {
            "filter": filter_name[i],
            "n_points": int(per_filter["n_points"][i]),
            "n_detections": int(per_filter["n_detections"][i]),
            "first_det_mjd": _maybe(mjd, per_filter["first_det"][i]),
            "first_det_mag": _maybe(mag, per_filter["first_det"][i]),
            "last_det_mjd": _maybe(mjd, per_filter["last_det"][i]),
            "last_det_mag": _maybe(mag, per_filter["last_det"][i]),
            "peak_mag": _maybe(mag, per_filter["peak"][i]),
            "peak_mjd": _maybe(mjd, per_filter["peak"][i]),
        }
        for i in range(len(filter_target))
    ]
    grouped: dict[int, list[dict[str, object]]] = {}
    for target_id, row in zip(filter_target.tolist(), filter_rows, strict=True):
        grouped.setdefault(target_id, []).append(row)
    return grouped


def _maybe(values: np.ndarray, row: np.integer | int) -> float | None:
    return float(values[int(row)]) if row >= 0 else None
