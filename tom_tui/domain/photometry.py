"""Photometry as tom-tui speaks it everywhere: one measurement schema, its summary, its ingest.

A row is one measurement of one target:

- ``mjd``: the mid-exposure time as a Modified Julian Date, UTC (surveys that publish TAI, such
  as Rubin's ``midpointMjdTai``, are kept as published: the 37 s difference is far below any
  duplicate tolerance).
- ``filter``: the band as the source names it (``g``, ``r``, ``atlaso``, ``B``...).
- ``mag``/``magerr``: a detection's magnitude and its 1-sigma error, in the system named by
  ``magsys`` (``AB`` unless the file said otherwise; alerts and brokers always say ``AB``).
- ``limit``: for a non-detection (``mag`` null), the limiting magnitude (5 sigma by convention).
- ``flux``/``fluxerr``: flux density in µJy (AB: mag = 23.9 - 2.5 log10 flux), where the source
  measured or implies a flux; forced photometry below the detection threshold keeps its measured
  flux next to the limit.
- ``telescope``/``instrument``: where it was taken (``P48``/``ZTF``, ``Rubin``/``LSSTCam``...).
- ``source``: where the point came from (``upload``, ``ztf-alert``, ``alerce``, ``yse``...).
- ``extra``: columns of the original file with no place above, as one JSON object per row.

The store adds ``target_id`` in front (its files are sorted by it) and ``upload_id`` /
``product_id`` behind (which upload, and which data product, brought the row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A flux measurement counts as a detection at this signal-to-noise; below it, the point becomes
# an upper limit at LIMIT_SIGMA times the flux error (SkyPortal's convention).
DETECTION_SNR = 3.0
LIMIT_SIGMA = 5.0

MEASUREMENT_FIELDS: list[pa.Field] = [
    pa.field("mjd", pa.float64(), nullable=False),
    pa.field("filter", pa.string()),
    pa.field("mag", pa.float64()),
    pa.field("magerr", pa.float64()),
    pa.field("limit", pa.float64()),
    pa.field("flux", pa.float64()),
    pa.field("fluxerr", pa.float64()),
    pa.field("magsys", pa.string()),
    pa.field("telescope", pa.string()),
    pa.field("instrument", pa.string()),
    pa.field("source", pa.string()),
    pa.field("extra", pa.string()),
]

# What a reader returns: measurements without the store's bookkeeping.
MEASUREMENT_SCHEMA = pa.schema(MEASUREMENT_FIELDS)
MEASUREMENT_COLUMNS = tuple(MEASUREMENT_SCHEMA.names)

# What the store keeps: target first so that sorted files let readers skip straight to a target.
STORED_SCHEMA = pa.schema(
    [
        pa.field("target_id", pa.int64(), nullable=False),
        *MEASUREMENT_FIELDS,
        pa.field("upload_id", pa.int64(), nullable=False),
        pa.field("product_id", pa.int64()),
    ]
)

# What the engine takes: the measurements of many targets, each row naming its target.
INCOMING_SCHEMA = pa.schema([pa.field("target_id", pa.int64(), nullable=False), *MEASUREMENT_FIELDS])

JSON_FIELDS = [
    "mjd",
    "filter",
    "mag",
    "magerr",
    "limit",
    "flux",
    "fluxerr",
    "magsys",
    "telescope",
    "instrument",
    "source",
    "detection",
    "upload_id",
    "product_id",
]


def empty_measurements() -> pa.Table:
    return MEASUREMENT_SCHEMA.empty_table()


def empty_stored() -> pa.Table:
    return STORED_SCHEMA.empty_table()


def is_detection(table: pa.Table) -> pa.ChunkedArray:
    """True for rows that measured the target (a magnitude), False for upper limits."""
    return pc.is_valid(table.column("mag"))


def float_column(values: np.ndarray) -> pa.Array:
    """A float64 Arrow array with NaN turned into null (the store never keeps NaN)."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, mask=np.isnan(values), type=pa.float64())


def finite_or_none(value: Any) -> float | None:
    """A number from a survey field, or None for null, NaN, infinities and non-numbers."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def with_target_ids(measurements: pa.Table, target_id: int) -> pa.Table:
    """Measurements of one target (measurement schema) as engine input (``target_id`` first)."""
    table = measurements.select(MEASUREMENT_COLUMNS).cast(MEASUREMENT_SCHEMA)
    ids = pa.array(np.full(table.num_rows, target_id, dtype=np.int64))
    return table.add_column(0, "target_id", ids)


class PhotometryColumns:
    """Rows appended one by one to plain lists (cheap), turned into one table at the end.

    The table has a leading key column (``target`` with the survey's object name for alerts and
    brokers, until ingest maps names to targets; ``target_id`` for the engine), then the
    measurement schema. ``magsys`` is the system of every magnitude appended.
    """

    def __init__(
        self, *, magsys: str | None, key: str = "target", key_type: pa.DataType | None = None
    ) -> None:
        self.magsys = magsys
        self.key = key
        self.schema = pa.schema([pa.field(key, key_type or pa.string()), *MEASUREMENT_FIELDS])
        self.columns: dict[str, list[Any]] = {name: [] for name in self.schema.names}

    def __len__(self) -> int:
        return len(self.columns["mjd"])

    def append(
        self,
        target: str | int,
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
        extra: str | None = None,
    ) -> None:
        columns = self.columns
        columns[self.key].append(target)
        columns["mjd"].append(mjd)
        columns["filter"].append(band)
        columns["mag"].append(mag)
        columns["magerr"].append(magerr)
        columns["limit"].append(limit)
        columns["flux"].append(flux)
        columns["fluxerr"].append(fluxerr)
        columns["magsys"].append(self.magsys)
        columns["telescope"].append(telescope)
        columns["instrument"].append(instrument)
        columns["source"].append(source)
        columns["extra"].append(extra)

    def append_row(self, target: str | int, row: dict[str, Any]) -> None:
        """Append a row in measurement-schema names (``filter`` for the band); absent keys are null."""
        self.append(
            target,
            row["mjd"],
            row["filter"],
            **{
                name: row.get(name) for name in MEASUREMENT_COLUMNS if name not in ("mjd", "filter", "magsys")
            },
        )

    def to_table(self) -> pa.Table:
        return pa.table(
            {name: pa.array(values, self.schema.field(name).type) for name, values in self.columns.items()},
            schema=self.schema,
        )


def empty_alert_photometry() -> pa.Table:
    """Alert photometry with no rows: ``target`` (object name) and the measurement schema."""
    return PhotometryColumns(magsys="AB").to_table()


# -- the per-target summary (index/photometry_summary.parquet) --
FILTER_SUMMARY_TYPE = pa.struct(
    [
        pa.field("filter", pa.string()),
        pa.field("n_points", pa.int64()),
        pa.field("n_detections", pa.int64()),
        pa.field("first_det_mjd", pa.float64()),
        pa.field("first_det_mag", pa.float64()),
        pa.field("last_det_mjd", pa.float64()),
        pa.field("last_det_mag", pa.float64()),
        pa.field("peak_mag", pa.float64()),
        pa.field("peak_mjd", pa.float64()),
    ]
)

SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("target_id", pa.int64(), nullable=False),
        pa.field("n_points", pa.int64()),
        pa.field("n_detections", pa.int64()),
        pa.field("first_mjd", pa.float64()),
        pa.field("last_mjd", pa.float64()),
        pa.field("first_det_mjd", pa.float64()),
        pa.field("first_det_mag", pa.float64()),
        pa.field("first_det_filter", pa.string()),
        pa.field("last_det_mjd", pa.float64()),
        pa.field("last_det_mag", pa.float64()),  # the latest magnitude
        pa.field("last_det_filter", pa.string()),
        pa.field("peak_mag", pa.float64()),  # brightest detection
        pa.field("peak_mjd", pa.float64()),
        pa.field("peak_filter", pa.string()),
        pa.field("filters", pa.list_(FILTER_SUMMARY_TYPE)),
    ]
)
# The columns a summary is computed from.
SUMMARY_INPUT_COLUMNS = ["target_id", "mjd", "filter", "mag"]


# -- duplicates --
# Two measurements of one target in the same band with the same telescope and instrument that
# start within a second of each other are one exposure (surveys expose for 15 s and more); the
# slack absorbs JD/MJD/ISO round trips and the digits a file keeps.
SAME_EXPOSURE_DAYS = 1.0 / 86_400.0

# Names sources give the ZTF filters besides the alerts' g/r/i (ZTF forced photometry, ALeRCE and
# SkyPortal exports, the simulated survey); with telescope and instrument equal, they are one band.
_BAND_ALIASES = {
    f"{prefix}{band}": band for prefix in ("ztf", "ztf_", "ztf-", "ztf::") for band in ("g", "r", "i")
}


def band_identity(name: str) -> str:
    """The name under which duplicate detection compares a band (``ztfr``, ``ZTF_r`` → ``r``)."""
    return _BAND_ALIASES.get(name.strip().lower(), name)


class OnDuplicatePoint(StrEnum):
    ERROR = "error"
    IGNORE = "ignore"
    UPDATE = "update"


@dataclass(frozen=True)
class DedupPolicy:
    """When an incoming point is one already stored, and what to do then.

    Same exposure (``on_duplicate``): same band (:func:`band_identity`), telescope and instrument,
    MJD within :data:`SAME_EXPOSURE_DAYS`, whatever route brought it (a file, an alert, a broker);
    fail, skip the incoming point, or replace the stored one. YSE-PZ style (``mjd_match_days``, its
    ``mjdmatchmin``): same band and instrument within that many days; skip, or with ``clobber``
    replace the stored one.
    """

    on_duplicate: OnDuplicatePoint = OnDuplicatePoint.ERROR
    mjd_match_days: float | None = None  # YSE-PZ mjdmatchmin; None means exact-key matching
    clobber: bool = False  # with mjd_match_days: replace the stored point instead of skipping

    def describe(self) -> str:
        if self.mjd_match_days is not None:
            action = "clobber" if self.clobber else "skip"
            return f"mjd-match {self.mjd_match_days:g} d ({action})"
        return f"exact key ({self.on_duplicate.value})"


# -- what an ingest did --
@dataclass
class TargetIngest:
    """What one ingest did to one target's points."""

    target_id: int
    added: int = 0
    duplicates_skipped: int = 0
    replaced: int = 0


@dataclass
class IngestOutcome:
    """One ingest, recorded as ONE undoable upload (``upload_id`` None when nothing was given)."""

    upload_id: int | None
    targets: list[TargetIngest] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(target.added for target in self.targets)

    @property
    def duplicates_skipped(self) -> int:
        return sum(target.duplicates_skipped for target in self.targets)

    @property
    def replaced(self) -> int:
        return sum(target.replaced for target in self.targets)

    def for_target(self, target_id: int) -> TargetIngest:
        for target in self.targets:
            if target.target_id == target_id:
                return target
        return TargetIngest(target_id)
