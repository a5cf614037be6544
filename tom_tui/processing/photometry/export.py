"""Writing stored photometry out: CSV, ECSV (with units), JSON, SNANA and TOM Toolkit CSV.

Every function takes a table in the stored schema plus a ``target`` column holding the target
name, and writes one file. SNANA and TOM Toolkit files describe one object each, so the caller
writes one file per target for those.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry import JSON_FIELDS
from tom_tui.domain.units import AB_ZERO_POINT_UJY
from tom_tui.processing.arrow_json import json_member, object_rows, table_json_pieces

# SNANA's FLUXCAL is defined with zero point 27.5.
SNANA_ZERO_POINT = 27.5


class ExportFormat(StrEnum):
    CSV = "csv"
    ECSV = "ecsv"
    JSON = "json"
    SNANA = "snana"
    TOMTOOLKIT = "tomtoolkit"

    @property
    def one_target_per_file(self) -> bool:
        return self in (ExportFormat.SNANA, ExportFormat.TOMTOOLKIT)

    @property
    def suffix(self) -> str:
        return {"tomtoolkit": ".csv", "snana": ".dat"}.get(self.value, f".{self.value}")


EXPORT_COLUMNS = ["target", *[name for name in JSON_FIELDS if name != "detection"]]


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows = []
    for record in table.select([c for c in EXPORT_COLUMNS if c in table.column_names]).to_pylist():
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                record[key] = None
        rows.append(record)
    return rows


def write_csv(table: pa.Table, path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in _rows(table):
            writer.writerow({key: "" if value is None else value for key, value in row.items()})


def write_json(table: pa.Table, path: Path) -> None:
    """A JSON list of points, one object per row (NaN as null), built a column at a time so that
    millions of points never become Python dicts."""
    columns = [name for name in EXPORT_COLUMNS if name in table.column_names]

    def body(batch: pa.Table) -> bytes:
        members = [json_member(name, batch.column(name), first=i == 0) for i, name in enumerate(columns)]
        members.append(json_member("detection", _detected(batch), first=not columns))
        return object_rows(members, batch.num_rows)

    with open(path, "wb") as handle:
        for piece in table_json_pieces(table, body):
            handle.write(piece)


def _detected(table: pa.Table) -> pa.Array:
    """Whether each point has a magnitude (a NaN magnitude is none)."""
    if "mag" not in table.column_names:
        return pa.array([False] * table.num_rows)
    mag = table.column("mag")
    return pc.fill_null(pc.and_kleene(pc.is_valid(mag), pc.invert(pc.is_nan(mag))), False)


def write_ecsv(table: pa.Table, path: Path) -> None:
    from astropy.table import MaskedColumn, Table

    units = {"mjd": "d", "mag": "mag", "magerr": "mag", "limit": "mag", "flux": "uJy", "fluxerr": "uJy"}
    out = Table()
    for name in EXPORT_COLUMNS:
        column = table.column(name)
        values = column.to_numpy(zero_copy_only=False)
        mask = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
        if pa.types.is_floating(column.type):
            data = np.where(mask, np.nan, values.astype(np.float64))
        elif pa.types.is_integer(column.type):
            data = np.where(mask, 0, np.nan_to_num(values.astype(np.float64))).astype(np.int64)
        else:
            data = np.array(["" if value is None else str(value) for value in values], dtype=str)
        out[name] = MaskedColumn(data, mask=mask, unit=units.get(name))
    out.meta["comments"] = [
        f"Photometry exported by tom-tui; flux in µJy (AB zero point {AB_ZERO_POINT_UJY})."
    ]
    out.write(path, format="ascii.ecsv", overwrite=True)


TOMTOOLKIT_COLUMNS = ["time", "filter", "magnitude", "error", "limit", "telescope", "instrument", "source"]


def write_tomtoolkit(table: pa.Table, path: Path) -> int:
    """TOM Toolkit's photometry upload CSV: time (MJD), filter, magnitude, error, limit,
    telescope, instrument, source (TOM Toolkit 3.x keeps telescope and instrument as fields of
    the point and ``source`` as its source name).

    A point with neither magnitude nor limit (a flux alone) would become an empty record there,
    so it is left out; returns how many were.
    """
    left_out = 0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TOMTOOLKIT_COLUMNS)
        for row in _rows(table):
            if row["mag"] is None and row["limit"] is None:
                left_out += 1
                continue
            writer.writerow(
                [
                    row["mjd"],
                    row["filter"] or "",
                    "" if row["mag"] is None else row["mag"],
                    "" if row["magerr"] is None else row["magerr"],
                    "" if row["limit"] is None else row["limit"],
                    row["telescope"] or "",
                    row["instrument"] or "",
                    row["source"] or "",
                ]
            )
    return left_out


def write_snana(table: pa.Table, path: Path, name: str, ra: float | None, dec: float | None) -> int:
    """An SNANA text light curve; points without a flux (pure upper limits) cannot be written.

    Returns how many such points were left out.
    """
    scale = 10.0 ** (-0.4 * (AB_ZERO_POINT_UJY - SNANA_ZERO_POINT))
    rows = _rows(table)
    usable = [row for row in rows if row["flux"] is not None and row["fluxerr"] is not None]
    filters: list[str] = sorted({str(row["filter"]) for row in usable})
    lines = [
        "SURVEY: tom-tui",
        f"SNID: {name.replace(' ', '_')}",
        f"RA: {'' if ra is None else f'{ra:.6f}'}",
        f"DECL: {'' if dec is None else f'{dec:.6f}'}",
        f"FILTERS: {''.join(filters) if all(len(f) == 1 for f in filters) else ','.join(filters)}",
        f"NOBS: {len(usable)}",
        "NVAR: 7",
        "VARLIST: MJD FLT FIELD FLUXCAL FLUXCALERR MAG MAGERR",
    ]
    for row in usable:
        mag = row["mag"] if row["mag"] is not None else 99.0
        magerr = row["magerr"] if row["magerr"] is not None else 99.0
        lines.append(
            f"OBS: {row['mjd']:.5f} {row['filter']} NULL {row['flux'] * scale:.4f} "
            f"{row['fluxerr'] * scale:.4f} {mag:.4f} {magerr:.4f}"
        )
    lines.append("END:")
    path.write_text("\n".join(lines) + "\n")
    return len(rows) - len(usable)


def with_target_names(tables: Sequence[tuple[str, pa.Table]]) -> pa.Table:
    parts = []
    for name, table in tables:
        parts.append(table.add_column(0, "target", pa.array([name] * table.num_rows, type=pa.string())))
    return pa.concat_tables(parts) if parts else pa.table({name: [] for name in EXPORT_COLUMNS})
