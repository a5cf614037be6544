"""Flagging bad photometry points: choose points, flag them with a reason, unflag, list the flags.

Points are chosen by any mix of selectors (all must hold): point ids (positions in time order
among all the target's points, flagged included, 1 for the earliest, as
``tom-tui photometry flag TARGET ... --dry-run`` lists them), an MJD range, filters, the upload
that brought them, or a SQL condition over their columns. Flagged points stay stored; reads
leave them out (``include_flagged`` brings them back) and the summaries (latest and peak
magnitude) are recomputed without them in the same transaction.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import SUMMARY_INPUT_COLUMNS, band_identity, empty_stored
from tom_tui.domain.photometry_flags import FLAG_IDENTITY_COLUMNS, FLAG_SCHEMA, PointFlag
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.photometry.flags import flagged_mask, matched_rows, with_identity
from tom_tui.processing.photometry.summary import summarise
from tom_tui.services.photometry.ingest import refresh_summaries
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.sql import rows_where
from tom_tui.store import photometry as photometry_store
from tom_tui.store import photometry_flags as flags_store
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView, Transaction

# Who flags: this variable when set, otherwise the login name.
USER_VARIABLE = "TOM_TUI_USER"


def current_user() -> str:
    """The name a flag records as its author."""
    named = os.environ.get(USER_VARIABLE, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


@dataclass(frozen=True)
class PointSelection:
    """Which points of a target: every given selector must hold."""

    point_ids: tuple[int, ...] = ()
    mjd_from: float | None = None
    mjd_to: float | None = None
    filters: tuple[str, ...] = ()
    upload_id: int | None = None
    where: str | None = None

    def is_empty(self) -> bool:
        return not (
            self.point_ids
            or self.mjd_from is not None
            or self.mjd_to is not None
            or self.filters
            or self.upload_id is not None
            or (self.where or "").strip()
        )


@dataclass
class FlagReport:
    """What one flag or unflag command did."""

    target: Target
    selected: int
    changed: int
    flags: list[PointFlag] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.name,
            "target_id": self.target.id,
            "selected": self.selected,
            "changed": self.changed,
        }


def _floats(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _check_selection(selection: PointSelection, count: int, name: str) -> None:
    if selection.is_empty():
        raise ValidationError(
            "choose the points: give --ids, --from/--to, --filter, --upload or --where (several narrow it)"
        )
    if (
        selection.mjd_from is not None
        and selection.mjd_to is not None
        and selection.mjd_from > selection.mjd_to
    ):
        raise ValidationError(
            f"--from {selection.mjd_from:g} is after --to {selection.mjd_to:g}: "
            "expected an MJD range, earliest first"
        )
    wrong = [point for point in selection.point_ids if not 1 <= point <= count]
    if wrong:
        raise ValidationError(
            f"point id {wrong[0]} does not exist: {name} has {count} points, ids 1 to {count} "
            "(--dry-run lists the chosen points with their ids)"
        )


def _band_mask(table: pa.Table, filters: tuple[str, ...]) -> np.ndarray:
    """Points in any of ``filters``, by stored name or band identity (``r`` finds ``ztfr``)."""
    names = table.column("filter").to_pylist()
    wanted = {*filters, *(band_identity(name) for name in filters)}
    return np.array(
        [name is not None and (name in wanted or band_identity(name) in wanted) for name in names]
    )


def selected_rows(points: pa.Table, selection: PointSelection, name: str) -> np.ndarray:
    """Positions in ``points`` (all of a target's points in time order) that ``selection`` chooses."""
    _check_selection(selection, points.num_rows, name)
    chosen = np.ones(points.num_rows, dtype=bool)
    if selection.point_ids:
        by_id = np.zeros(points.num_rows, dtype=bool)
        by_id[np.asarray(selection.point_ids, dtype=np.int64) - 1] = True
        chosen &= by_id
    mjd = _floats(points, "mjd")
    if selection.mjd_from is not None:
        chosen &= mjd >= selection.mjd_from
    if selection.mjd_to is not None:
        chosen &= mjd <= selection.mjd_to
    if selection.filters:
        chosen &= _band_mask(points, selection.filters)
    if selection.upload_id is not None:
        uploads = np.asarray(pc.fill_null(points.column("upload_id"), -1).to_numpy(), dtype=np.int64)
        chosen &= uploads == selection.upload_id
    if (selection.where or "").strip():
        by_condition = np.zeros(points.num_rows, dtype=bool)
        by_condition[rows_where(points, str(selection.where))] = True
        chosen &= by_condition
    rows = np.flatnonzero(chosen)
    if not len(rows):
        raise ValidationError(f"no point of {name} matches the selection; nothing was changed")
    return rows


def _all_points(view: StoreView, target_ref: TargetRef) -> tuple[Target, pa.Table]:
    target = TargetRepository(view).resolve(target_ref)
    assert target.id is not None
    return target, target_photometry(view, target.id, include_flagged=True)


def chosen_points(store: Store, target_ref: TargetRef, selection: PointSelection) -> tuple[Target, pa.Table]:
    """The points ``selection`` chooses, flagged or not, with their ids (``point_id``) and whether
    each is flagged (``flagged``): what a dry run shows before anything changes."""
    with store.read() as view:
        target, points = _all_points(view, target_ref)
        rows = selected_rows(points, selection, target.name)
        flagged = flagged_mask(points, flags_store.read_flags(view, [target.id or 0]))
    chosen = points.take(pa.array(rows))
    chosen = chosen.append_column("point_id", pa.array(rows + 1, type=pa.int64()))
    return target, chosen.append_column("flagged", pa.array(flagged[rows], type=pa.bool_()))


def _new_flags(points: pa.Table, reason: str, user: str) -> pa.Table:
    count = points.num_rows
    columns: dict[str, Any] = {name: points.column(name) for name in FLAG_IDENTITY_COLUMNS}
    columns["flagged_by"] = pa.array([user] * count, pa.string())
    columns["flagged_at"] = pa.array([now_iso()] * count, pa.string())
    columns["reason"] = pa.array([reason] * count, pa.string())
    return pa.table(columns).cast(FLAG_SCHEMA)


def flag_rows(tx: Transaction, points: pa.Table, reason: str, user: str) -> int:
    """Flag stored points given by their identity columns (a step of a larger change, e.g. a
    reduction run flagging what it measured through an analyser); points already flagged keep
    their first flag, and the summaries of the targets concerned are recomputed. Returns how
    many points were newly flagged."""
    if points.num_rows == 0:
        return 0
    stored = flags_store.read_flags(tx)
    fresh = points.filter(pa.array(~flagged_mask(points, stored)))
    if fresh.num_rows == 0:
        return 0
    flags_store.write_flags(tx, pa.concat_tables([stored, _new_flags(fresh, reason, user)]))
    refresh_summaries(tx, [int(i) for i in pc.unique(fresh.column("target_id")).to_pylist()])
    return int(fresh.num_rows)


def flag_points(
    store: Store, target_ref: TargetRef, selection: PointSelection, reason: str, user: str | None = None
) -> FlagReport:
    """Flag the chosen points of a target as bad, with ``reason`` and who flagged them (points
    already flagged keep their first flag)."""
    if not reason.strip():
        raise ValidationError("--reason is empty: say why the points are bad (e.g. 'cosmic ray')")
    with store.transaction() as tx:
        target, points = _all_points(tx, target_ref)
        chosen = np.zeros(points.num_rows, dtype=bool)
        chosen[selected_rows(points, selection, target.name)] = True
        stored = flags_store.read_flags(tx)
        already = flagged_mask(points, stored)
        fresh = chosen & ~already
        if fresh.any():
            added = _new_flags(points.filter(pa.array(fresh)), reason.strip(), user or current_user())
            flags_store.write_flags(tx, pa.concat_tables([stored, added]))
            # The points and which of them are flagged are at hand: no second read for the summary.
            kept = points.filter(pa.array(~(already | chosen))).select(SUMMARY_INPUT_COLUMNS)
            photometry_store.write_summaries(tx, [target.id or 0], summarise(kept))
        return FlagReport(target, int(chosen.sum()), int(fresh.sum()))


def unflag_points(store: Store, target_ref: TargetRef, selection: PointSelection) -> FlagReport:
    """Take the flags off the chosen points of a target."""
    with store.transaction() as tx:
        target, points = _all_points(tx, target_ref)
        chosen = points.take(pa.array(selected_rows(points, selection, target.name)))
        stored = flags_store.read_flags(tx)
        _, naming = matched_rows(chosen, stored)
        if not naming.any():
            raise ValidationError(f"none of the {chosen.num_rows} chosen points of {target.name} is flagged")
        flags_store.write_flags(tx, stored.filter(pa.array(~naming)))
        refresh_summaries(tx, [target.id or 0])
        return FlagReport(target, chosen.num_rows, int(naming.sum()))


def target_flags(store: Store, target_ref: TargetRef) -> tuple[Target, list[PointFlag]]:
    """A target's flags, in time order."""
    with store.read() as view:
        target = TargetRepository(view).resolve(target_ref)
        assert target.id is not None
        table = flags_store.read_flags(view, [target.id])
    return target, [PointFlag.from_row(row) for row in table.to_pylist()]


def flagged_points(
    view: StoreView,
    target_id: int,
    columns: list[str] | None = None,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
) -> pa.Table:
    """The flagged points of one target (to draw them apart when asked), optionally only some
    filters and recent ones, as :func:`~tom_tui.services.photometry.reads.target_photometry`."""
    flags = flags_store.read_flags(view, [target_id])
    if flags.num_rows == 0:
        empty = empty_stored()
        return empty if columns is None else empty.select(columns)
    points = target_photometry(
        view, target_id, filters, since_mjd, columns=with_identity(columns, flags), include_flagged=True
    )
    flagged = points.filter(pa.array(flagged_mask(points, flags)))
    return flagged if columns is None else flagged.select(columns)
