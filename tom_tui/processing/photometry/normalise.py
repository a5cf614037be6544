"""Turning a raw table of any supported layout into the one photometry schema.

Column meaning comes from an explicit mapping first, then from well-known names (``magnitude``,
``e_magnitude``, ``limiting_mag``, ``fluxerr``...). Every value is checked; a bad one raises a
ValidationError that names the file, the line, the field, the value and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import (
    BRIGHTEST_MAG,
    DETECTION_SNR,
    FAINTEST_MAG,
    LIMIT_SIGMA,
    MEASUREMENT_SCHEMA,
    float_column,
)
from tom_tui.domain.units import (
    AB_ZERO_POINT_UJY,
    flux_to_mag_array,
    fluxerr_to_magerr_array,
    mag_to_flux_array,
    magerr_to_fluxerr_array,
)
from tom_tui.processing.photometry.readers import PhotometryFormat, RawTable
from tom_tui.processing.photometry.timeformat import (
    MAX_REPORTED_PROBLEMS,
    TIME_COLUMN_NAMES,
    InvalidRows,
    TimeFormat,
    format_for_column,
    refuse_other_time_scales,
    times_to_mjd,
)

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "mag": ("mag", "magnitude", "m", "mag_ab", "magpsf"),
    "magerr": (
        "magerr",
        "error",
        "e_magnitude",
        "mag_err",
        "magnitude_error",
        "e_mag",
        "dm",
        "mag_error",
        "emag",
        "sigmapsf",
        "sigma_mag",
    ),
    "limit": (
        "limit",
        "limiting_mag",
        "lim_mag",
        "maglim",
        "limiting_magnitude",
        "mag5sig",
        "diffmaglim",
        "upper_limit",
    ),
    "is_limit": ("upperlimit", "is_limit", "islimit", "upper_limit_flag"),
    "filter": ("filter", "band", "passband", "filtercode", "filt", "flt", "f"),
    "flux": ("flux", "fluxes", "ujy", "flux_ujy"),
    "fluxerr": ("fluxerr", "flux_err", "e_flux", "flux_error", "fluxerror", "dujy", "flux_ujy_err"),
    "zp": ("zp", "zeropoint", "zero_point", "magzp"),
    "magsys": ("magsys", "mag_sys", "system"),
    "telescope": ("telescope", "tel", "telescop"),
    "instrument": ("instrument", "instrume", "inst"),
    "source": ("source", "origin", "survey", "observer"),
}
MAPPABLE_FIELDS = ("time", *FIELD_ALIASES)
MAG_RANGE = (BRIGHTEST_MAG, FAINTEST_MAG)

# µJy per unit for flux columns whose unit a user states or an ECSV file carries.
FLUX_UNITS_UJY = {"ujy": 1.0, "µjy": 1.0, "mjy": 1e3, "jy": 1e6, "njy": 1e-3}


@dataclass
class ReadOptions:
    format: PhotometryFormat = PhotometryFormat.AUTO
    time_format: TimeFormat | None = None
    columns: dict[str, str] = field(default_factory=dict)  # our field -> file column
    filter: str | None = None  # for files without a filter column
    telescope: str | None = None
    instrument: str | None = None
    source: str | None = None
    flux_unit: str | None = None  # for a flux column without zero point; default µJy
    zero_point: float | None = None  # AB zero point of a flux column, when the file has none
    # Magnitude system for files without a magsys column. Only AB magnitudes are turned into
    # fluxes; anything else ("vega", "instrumental") is kept as magnitudes alone.
    magsys: str = "ab"
    where: dict[str, str] = field(default_factory=dict)  # keep only rows whose column has this value
    skip_invalid: bool = False  # leave out rows with bad values (each reported) instead of refusing the file


@dataclass
class NormalisedPhotometry:
    table: pa.Table  # MEASUREMENT_SCHEMA
    line_numbers: np.ndarray  # file line of every kept row
    format: PhotometryFormat
    skipped_lines: list[int] = field(default_factory=list)  # rows holding no measurement
    invalid_lines: list[str] = field(default_factory=list)  # rows left out with skip_invalid, and why
    notes: list[str] = field(default_factory=list)  # sentinel values read as "no value", per line


class _Problems:
    def __init__(self, source: str, row_word: str = "line") -> None:
        self.source = source
        self.row_word = row_word
        self.items: list[str] = []
        self.lines: dict[int, str] = {}  # every bad line, with its first problem
        self.notes: list[str] = []

    def add(self, line: int | None, name: str, text: str) -> None:
        if line is not None:
            self.lines.setdefault(line, f"{name}: {text}")
        if len(self.items) < MAX_REPORTED_PROBLEMS:
            where = f"{self.row_word} {line}: " if line is not None else ""
            self.items.append(f"{self.source}: {where}{name}: {text}")

    def note(self, line: int, text: str) -> None:
        self.notes.append(f"{self.source}: {self.row_word} {line}: {text}")

    def raise_if_any(self) -> None:
        if self.items:
            if self.lines:
                raise InvalidRows(self.items[0], list(self.items), dict(self.lines))
            raise ValidationError(self.items[0], problems=list(self.items))


def _find_column(raw: RawTable, wanted: str, options: ReadOptions) -> str | None:
    names: dict[str, str] = {str(name).lower(): str(name) for name in raw.table.column_names}
    explicit = options.columns.get(wanted)
    if explicit is not None:
        if explicit in names.values():
            return explicit
        if explicit.lower() in names:
            return names[explicit.lower()]
        raise ValidationError(
            f"{raw.source}: column {explicit!r} given for {wanted} is not in the file; "
            f"its columns are: {', '.join(raw.table.column_names)}"
        )
    aliases = TIME_COLUMN_NAMES if wanted == "time" else FIELD_ALIASES[wanted]
    for alias in aliases:
        if alias in names:
            return names[alias]
    return None


def _floats(raw: RawTable, column: str | None, name: str, problems: _Problems) -> np.ndarray | None:
    if column is None:
        return None
    data = raw.table.column(column)
    if pa.types.is_floating(data.type) or pa.types.is_integer(data.type):
        return np.asarray(data.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_null(data.type):
        return np.full(raw.table.num_rows, np.nan)
    texts = data.cast(pa.string()).to_pylist()
    values = np.full(len(texts), np.nan)
    for index, text in enumerate(texts):
        if text is None:
            continue
        try:
            values[index] = float(text)
        except ValueError:
            problems.add(int(raw.line_numbers[index]), name, f"{text!r} is not a number")
    return values


def _strings(raw: RawTable, column: str | None, default: str | None) -> pa.Array:
    count = raw.table.num_rows
    if column is None:
        return pa.array([default] * count, type=pa.string()) if default else pa.nulls(count, pa.string())
    values = pc.utf8_trim_whitespace(raw.table.column(column).cast(pa.string()))
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    if default:
        values = pc.fill_null(values, default)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _check_range(
    values: np.ndarray | None,
    raw: RawTable,
    name: str,
    low: float,
    high: float,
    expected: str,
    problems: _Problems,
) -> None:
    if values is None:
        return
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isnan(values) & ((values < low) | (values > high)))
    for index in bad:
        problems.add(int(raw.line_numbers[index]), name, f"{float(values[index])!r} is not {expected}")


def _extra_json(raw: RawTable, used: set[str]) -> pa.Array:
    """The unused columns of every row as a JSON object (vectorised: no per-row Python)."""
    rest = [name for name in raw.table.column_names if name not in used]
    if not rest:
        return pa.nulls(raw.table.num_rows, pa.string())
    parts: list[pa.Array | str] = []
    for position, name in enumerate(rest):
        column = raw.table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            escaped = _escape_json_controls(
                pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
            )
            text = pc.binary_join_element_wise('"', escaped, '"', "")
        elif pa.types.is_boolean(column.type) or pa.types.is_integer(column.type):
            text = column.cast(pa.string())
        else:
            floats = column.cast(pa.float64())
            floats = pc.if_else(pc.is_nan(floats), pa.scalar(None, pa.float64()), floats)
            text = floats.cast(pa.string())
        key = ("{" if position == 0 else ",") + orjson.dumps(name.replace('"', "'")).decode() + ":"
        parts.append(key)
        parts.append(pc.fill_null(text, "null"))
    parts.append("}")
    joined = pc.binary_join_element_wise(*parts, "")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _escape_json_controls(text: Any) -> Any:
    """Control characters (a tab or a line break inside a quoted CSV field) as JSON escapes, so
    that the ``extra`` column stays valid JSON; a pass per character actually present."""
    if not pc.any(pc.match_substring_regex(text, "[\\x00-\\x1f]")).as_py():
        return text
    for code in range(0x20):
        character = chr(code)
        if pc.any(pc.match_substring(text, character)).as_py():
            text = pc.replace_substring(text, character, f"\\u{code:04x}")
    return text


def _select_rows(raw: RawTable, where: dict[str, str]) -> None:
    """Keep the rows of one object in a multi-object table (``--where star_id=1``)."""
    names = {name.lower(): name for name in raw.table.column_names}
    mask = np.ones(raw.table.num_rows, dtype=bool)
    for column, wanted in where.items():
        actual = names.get(column.lower())
        if actual is None:
            raise ValidationError(
                f"{raw.source}: --where column {column!r} is not in the file; "
                f"its columns are: {', '.join(raw.table.column_names)}"
            )
        values = raw.table.column(actual)
        if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
            try:
                target = float(wanted)
            except ValueError as error:
                raise ValidationError(f"--where {column}={wanted}: {column} holds numbers") from error
            selected = pc.equal(values.cast(pa.float64()), target)
        else:
            selected = pc.equal(pc.utf8_trim_whitespace(values.cast(pa.string())), wanted.strip())
        mask &= np.asarray(pc.fill_null(selected, False).to_numpy(zero_copy_only=False), dtype=bool)
    if not mask.any():
        shown = ", ".join(f"{k}={v}" for k, v in where.items())
        raise ValidationError(f"{raw.source}: no row has {shown}")
    raw.table = raw.table.filter(pa.array(mask))
    raw.line_numbers = raw.line_numbers[mask]


@dataclass
class _Brightness:
    """The brightness columns of a table, one value a row; NaN where a row has none."""

    mag: np.ndarray
    magerr: np.ndarray
    limit: np.ndarray
    flux: np.ndarray
    fluxerr: np.ndarray


def normalise(raw: RawTable, options: ReadOptions) -> NormalisedPhotometry:
    if raw.format is PhotometryFormat.ATLAS:
        _prepare_atlas(raw, options)
    elif raw.format is PhotometryFormat.ZTF_FPS:
        _prepare_ztf_fps(raw, options)
    if options.where:
        _select_rows(raw, options.where)
    invalid: list[str] = []
    while True:
        try:
            result = _measurements(raw, options)
        except InvalidRows as error:
            if not options.skip_invalid or not _drop_lines(raw, set(error.lines)):
                raise
            invalid.extend(
                f"{raw.source}: {raw.row_word} {line}: {reason}"
                for line, reason in sorted(error.lines.items())
            )
            continue
        result.invalid_lines = invalid
        return result


def _drop_lines(raw: RawTable, lines: set[int]) -> bool:
    """Leave the rows of ``lines`` out of ``raw``; False when none of them was there."""
    keep = ~np.isin(raw.line_numbers, np.fromiter(lines, dtype=np.int64, count=len(lines)))
    if keep.all():
        return False
    raw.table = raw.table.filter(pa.array(keep))
    raw.line_numbers = raw.line_numbers[keep]
    return True


def _measurements(raw: RawTable, options: ReadOptions) -> NormalisedPhotometry:
    """The measurements of every row, or InvalidRows naming the rows with bad values."""
    problems = _Problems(raw.source, raw.row_word)
    columns = {name: _find_column(raw, name, options) for name in MAPPABLE_FIELDS}
    time_column, time_format = _time_column_and_format(raw, columns["time"], options)
    default_magsys = options.magsys.strip().lower() or "ab"
    magsys = _strings(raw, columns["magsys"], default_magsys)
    is_ab = np.asarray(
        pc.fill_null(pc.equal(pc.utf8_lower(magsys), "ab"), True).to_numpy(zero_copy_only=False), dtype=bool
    )
    brightness = _read_brightness(raw, columns, options, is_ab, problems)
    has_measurement = ~np.isnan(brightness.mag) | ~np.isnan(brightness.limit) | ~np.isnan(brightness.flux)
    filters = _filters(raw, columns["filter"], options, has_measurement, problems)
    keep = np.flatnonzero(has_measurement)
    everything = len(keep) == raw.table.num_rows

    def kept(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        return values if everything else values.take(pa.array(keep))

    def kept_floats(values: np.ndarray) -> pa.Array:
        return float_column(values if everything else values[keep])

    kept_lines = raw.line_numbers if everything else raw.line_numbers[keep]
    mjd = times_to_mjd(
        kept(raw.table.column(time_column)),
        time_format,
        source=raw.source,
        field=time_column,
        line_numbers=kept_lines,
        row_word=raw.row_word,
    )
    used = {name for name in columns.values() if name is not None}
    result = pa.table(
        {
            "mjd": pa.array(mjd, type=pa.float64()),
            "filter": kept(filters),
            "mag": kept_floats(brightness.mag),
            "magerr": kept_floats(brightness.magerr),
            # A detection keeps the limiting magnitude of its image too (ATLAS, SkyPortal files).
            "limit": kept_floats(brightness.limit),
            "flux": kept_floats(brightness.flux),
            "fluxerr": kept_floats(brightness.fluxerr),
            "magsys": kept(pc.fill_null(magsys, default_magsys)),
            "telescope": kept(_strings(raw, columns["telescope"], options.telescope)),
            "instrument": kept(_strings(raw, columns["instrument"], options.instrument)),
            "source": kept(_strings(raw, columns["source"], options.source)),
            "extra": kept(_extra_json(raw, used)),
            "negative_subtraction": pa.nulls(len(mjd), pa.bool_()),
        },
        schema=MEASUREMENT_SCHEMA,
    )
    skipped = np.flatnonzero(~has_measurement)
    return NormalisedPhotometry(
        result,
        kept_lines,
        raw.format,
        skipped_lines=[int(raw.line_numbers[i]) for i in skipped],
        notes=problems.notes,
    )


def _time_column_and_format(
    raw: RawTable, time_column: str | None, options: ReadOptions
) -> tuple[str, TimeFormat]:
    if time_column is None:
        raise ValidationError(
            f"{raw.source}: no time column (looked for {', '.join(TIME_COLUMN_NAMES[:8])}...); "
            f"name one with --column time=NAME; columns are: {', '.join(raw.table.column_names)}"
        )
    refuse_other_time_scales(raw.source, time_column)
    time_format = options.time_format or (
        TimeFormat.MJD if raw.units.get(time_column) == "mjd" else format_for_column(time_column)
    )
    if time_format is None:
        raise ValidationError(
            f"{raw.source}: the format of time column {time_column!r} is unknown; "
            "give --time-format mjd, jd or iso"
        )
    return time_column, time_format


# What files write in a magnitude column for "no value" (SkyPortal, IRAF, SExtractor).
SENTINEL_MAGNITUDES = (99.0, -99.0)


def _without_sentinels(
    raw: RawTable,
    mag: np.ndarray | None,
    magerr: np.ndarray | None,
    limit: np.ndarray | None,
    problems: _Problems,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """The magnitude columns with their "no value" sentinels blanked, each noted with its line:
    99 or -99 in a magnitude, error or limit, and an error of 0 next to no magnitude (a limit)."""
    cleaned: list[np.ndarray | None] = []
    for name, values in (("magnitude", mag), ("magnitude error", magerr), ("limit", limit)):
        if values is None:
            cleaned.append(None)
            continue
        sentinel = np.isin(values, SENTINEL_MAGNITUDES)
        if name == "magnitude error" and mag is not None:
            sentinel |= (values == 0) & (np.isnan(mag) | np.isin(mag, SENTINEL_MAGNITUDES))
        for index in np.flatnonzero(sentinel):
            problems.note(int(raw.line_numbers[index]), f"{name} {values[index]:g} read as no value")
        cleaned.append(np.where(sentinel, np.nan, values))
    return cleaned[0], cleaned[1], cleaned[2]


def _read_brightness(
    raw: RawTable,
    columns: dict[str, str | None],
    options: ReadOptions,
    is_ab: np.ndarray,
    problems: _Problems,
) -> _Brightness:
    """Magnitudes, limits and µJy fluxes, each derived from the others where the file lacks it."""
    mag = _floats(raw, columns["mag"], "magnitude", problems)
    magerr = _floats(raw, columns["magerr"], "magnitude error", problems)
    limit = _floats(raw, columns["limit"], "limit", problems)
    flux = _floats(raw, columns["flux"], "flux", problems)
    fluxerr = _floats(raw, columns["fluxerr"], "flux error", problems)
    zp = _floats(raw, columns["zp"], "zero point", problems)
    problems.raise_if_any()
    mag, magerr, limit = _without_sentinels(raw, mag, magerr, limit, problems)
    if mag is None and flux is None and limit is None:
        raise ValidationError(
            f"{raw.source}: no magnitude, flux or limit column; name one with --column mag=NAME "
            f"(columns are: {', '.join(raw.table.column_names)})"
        )
    nan = np.full(raw.table.num_rows, np.nan)
    brightness = _Brightness(
        mag=nan.copy() if mag is None else mag,
        magerr=nan.copy() if magerr is None else magerr,
        limit=nan.copy() if limit is None else limit,
        flux=nan.copy() if flux is None else flux,
        fluxerr=nan.copy() if fluxerr is None else fluxerr,
    )
    if columns["is_limit"] is not None:
        _apply_limit_flags(raw.table.column(columns["is_limit"]), brightness)
    if flux is not None:
        brightness.flux, brightness.fluxerr = _flux_in_ujy(
            raw, columns["flux"], brightness.flux, brightness.fluxerr, zp, options, is_ab
        )
        _magnitudes_from_flux(brightness, is_ab)
    else:
        brightness.flux = np.where(is_ab, mag_to_flux_array(brightness.mag), np.nan)
        brightness.fluxerr = np.where(
            is_ab, magerr_to_fluxerr_array(brightness.flux, brightness.magerr), np.nan
        )
    _check_range(brightness.mag, raw, "magnitude", *MAG_RANGE, "a magnitude (-30 to 40)", problems)
    _check_range(brightness.limit, raw, "limit", *MAG_RANGE, "a limiting magnitude (-30 to 40)", problems)
    _check_range(
        brightness.magerr, raw, "magnitude error", 0.0, 10.0, "an error between 0 and 10 mag", problems
    )
    _check_range(brightness.fluxerr, raw, "flux error", 0.0, math.inf, "a flux error >= 0", problems)
    problems.raise_if_any()
    return brightness


def _apply_limit_flags(flag_column: pa.ChunkedArray, brightness: _Brightness) -> None:
    """Rows flagged as upper limits carry their limiting magnitude in the magnitude column."""
    if pa.types.is_boolean(flag_column.type):
        flags = np.asarray(pc.fill_null(flag_column, False).to_numpy(zero_copy_only=False), dtype=bool)
    else:
        texts = pc.utf8_lower(pc.fill_null(flag_column.cast(pa.string()), "false"))
        flags = np.asarray(pc.is_in(texts, pa.array(["true", "t", "1", "yes", "y", "1.0"])), dtype=bool)
    brightness.limit = np.where(flags & np.isnan(brightness.limit), brightness.mag, brightness.limit)
    brightness.mag = np.where(flags, np.nan, brightness.mag)
    brightness.magerr = np.where(flags, np.nan, brightness.magerr)


def _magnitudes_from_flux(brightness: _Brightness, is_ab: np.ndarray) -> None:
    """AB magnitudes for significant fluxes, and 5-sigma limits for the rest, where none are given."""
    flux, fluxerr = brightness.flux, brightness.fluxerr
    snr = np.divide(flux, fluxerr, out=np.full(len(flux), np.inf), where=fluxerr > 0)
    measured = ~np.isnan(flux) & np.isnan(brightness.mag)
    detected = measured & (snr >= DETECTION_SNR) & is_ab
    brightness.mag = np.where(detected, flux_to_mag_array(flux), brightness.mag)
    brightness.magerr = np.where(
        detected & np.isnan(brightness.magerr), fluxerr_to_magerr_array(flux, fluxerr), brightness.magerr
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        five_sigma = AB_ZERO_POINT_UJY - 2.5 * np.log10(LIMIT_SIGMA * fluxerr)
    needs_limit = np.isnan(brightness.mag) & np.isnan(brightness.limit) & (fluxerr > 0) & is_ab
    brightness.limit = np.where(needs_limit, five_sigma, brightness.limit)


def _filters(
    raw: RawTable,
    filter_column: str | None,
    options: ReadOptions,
    has_measurement: np.ndarray,
    problems: _Problems,
) -> pa.Array:
    """Every row's filter; each measured row without one is a problem."""
    filters = _strings(raw, filter_column, options.filter)
    if filter_column is None and not options.filter:
        raise ValidationError(f"{raw.source}: no filter column; give the filter with --filter NAME")
    missing_filter = np.flatnonzero(np.asarray(pc.is_null(filters), dtype=bool) & has_measurement)
    for index in missing_filter:
        problems.add(int(raw.line_numbers[index]), "filter", "missing (give a default with --filter NAME)")
    problems.raise_if_any()
    return filters


def _flux_in_ujy(
    raw: RawTable,
    flux_column: str | None,
    flux: np.ndarray,
    fluxerr: np.ndarray,
    zp: np.ndarray | None,
    options: ReadOptions,
    is_ab: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    if zp is None and options.zero_point is not None:
        zp = np.full(len(flux), options.zero_point)
    if zp is not None:
        scale = np.where(is_ab, 10.0 ** (-0.4 * (zp - AB_ZERO_POINT_UJY)), np.nan)
        return flux * scale, fluxerr * scale
    unit = options.flux_unit or (raw.units.get(flux_column or "") if flux_column else None) or "uJy"
    factor = FLUX_UNITS_UJY.get(unit.replace(" ", "").lower())
    if factor is None:
        raise ValidationError(
            f"{raw.source}: flux unit {unit!r} is not understood; expected one of uJy, nJy, mJy, Jy "
            "or a zero point column"
        )
    return flux * factor, fluxerr * factor


def _require_columns(raw: RawTable, required: set[str], what: str) -> None:
    missing = required - set(raw.table.column_names)
    if missing:
        raise ValidationError(f"{raw.source}: not {what}: missing {', '.join(sorted(missing))}")


def _with_other_columns(
    table: pa.Table, columns: dict[str, pa.Array | pa.ChunkedArray], consumed: set[str]
) -> pa.Table:
    """A survey's columns in our names, followed by the file's columns the survey layout does not use."""
    for name in table.column_names:
        if name not in consumed:
            columns.setdefault(name, table.column(name))
    return pa.table(columns)


def _prepare_atlas(raw: RawTable, options: ReadOptions) -> None:
    """ATLAS forced photometry: flux in µJy, negative ``m`` for negative flux, 5σ limit ``mag5sig``."""
    table = raw.table
    names = set(table.column_names)
    _require_columns(raw, {"MJD", "uJy", "duJy", "F", "mag5sig"}, "an ATLAS forced-photometry file")
    band = pc.binary_join_element_wise("atlas", table.column("F").cast(pa.string()), "")
    observation = table.column("Obs").cast(pa.string()) if "Obs" in names else None
    unit = pc.utf8_slice_codeunits(observation, 0, 3) if observation is not None else None
    columns = {
        "mjd": table.column("MJD"),
        "filter": band,
        "flux": table.column("uJy"),
        "fluxerr": table.column("duJy"),
        "limit": table.column("mag5sig"),
        "telescope": pa.array(["ATLAS"] * table.num_rows),
    }
    if unit is not None:
        columns["instrument"] = unit
    raw.table = _with_other_columns(
        table, columns, consumed={"MJD", "F", "uJy", "duJy", "mag5sig", "m", "dm"}
    )
    options.source = options.source or "ATLAS forced photometry"
    options.columns = {k: v for k, v in options.columns.items() if k not in {"time", "flux", "fluxerr"}}


def _prepare_ztf_fps(raw: RawTable, options: ReadOptions) -> None:
    """ZTF forced-photometry service: DN fluxes with a per-row zero point ``zpdiff``, JD times."""
    table = raw.table
    names = set(table.column_names)
    required = {"jd", "forcediffimflux", "forcediffimfluxunc", "zpdiff", "filter"}
    _require_columns(raw, required, "a ZTF forced-photometry file")
    flux = table.column("forcediffimflux").cast(pa.float64())
    # The service writes -99999 (older files) or null where no flux could be measured.
    flux = pc.if_else(pc.less_equal(flux, -99999), pa.scalar(None, pa.float64()), flux)
    fluxerr = table.column("forcediffimfluxunc").cast(pa.float64())
    fluxerr = pc.if_else(pc.less_equal(fluxerr, -99999), pa.scalar(None, pa.float64()), fluxerr)
    band = pc.replace_substring(pc.utf8_lower(table.column("filter").cast(pa.string())), "_", "")
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "jd": table.column("jd"),
        "filter": band,
        "flux": flux,
        "fluxerr": fluxerr,
        "zp": table.column("zpdiff"),
        "limit": table.column("diffmaglim")
        if "diffmaglim" in names
        else pa.nulls(table.num_rows, pa.float64()),
        "telescope": pa.array(["P48"] * table.num_rows),
        "instrument": pa.array(["ZTF"] * table.num_rows),
    }
    consumed = {"jd", "filter", "forcediffimflux", "forcediffimfluxunc", "zpdiff", "diffmaglim"}
    raw.table = _with_other_columns(table, columns, consumed)
    options.source = options.source or "ZTF forced photometry"
