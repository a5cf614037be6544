"""Times in photometry files: MJD, JD or ISO dates (UTC), turned into MJD.

The format comes from the column name (``mjd``, ``jd``, ``date-obs``...) or from an explicit
option, never from the values: a guess would silently store a JD as an MJD in the year 8595 (as
TOM Toolkit does). Values are then checked against 1900–2100 so such a mix-up is caught with the
file, the line and the value named. Heliocentric and barycentric times (HJD, BJD) are in another
time scale at another place: they are refused rather than mixed with the observatory's UTC.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.units import EARLIEST_MJD as MJD_MIN
from tom_tui.domain.units import JD_MINUS_MJD
from tom_tui.domain.units import LATEST_MJD as MJD_MAX

MAX_REPORTED_PROBLEMS = 10
# Time columns in a barycentric or heliocentric frame (and TDB/TCB scales), by name.
NOT_UTC_TIME_COLUMNS = ("hjd", "bjd", "bjd_tdb", "hmjd", "bmjd", "bmjd_tdb", "hjd_utc", "bjd_utc")


class TimeFormat(StrEnum):
    MJD = "mjd"
    JD = "jd"
    ISO = "iso"


# Column names whose meaning is certain. "time" is MJD by the TOM Toolkit photometry format.
_NAMES_BY_FORMAT: dict[TimeFormat, tuple[str, ...]] = {
    TimeFormat.MJD: ("mjd", "mjd_obs", "mjd-obs", "time", "obsmjd"),
    TimeFormat.JD: ("jd", "jd_obs"),
    TimeFormat.ISO: ("date", "date-obs", "date_obs", "dateobs", "obsdate", "isot", "utc", "datetime"),
}
_NAME_FORMATS: dict[str, TimeFormat] = {
    name: fmt for fmt, names in _NAMES_BY_FORMAT.items() for name in names
}

# Found last, so that a file with both a UTC and a heliocentric column is read by the UTC one.
TIME_COLUMN_NAMES: tuple[str, ...] = (*_NAME_FORMATS, *NOT_UTC_TIME_COLUMNS)


def format_for_column(name: str) -> TimeFormat | None:
    return _NAME_FORMATS.get(name.strip().lower())


def refuse_other_time_scales(source: str, column_name: str) -> None:
    """Refuse a time column in a heliocentric or barycentric frame: stored times are UTC MJD at
    the observatory, and converting needs the target's position and the observatory's."""
    if column_name.strip().lower() in NOT_UTC_TIME_COLUMNS:
        raise ValidationError(
            f"{source}: time column {column_name!r} is a heliocentric or barycentric time, not the "
            "UTC time of the observation that tom-tui stores; give a UTC column (mjd, jd or date-obs) "
            "with --column time=NAME"
        )


def _range_text(fmt: TimeFormat) -> str:
    if fmt is TimeFormat.JD:
        return f"a JD between {MJD_MIN + JD_MINUS_MJD:.0f} and {MJD_MAX + JD_MINUS_MJD:.0f} (years 1900–2100)"
    return f"an MJD between {MJD_MIN:.0f} and {MJD_MAX:.0f} (years 1900–2100)"


def _hint(value: float, fmt: TimeFormat) -> str:
    if fmt is TimeFormat.MJD and MJD_MIN + JD_MINUS_MJD <= value <= MJD_MAX + JD_MINUS_MJD:
        return "; it looks like a JD: use --time-format jd (or name the column jd)"
    if fmt is TimeFormat.JD and MJD_MIN <= value <= MJD_MAX:
        return "; it looks like an MJD: use --time-format mjd (or name the column mjd)"
    return ""


class InvalidRows(ValidationError):
    """Bad values in some rows of a file: the message names the first ones, ``lines`` every bad
    line with what is wrong there (so that the rows can be skipped on request)."""

    def __init__(self, message: str, problems: list[str], lines: dict[int, str]) -> None:
        super().__init__(message, problems)
        self.lines = lines


class _TimeProblems:
    """Problems with one time column, each naming the file, the line and the column (up to 10)."""

    def __init__(self, source: str, column_name: str, line_numbers: Sequence[int] | np.ndarray) -> None:
        self.source = source
        self.column_name = column_name
        self.line_numbers = line_numbers
        self.items: list[str] = []
        self.lines: dict[int, str] = {}

    def add(self, index: int | np.integer, text: str) -> None:
        line = int(self.line_numbers[int(index)])
        self.lines.setdefault(line, f"{self.column_name}: {text}")
        if len(self.items) < MAX_REPORTED_PROBLEMS:
            self.items.append(f"{self.source}: line {line}: {self.column_name}: {text}")


def times_to_mjd(
    column: pa.ChunkedArray | pa.Array,
    fmt: TimeFormat,
    *,
    source: str,
    field: str,
    line_numbers: Sequence[int] | np.ndarray,
    row_word: str = "line",
) -> np.ndarray:
    """MJD values of a time column; raises ValidationError naming every bad line (up to 10)."""
    problems = _TimeProblems(source, field, line_numbers)
    if fmt is TimeFormat.ISO:
        mjd = _iso_to_mjd(column, problems)
    else:
        mjd = _numeric(column, problems)
        if fmt is TimeFormat.JD:
            mjd = mjd - JD_MINUS_MJD
    if not problems.items:
        bad = np.flatnonzero(~((mjd >= MJD_MIN) & (mjd <= MJD_MAX)))
        raw = mjd + (JD_MINUS_MJD if fmt is TimeFormat.JD else 0.0)
        for index in bad:
            value = float(raw[index])
            problems.add(index, f"{value!r} is not {_range_text(fmt)}" + _hint(value, fmt))
        if len(bad) > MAX_REPORTED_PROBLEMS:
            problems.items.append(f"{source}: ... and {len(bad) - MAX_REPORTED_PROBLEMS} more bad times")
    if problems.items:
        messages = problems.items
        if row_word != "line":
            messages = [message.replace(": line ", f": {row_word} ", 1) for message in messages]
        raise InvalidRows(messages[0], messages, problems.lines)
    return mjd


def _numeric(column: pa.ChunkedArray | pa.Array, problems: _TimeProblems) -> np.ndarray:
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        values = np.asarray(values, dtype=np.float64)
        for missing in np.flatnonzero(np.isnan(values)):
            problems.add(missing, "missing time")
        return values
    texts = column.cast(pa.string()).to_pylist()
    values = np.empty(len(texts), dtype=np.float64)
    for index, text in enumerate(texts):
        try:
            values[index] = float(text) if text not in (None, "") else np.nan
        except ValueError:
            values[index] = np.nan
        if np.isnan(values[index]):
            problems.add(index, "missing time" if text in (None, "") else f"{text!r} is not a number")
    return values


def _iso_to_mjd(column: pa.ChunkedArray | pa.Array, problems: _TimeProblems) -> np.ndarray:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        stamps = pc.cast(column, pa.timestamp("us")).to_numpy(zero_copy_only=False)
    else:
        stamps = _parse_iso_texts(column, problems)
    epoch = np.datetime64("1858-11-17T00:00:00", "us")
    microseconds = (stamps - epoch).astype("timedelta64[us]").astype(np.float64)
    mjd = microseconds / 86_400e6
    mjd[np.isnat(stamps)] = np.nan
    if not problems.items:
        for index in np.flatnonzero(np.isnan(mjd)):
            problems.add(index, "missing time")
    return np.asarray(mjd, dtype=np.float64)


def _parse_iso_texts(column: pa.ChunkedArray | pa.Array, problems: _TimeProblems) -> np.ndarray:
    """Timestamps of ISO date texts: all at once, or one at a time to name the bad ones."""
    texts = pc.utf8_trim_whitespace(column.cast(pa.string()))
    texts = pc.replace_substring_regex(texts, r"(Z|UTC|\+00:?00)$", "")
    raw = texts.to_numpy(zero_copy_only=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.array(raw, dtype="datetime64[us]")
        except ValueError:
            stamps = np.empty(len(raw), dtype="datetime64[us]")
            for index, text in enumerate(raw):
                try:
                    stamps[index] = np.datetime64(text, "us")
                except ValueError:
                    stamps[index] = np.datetime64("NaT")
                    problems.add(index, f"{text!r} is not an ISO date (expected e.g. 2024-01-31T03:12:45)")
            return stamps
