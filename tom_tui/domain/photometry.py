"""Photometry as tom-tui speaks it everywhere: one measurement schema, its summary, its ingest.

A row is one measurement of one target:

- ``mjd``: the mid-exposure time as a Modified Julian Date, UTC (surveys that publish TAI, such
  as Rubin's ``midpointMjdTai``, are converted; heliocentric or barycentric times are refused).
- ``filter``: the band, by its canonical name for survey bands (``ztfr``, ``atlaso``, ``lsstg``;
  :mod:`tom_tui.domain.bands`), otherwise as the source names it (``B``, ``V``...).
- ``mag``/``magerr``: a detection's magnitude and its 1-sigma error, in the system named by
  ``magsys`` (``AB`` unless the file said otherwise; alerts and brokers always say ``AB``).
- ``limit``: the limiting magnitude of the image (5 sigma by convention): a non-detection's
  (``mag`` null) value, and kept next to a detection's magnitude when the source gives it.
- ``flux``/``fluxerr``: flux density in µJy (AB: mag = 23.9 - 2.5 log10 flux), where the source
  measured or implies a flux (every AB detection has one); forced photometry below the detection
  threshold keeps its measured flux next to the limit.
- ``telescope``/``instrument``: where it was taken (``P48``/``ZTF``, ``Rubin``/``LSSTCam``...).
- ``source``: where the point came from (``upload``, ``ztf-alert``, ``alerce``, ``yse``...).
- ``extra``: columns of the original file with no place above, as one JSON object per row.
- ``negative_subtraction``: true for a point measured on a difference image where the source is
  fainter than in the reference (ZTF ``isdiffpos`` false, a negative Rubin ``psfFlux``). Its
  ``flux`` is the signed (negative) difference flux, ``mag`` is null and ``limit`` the image's
  limiting magnitude: it is never a detection, a latest magnitude or a brightening. Null (files
  written before the column existed) means false.

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

from tom_tui.domain.bands import BAND_ALIASES, ZTF_BAND_PREFIX, canonical_band, canonical_facility
from tom_tui.domain.units import EARLIEST_MJD, LATEST_MJD, mag_to_flux_array, magerr_to_fluxerr_array

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
    pa.field("negative_subtraction", pa.bool_()),
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
    "negative_subtraction",
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
    """Measurements of one target (measurement schema) as engine input (``target_id`` first);
    measurement columns it lacks are null."""
    table = pa.table(
        {
            name: measurements.column(name).cast(field.type)
            if name in measurements.column_names
            else pa.nulls(measurements.num_rows, field.type)
            for name, field in zip(MEASUREMENT_COLUMNS, MEASUREMENT_SCHEMA, strict=True)
        },
        schema=MEASUREMENT_SCHEMA,
    )
    ids = pa.array(np.full(table.num_rows, target_id, dtype=np.int64))
    return table.add_column(0, "target_id", ids)


# The measurement columns a row dictionary fills (the builder sets ``magsys`` itself).
_ROW_COLUMNS = tuple(name for name in MEASUREMENT_COLUMNS if name != "magsys")


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
        negative_subtraction: bool | None = None,
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
        columns["negative_subtraction"].append(negative_subtraction)

    def append_row(self, target: str | int, row: dict[str, Any]) -> None:
        """Append a row in measurement-schema names (``filter`` for the band); absent keys are null."""
        # Straight into the lists: alert files append hundreds of thousands of rows this way.
        columns = self.columns
        columns[self.key].append(target)
        for name in _ROW_COLUMNS:
            columns[name].append(row.get(name))
        columns["magsys"].append(self.magsys)

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


def band_identity(name: str) -> str:
    """A ZTF band's letter under any of its spellings (``ztfr``, ``ZTF_r``, ``r-ZTF`` → ``r``);
    other names unchanged. Duplicate detection compares :func:`~tom_tui.domain.bands.canonical_band`."""
    canonical = BAND_ALIASES.get(name.strip().lower())
    if canonical is not None and canonical.startswith(ZTF_BAND_PREFIX):
        return canonical.removeprefix(ZTF_BAND_PREFIX)
    return name


class OnDuplicatePoint(StrEnum):
    """What an upload does with a point already stored: refuse the whole upload, keep the stored
    point, or replace it with the new one (kept for undo)."""

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
    (or ``on_duplicate`` update) replace the stored one.
    """

    on_duplicate: OnDuplicatePoint = OnDuplicatePoint.ERROR
    mjd_match_days: float | None = None  # YSE-PZ mjdmatchmin; None means exact-key matching
    clobber: bool = False  # with mjd_match_days: replace the stored point instead of skipping

    def describe(self) -> str:
        if self.mjd_match_days is not None:
            replaces = self.clobber or self.on_duplicate is OnDuplicatePoint.UPDATE
            action = "clobber" if replaces else "skip"
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


# -- what every route's points must satisfy --
# Magnitudes outside this range are sentinels or garbage (the brightest stars are near -1.5,
# the deepest images reach ~32).
BRIGHTEST_MAG = -30.0
FAINTEST_MAG = 40.0


def _floats(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def _valid_mask(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(pc.is_valid(table.column(name)).to_numpy(zero_copy_only=False), dtype=bool)


def measurement_problems(table: pa.Table) -> dict[int, str]:
    """What is wrong with each bad row of a measurement table (row index → one phrase).

    The same checks for every route (files, alerts, brokers, YSE-PZ): a finite MJD between 1900
    and 2100, magnitudes and limits that are numbers between -30 and 40, errors that are numbers
    and not negative.
    """
    problems: dict[int, str] = {}
    mjd = _floats(table, "mjd")
    with np.errstate(invalid="ignore"):
        bad_time = ~np.isfinite(mjd) | (mjd < EARLIEST_MJD) | (mjd > LATEST_MJD)
    for row in np.flatnonzero(bad_time):
        problems[int(row)] = f"MJD {mjd[row]:g} is not a date between 1900 and 2100"
    for name in ("mag", "limit"):
        values, present = _floats(table, name), _valid_mask(table, name)
        with np.errstate(invalid="ignore"):
            bad = present & (~np.isfinite(values) | (values < BRIGHTEST_MAG) | (values > FAINTEST_MAG))
        for row in np.flatnonzero(bad):
            problems.setdefault(
                int(row),
                f"{name} {values[row]:g} is not a magnitude between {BRIGHTEST_MAG:g} and {FAINTEST_MAG:g}",
            )
    for name in ("magerr", "fluxerr", "flux"):
        values, present = _floats(table, name), _valid_mask(table, name)
        with np.errstate(invalid="ignore"):
            bad = present & ~np.isfinite(values)
            if name != "flux":
                bad |= present & (values < 0)
        for row in np.flatnonzero(bad):
            expected = "a number" if name == "flux" else "a number not below 0"
            problems.setdefault(int(row), f"{name} {values[row]:g} is not {expected}")
    return problems


def with_canonical_names(table: pa.Table) -> pa.Table:
    """``table`` with each band, telescope and instrument under its canonical name
    (:mod:`tom_tui.domain.bands`: ``r`` taken by P48 is ``ztfr``, telescope ``ZTF`` is ``P48``)."""
    if table.num_rows == 0:
        return table
    names = ("filter", "telescope", "instrument")
    # Each distinct (band, telescope, instrument) is named once: one integer code per row.
    encoded = [pc.dictionary_encode(table.column(name).cast(pa.string())).combine_chunks() for name in names]
    dictionaries = [column.dictionary.to_pylist() for column in encoded]
    sizes = [len(values) + 1 for values in dictionaries]  # +1: code 0 is null
    parts = [
        np.asarray(pc.fill_null(column.indices, -1).to_numpy(), dtype=np.int64) + 1 for column in encoded
    ]
    codes = np.ravel_multi_index(parts, sizes)
    distinct, row_of = _distinct_codes(codes, int(np.prod(sizes)))

    def name_of(column: int, code: int) -> str | None:
        return None if code == 0 else str(dictionaries[column][code - 1])

    canonical = [
        _canonical_names(*(name_of(column, int(code)) for column, code in enumerate(key)))
        for key in zip(*np.unravel_index(distinct, sizes), strict=True)
    ]
    for position, name in enumerate(names):
        values = pa.array([row[position] for row in canonical], pa.string()).take(pa.array(row_of))
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


def _distinct_codes(codes: np.ndarray, code_count: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes, sorted, and each row's index into them (``np.unique`` with
    ``return_inverse``), in linear time when the codes are few: sorting a million rows to find
    the handful of band/telescope names they use is most of the cost otherwise."""
    if code_count > 1 << 20:
        distinct, row_of = np.unique(codes, return_inverse=True)
        return distinct, row_of
    present = np.zeros(code_count, dtype=bool)
    present[codes] = True
    distinct = np.flatnonzero(present)
    position = np.zeros(code_count, dtype=np.int64)
    position[distinct] = np.arange(distinct.size)
    return distinct, position[codes]


def _canonical_names(
    band: str | None, telescope: str | None, instrument: str | None
) -> tuple[str | None, str | None, str | None]:
    """Canonical (band, telescope, instrument) of one row's names."""
    canonical_telescope, canonical_instrument = canonical_facility(telescope, instrument)
    return (
        None if band is None else canonical_band(band, telescope, instrument),
        canonical_telescope,
        canonical_instrument,
    )


def with_detection_fluxes(table: pa.Table) -> pa.Table:
    """``table`` where every AB detection without a flux has the flux (and error) of its magnitude."""
    if table.num_rows == 0:
        return table
    mag, magerr = _floats(table, "mag"), _floats(table, "magerr")
    is_ab = np.asarray(
        pc.fill_null(pc.equal(pc.utf8_lower(table.column("magsys")), "ab"), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    missing = is_ab & _valid_mask(table, "mag") & ~_valid_mask(table, "flux")
    if not missing.any():
        return table
    flux, fluxerr = _floats(table, "flux"), _floats(table, "fluxerr")
    derived = mag_to_flux_array(mag)
    flux = np.where(missing, derived, flux)
    fluxerr = np.where(
        missing & ~_valid_mask(table, "fluxerr"), magerr_to_fluxerr_array(derived, magerr), fluxerr
    )
    table = table.set_column(table.schema.get_field_index("flux"), "flux", float_column(flux))
    return table.set_column(table.schema.get_field_index("fluxerr"), "fluxerr", float_column(fluxerr))
