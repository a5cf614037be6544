"""Reading photometry: one target's points, the per-target summary, points as JSON."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry import JSON_FIELDS
from tom_tui.store import photometry as photometry_store
from tom_tui.store.transaction import StoreView

# What a plot needs: reading only these skips the string columns (half the time at 100k points).
PLOT_COLUMNS = ["mjd", "filter", "mag", "magerr", "limit", "flux", "fluxerr"]


def target_photometry(
    view: StoreView,
    target_id: int,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """One target's points, sorted by MJD, optionally only some filters, recent ones, some columns."""
    table = photometry_store.read_points(view, target_id, columns)
    if filters:
        table = table.filter(pc.is_in(table.column("filter"), pa.array(filters, type=pa.string())))
    if since_mjd is not None:
        table = table.filter(pc.greater_equal(table.column("mjd"), since_mjd))
    return table


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
