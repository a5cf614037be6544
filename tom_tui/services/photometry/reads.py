"""Reading photometry: one target's points, the per-target summary, points as JSON."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry import JSON_FIELDS
from tom_tui.domain.photometry_flags import empty_flags
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.arrow_json import (
    JSON_BATCH_ROWS,
    NULL,
    Member,
    json_member,
    nested_json,
    object_rows,
    table_json_pieces,
)
from tom_tui.processing.photometry.flags import with_identity, without_flagged
from tom_tui.store import photometry as photometry_store
from tom_tui.store.photometry_flags import read_flags
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView

# What a plot needs: reading only these skips the string columns (half the time at 100k points).
PLOT_COLUMNS = ["mjd", "filter", "mag", "magerr", "limit", "flux", "fluxerr"]


def target_photometry(
    view: StoreView,
    target_id: int,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
    columns: list[str] | None = None,
    include_flagged: bool = False,
) -> pa.Table:
    """One target's points, sorted by MJD, optionally only some filters, recent ones, some columns;
    points a user flagged as bad are left out unless ``include_flagged``."""
    flags = empty_flags() if include_flagged else read_flags(view, [target_id])
    table = photometry_store.read_points(view, target_id, with_identity(columns, flags))
    table = without_flagged(table, flags, columns if flags.num_rows else None)
    if filters:
        table = table.filter(pc.is_in(table.column("filter"), pa.array(filters, type=pa.string())))
    if since_mjd is not None:
        table = table.filter(pc.greater_equal(table.column("mjd"), since_mjd))
    return table


def photometry_of(
    store: Store,
    target_ref: TargetRef,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
    columns: list[str] | None = None,
    include_flagged: bool = False,
) -> tuple[Target, pa.Table]:
    """A target (by name, alias or id) and its points, read together."""
    with store.read() as view:
        target = TargetRepository(view).resolve(target_ref)
        assert target.id is not None
        return target, target_photometry(view, target.id, filters, since_mjd, columns, include_flagged)


def photometry_summary(view: StoreView) -> pa.Table:
    """Per-target summary (``index/photometry_summary.parquet``), keyed by ``target_id``."""
    return photometry_store.read_summary(view)


def points_to_json(table: pa.Table) -> list[dict[str, Any]]:
    """Points as JSON objects (`tom-tui photometry --json`); the file's extra columns under "extra"."""
    rows: list[dict[str, Any]] = []
    for record in table.to_pylist():
        row = {name: record.get(name) for name in JSON_FIELDS if name != "detection"}
        row["detection"] = record.get("mag") is not None
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
        if record.get("extra"):
            row["extra"] = orjson.loads(record["extra"])
        rows.append(row)
    return rows


def points_json_pieces(table: pa.Table) -> Iterator[bytes]:
    """The JSON text of :func:`points_to_json` (indented as ``--json`` prints it), built a column at
    a time and handed out in pieces."""
    return table_json_pieces(table, _points_json_body, JSON_BATCH_ROWS)


def _points_json_body(table: pa.Table) -> bytes:
    rows = table.num_rows
    present = set(table.column_names)
    members = [
        json_member(name, table.column(name), first=position == 0)
        if name in present
        else Member(name, [NULL] * rows)
        for position, name in enumerate(name for name in JSON_FIELDS if name != "detection")
    ]
    # A NaN magnitude still counts as a detection, as it does in :func:`points_to_json`.
    detected = pc.is_valid(table.column("mag")) if "mag" in table.column_names else pa.array([False] * rows)
    members.append(json_member("detection", detected))
    return object_rows(members, rows, _extra_members(table))


def _extra_members(table: pa.Table) -> list[bytes] | None:
    """Per row, the ``extra`` member (the file's other columns) or nothing."""
    if "extra" not in table.column_names:
        return None
    column = table.column("extra")
    present = pc.fill_null(pc.greater(pc.binary_length(column), 0), False)
    where = np.flatnonzero(present.to_numpy(zero_copy_only=False))
    if not len(where):
        return None
    trailing = [b""] * table.num_rows
    texts = column.take(pa.array(where)).to_pylist()
    for row, text in zip(where.tolist(), texts, strict=True):
        trailing[row] = b',\n    "extra": ' + nested_json(orjson.loads(text))
    return trailing
