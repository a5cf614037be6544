"""Alert photometry as Arrow tables: the columns every broker and alert reader produces.

``target`` holds the survey's object name (e.g. ``ZTF18abcgqmz``) until ingest maps it to a store
target. ``mag`` is an AB magnitude and ``magerr`` its error; ``limit`` is the 5-sigma limiting
magnitude of a non-detection (``mag`` null); ``flux``/``fluxerr`` are difference-image fluxes in
microjanskys (AB: mag = 23.9 - 2.5 log10 flux) where the survey measures flux (Rubin); ``source``
names where the point came from (``ztf-alert``, ``alerce``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

PHOTOMETRY_SCHEMA = pa.schema(
    [
        pa.field("target", pa.string()),
        pa.field("mjd", pa.float64()),
        pa.field("filter", pa.string()),
        pa.field("mag", pa.float64()),
        pa.field("magerr", pa.float64()),
        pa.field("limit", pa.float64()),
        pa.field("flux", pa.float64()),
        pa.field("fluxerr", pa.float64()),
        pa.field("telescope", pa.string()),
        pa.field("instrument", pa.string()),
        pa.field("source", pa.string()),
    ]
)
COLUMNS = tuple(PHOTOMETRY_SCHEMA.names)
AB_MICROJANSKY_ZEROPOINT = 23.9
ZTF_FILTERS = {1: "g", 2: "r", 3: "i"}


class PhotometryColumns:
    """Column lists to append rows to cheaply, turned into one table at the end."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["mjd"])

    def append(
        self,
        target: str,
        mjd: float,
        band: str,
        mag: float | None = None,
        magerr: float | None = None,
        limit: float | None = None,
        flux: float | None = None,
        fluxerr: float | None = None,
        telescope: str | None = None,
        instrument: str | None = None,
        source: str | None = None,
    ) -> None:
        columns = self.columns
        columns["target"].append(target)
        columns["mjd"].append(mjd)
        columns["filter"].append(band)
        columns["mag"].append(mag)
        columns["magerr"].append(magerr)
        columns["limit"].append(limit)
        columns["flux"].append(flux)
        columns["fluxerr"].append(fluxerr)
        columns["telescope"].append(telescope)
        columns["instrument"].append(instrument)
        columns["source"].append(source)

    def to_table(self) -> pa.Table:
        return pa.table(
            {
                name: pa.array(values, PHOTOMETRY_SCHEMA.field(name).type)
                for name, values in self.columns.items()
            },
            schema=PHOTOMETRY_SCHEMA,
        )


def photometry_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """A table in :data:`PHOTOMETRY_SCHEMA` from dicts (missing keys become null)."""
    columns = PhotometryColumns()
    for row in rows:
        columns.append(**{name: row.get(name) for name in COLUMNS})  # type: ignore[arg-type]
    return columns.to_table()


def empty_photometry() -> pa.Table:
    return PHOTOMETRY_SCHEMA.empty_table()


def finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def flux_to_mag(flux_ujy: float | None, fluxerr_ujy: float | None) -> tuple[float | None, float | None]:
    """AB magnitude and error of a positive flux in µJy; (None, None) otherwise."""
    if flux_ujy is None or flux_ujy <= 0:
        return None, None
    mag = AB_MICROJANSKY_ZEROPOINT - 2.5 * math.log10(flux_ujy)
    magerr = None if fluxerr_ujy is None else 2.5 / math.log(10) * fluxerr_ujy / flux_ujy
    return mag, magerr


def jd_to_mjd(jd: float) -> float:
    return jd - 2400000.5
