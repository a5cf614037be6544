"""Deciding which incoming photometry points are already stored.

Two policies, chosen per upload:

* same exposure (``error``, ``ignore``, ``update``): a point in the same band, with the same
  telescope and instrument, within a second (``SAME_EXPOSURE_DAYS``) of a stored one is the same
  point, whichever route (file, alert, broker) brought either; fail, skip it, or replace the
  stored one.
* YSE-PZ style ``mjd_match_days`` (``mjdmatchmin``) with ``clobber``: a point of the same band and
  instrument within that many days of a stored one is the same point; skip it, or with clobber
  replace the stored one.

Both tables carry canonical band, telescope and instrument names
(:func:`tom_tui.domain.photometry.with_canonical_names`: ``r`` taken by P48, ``ztfr`` and
``r-ZTF`` are one band), so equal names mean the same band and facility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import SAME_EXPOSURE_DAYS, DedupPolicy, OnDuplicatePoint
from tom_tui.processing.photometry.timeformat import MAX_REPORTED_PROBLEMS

# What must be equal (besides a close time) for two points to be one, per policy.
SAME_EXPOSURE_KEY = ("filter", "facility")
MJD_MATCH_KEY = ("filter", "instrument")


@dataclass
class DedupResult:
    keep_incoming: np.ndarray  # bool per incoming row
    remove_existing: np.ndarray  # bool per stored row
    matched_incoming: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def skipped(self) -> int:
        return int((~self.keep_incoming).sum())

    @property
    def replaced(self) -> int:
        return int(self.remove_existing.sum())


def find_duplicates(
    existing: pa.Table,
    incoming: pa.Table,
    policy: DedupPolicy,
    *,
    source: str = "upload",
    line_numbers: np.ndarray | None = None,
) -> DedupResult:
    keep = np.ones(incoming.num_rows, dtype=bool)
    remove = np.zeros(existing.num_rows, dtype=bool)
    if existing.num_rows == 0 or incoming.num_rows == 0:
        return DedupResult(keep, remove)
    if policy.mjd_match_days is not None:
        incoming_index, existing_index = _match_within(
            existing, incoming, policy.mjd_match_days, MJD_MATCH_KEY
        )
        # ``--on-duplicate update`` asks for the stored point to be replaced, as clobber does.
        replace = policy.clobber or policy.on_duplicate is OnDuplicatePoint.UPDATE
    else:
        incoming_index, existing_index = _match_within(
            existing, incoming, SAME_EXPOSURE_DAYS, SAME_EXPOSURE_KEY
        )
        if len(incoming_index) and policy.on_duplicate is OnDuplicatePoint.ERROR:
            problems = []
            for row in incoming_index[:MAX_REPORTED_PROBLEMS]:
                line = f"line {line_numbers[row]}: " if line_numbers is not None else ""
                record = incoming.slice(int(row), 1).to_pylist()[0]
                problems.append(
                    f"{source}: {line}point at MJD {record['mjd']} in filter {record['filter']} "
                    "is already stored; "
                    "choose --on-duplicate ignore or update"
                )
            if len(incoming_index) > MAX_REPORTED_PROBLEMS:
                problems.append(f"{source}: ... {len(incoming_index)} duplicate points in all")
            raise ValidationError(problems[0], problems=problems)
        replace = policy.on_duplicate is OnDuplicatePoint.UPDATE
    if replace:
        remove[existing_index] = True
    else:
        keep[incoming_index] = False
    return DedupResult(keep, remove, incoming_index)


def same_exposures(existing: pa.Table, incoming: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``incoming`` and rows of ``existing`` (one target's, canonical names) that are one
    exposure by the same-exposure test; both need ``mjd``, ``filter``, ``telescope``,
    ``instrument`` and ``source``."""
    if existing.num_rows == 0 or incoming.num_rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _match_within(existing, incoming, SAME_EXPOSURE_DAYS, SAME_EXPOSURE_KEY)


def _group_codes(
    existing: pa.Table, incoming: pa.Table, key: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row naming its group (equal ``key`` columns, bands by identity)."""
    columns = ["filter", "telescope", "instrument", "source"]
    both = pa.concat_tables([existing.select(columns), incoming.select(columns)])
    parts = [_key_column(both, name) for name in key]
    joined = pc.binary_join_element_wise(*parts, "\x1f")
    codes = np.asarray(pc.dictionary_encode(joined).combine_chunks().indices.to_numpy(), dtype=np.int64)
    return codes[: existing.num_rows], codes[existing.num_rows :]


def _key_column(rows: pa.Table, name: str) -> pa.Array | pa.ChunkedArray:
    """A column to group by; ``facility`` is telescope and instrument, or, for a point that names
    neither (a file without those columns), its source."""
    if name == "facility":
        telescope = pc.fill_null(rows.column("telescope"), "")
        instrument = pc.fill_null(rows.column("instrument"), "")
        named = pc.binary_join_element_wise(telescope, instrument, "/")
        unknown = pc.and_(pc.is_null(rows.column("telescope")), pc.is_null(rows.column("instrument")))
        by_source = pc.binary_join_element_wise("source:", pc.fill_null(rows.column("source"), ""), "")
        return pc.if_else(unknown, by_source, named)
    return pc.fill_null(rows.column(name), "")


def _match_within(
    existing: pa.Table, incoming: pa.Table, days: float, key: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Incoming and stored rows that have a partner of the same group closer than ``days``."""
    old_codes, new_codes = _group_codes(existing, incoming, key)
    old_mjd = np.asarray(existing.column("mjd").to_numpy(), dtype=np.float64)
    new_mjd = np.asarray(incoming.column("mjd").to_numpy(), dtype=np.float64)
    matched_new: list[np.ndarray] = []
    matched_old: list[np.ndarray] = []
    for code in np.unique(new_codes):
        old_rows = np.flatnonzero(old_codes == code)
        if len(old_rows) == 0:
            continue
        order = np.argsort(old_mjd[old_rows])
        sorted_rows = old_rows[order]
        sorted_mjd = old_mjd[sorted_rows]
        new_rows = np.flatnonzero(new_codes == code)
        position = np.searchsorted(sorted_mjd, new_mjd[new_rows])
        left = np.clip(position - 1, 0, len(sorted_mjd) - 1)
        right = np.clip(position, 0, len(sorted_mjd) - 1)
        left_gap = np.abs(new_mjd[new_rows] - sorted_mjd[left])
        right_gap = np.abs(new_mjd[new_rows] - sorted_mjd[right])
        nearest = np.where(left_gap <= right_gap, left, right)
        hit = np.minimum(left_gap, right_gap) < days
        matched_new.append(new_rows[hit])
        matched_old.append(sorted_rows[nearest[hit]])
    if not matched_new:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(matched_new)), np.unique(np.concatenate(matched_old))
