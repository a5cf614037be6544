"""Deciding which incoming photometry points are already stored.

Two policies, chosen per upload:

* exact key (``error``, ``ignore``, ``update``): a point with the same MJD, filter, telescope, instrument
  and source as a stored one is the same point; fail, skip it, or replace the stored one.
* YSE-PZ style ``mjd_match_days`` (``mjdmatchmin``) with ``clobber``: a point of the same filter and
  instrument within that many days of a stored one is the same point; skip it, or with clobber
  replace the stored one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry.timeformat import MAX_REPORTED_PROBLEMS

EXACT_KEY = ("mjd", "filter", "telescope", "instrument", "source")


class OnDuplicatePoint(StrEnum):
    ERROR = "error"
    IGNORE = "ignore"
    UPDATE = "update"


@dataclass(frozen=True)
class DedupPolicy:
    on_duplicate: OnDuplicatePoint = OnDuplicatePoint.ERROR
    mjd_match_days: float | None = None  # YSE-PZ mjdmatchmin; None means exact-key matching
    clobber: bool = False  # with mjd_match_days: replace the stored point instead of skipping

    def describe(self) -> str:
        if self.mjd_match_days is not None:
            action = "clobber" if self.clobber else "skip"
            return f"mjd-match {self.mjd_match_days:g} d ({action})"
        return f"exact key ({self.on_duplicate.value})"


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


def _filled(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    if pa.types.is_floating(column.type):
        return column
    return pc.fill_null(column, "")


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
        incoming_index, existing_index = _match_within(existing, incoming, policy.mjd_match_days)
        replace = policy.clobber
    else:
        incoming_index, existing_index = _match_exact(existing, incoming)
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


def _match_exact(existing: pa.Table, incoming: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    left = pa.table({name: _filled(incoming, name) for name in EXACT_KEY}).append_column(
        "incoming_row", pa.array(np.arange(incoming.num_rows))
    )
    right = pa.table({name: _filled(existing, name) for name in EXACT_KEY}).append_column(
        "existing_row", pa.array(np.arange(existing.num_rows))
    )
    joined = left.join(right, keys=list(EXACT_KEY), join_type="inner")
    incoming_rows = np.asarray(joined.column("incoming_row").to_numpy(), dtype=np.int64)
    existing_rows = np.asarray(joined.column("existing_row").to_numpy(), dtype=np.int64)
    return np.unique(incoming_rows), np.unique(existing_rows)


def _group_codes(existing: pa.Table, incoming: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    both = pa.concat_tables(
        [existing.select(["filter", "instrument"]), incoming.select(["filter", "instrument"])]
    )
    key = pc.binary_join_element_wise(
        pc.fill_null(both.column("filter"), ""), pc.fill_null(both.column("instrument"), ""), "\x1f"
    )
    codes = np.asarray(pc.dictionary_encode(key).combine_chunks().indices.to_numpy(), dtype=np.int64)
    return codes[: existing.num_rows], codes[existing.num_rows :]


def _match_within(existing: pa.Table, incoming: pa.Table, days: float) -> tuple[np.ndarray, np.ndarray]:
    old_codes, new_codes = _group_codes(existing, incoming)
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
