"""Which stored points a user's flags name, and the points without them.

A flag names a point as duplicate detection does (same target, band, facility, MJD within a
second), so the test is the same one: :func:`~tom_tui.processing.photometry.dedup.same_exposures`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry import with_canonical_names
from tom_tui.domain.photometry_flags import FLAG_IDENTITY_COLUMNS
from tom_tui.processing.photometry.dedup import same_exposures


def with_identity(columns: list[str] | None, flags: pa.Table) -> list[str] | None:
    """``columns`` plus those a flag compares (when there are flags to compare); None is all."""
    if columns is None or flags.num_rows == 0:
        return columns
    return [*columns, *(name for name in FLAG_IDENTITY_COLUMNS if name not in columns)]


def _target_ids(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("target_id").to_numpy(), dtype=np.int64)


def _identity(table: pa.Table) -> pa.Table:
    return with_canonical_names(table.select(FLAG_IDENTITY_COLUMNS))


def _keyed(table: pa.Table, position_name: str) -> pa.Table:
    """The identity columns (text nulls as empty text, so that they join) and each row's position."""
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    for name in FLAG_IDENTITY_COLUMNS:
        column = table.column(name)
        columns[name] = column if name in ("target_id", "mjd") else pc.fill_null(column.cast(pa.string()), "")
    columns[position_name] = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return pa.table(columns)


def _exact_matches(points: pa.Table, flags: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Positions of points and of flags with equal identity columns: a flag made from a stored
    point names it exactly, so one hash join finds nearly all of them."""
    joined = _keyed(points, "point_row").join(
        _keyed(flags, "flag_row"), keys=FLAG_IDENTITY_COLUMNS, join_type="inner"
    )
    return (
        np.asarray(joined.column("point_row").to_numpy(), dtype=np.int64),
        np.asarray(joined.column("flag_row").to_numpy(), dtype=np.int64),
    )


def matched_rows(points: pa.Table, flags: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``points`` and over ``flags`` (both with the identity columns, any targets):
    the points some flag names, and the flags that name some point."""
    point_mask = np.zeros(points.num_rows, dtype=bool)
    flag_mask = np.zeros(flags.num_rows, dtype=bool)
    if points.num_rows == 0 or flags.num_rows == 0:
        return point_mask, flag_mask
    exact_points, exact_flags = _exact_matches(points, flags)
    point_mask[exact_points] = True
    flag_mask[exact_flags] = True
    if flag_mask.all():
        return point_mask, flag_mask
    # The rest (a point stored again under another spelling, or a time a file rounded): the
    # same-exposure test between the points and flags not yet paired.
    near_points, near_flags = _near_matches(points, flags, point_mask, flag_mask)
    point_mask[near_points] = True
    flag_mask[near_flags] = True
    return point_mask, flag_mask


def _near_matches(
    points: pa.Table, flags: pa.Table, paired_points: np.ndarray, paired_flags: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of points and flags, among those not yet paired, that are one exposure."""
    point_targets, flag_targets = _target_ids(points), _target_ids(flags)
    open_points, open_flags = np.flatnonzero(~paired_points), np.flatnonzero(~paired_flags)
    found_points: list[np.ndarray] = []
    found_flags: list[np.ndarray] = []
    for target_id in np.unique(flag_targets[open_flags]):
        point_rows = open_points[point_targets[open_points] == target_id]
        flag_rows = open_flags[flag_targets[open_flags] == target_id]
        flag_hits, point_hits = same_exposures(
            _identity(points.take(pa.array(point_rows))), _identity(flags.take(pa.array(flag_rows)))
        )
        found_points.append(point_rows[point_hits])
        found_flags.append(flag_rows[flag_hits])
    empty = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(found_points) if found_points else empty,
        np.concatenate(found_flags) if found_flags else empty,
    )


def flagged_mask(points: pa.Table, flags: pa.Table) -> np.ndarray:
    """True for each point that a flag names."""
    return matched_rows(points, flags)[0]


def without_flagged(points: pa.Table, flags: pa.Table, columns: list[str] | None = None) -> pa.Table:
    """``points`` less the flagged ones, with only ``columns`` (all when None) kept."""
    if flags.num_rows:
        mask = flagged_mask(points, flags)
        if mask.any():
            points = points.filter(pa.array(~mask))
    return points if columns is None else points.select(columns)
