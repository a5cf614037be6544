"""Reading photometry files into raw Arrow tables with the file line of every row.

Formats: comma-separated tables (TOM Toolkit, SkyPortal, OAC, IRSA/ZTF light curves and any
CSV with a column mapping), ECSV with units, ATLAS forced-photometry text files and ZTF
forced-photometry service files. :func:`detect_format` picks one from the first lines of a file;
the column meaning is worked out later by :mod:`.normalise`.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv

from tom_tui.domain.errors import ValidationError

NULL_TEXTS = ["", "NA", "N/A", "n/a", "nan", "NaN", "NAN", "null", "NULL", "None", "none", "--", "-"]


class PhotometryFormat(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    ECSV = "ecsv"
    ATLAS = "atlas"
    ZTF_FPS = "ztf-fps"
    FITS = "fits"
    TOMTOOLKIT_JSON = "tomtoolkit-json"  # TOM Toolkit's /api/reduceddatums/ answer


@dataclass
class RawTable:
    """A file's rows as read, before any column is interpreted."""

    table: pa.Table
    line_numbers: np.ndarray  # 1-based line in the file of each row
    source: str  # file name used in error messages
    format: PhotometryFormat
    units: dict[str, str] = field(default_factory=dict)  # column -> astropy unit text (ECSV)
    metadata: dict[str, Any] = field(default_factory=dict)
    row_word: str = "line"  # how errors point at a row: file lines, or rows of a FITS table


def detect_format(path: Path) -> PhotometryFormat:
    with open(path, "rb") as handle:
        raw_head = handle.read(65536)
    if raw_head.startswith(b"SIMPLE  ="):
        return PhotometryFormat.FITS
    head = raw_head.decode("utf-8", errors="replace")
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if not lines:
        raise ValidationError(f"{path.name}: the file is empty; expected a photometry table")
    first = lines[0]
    if first.startswith(("[", "{")):
        return PhotometryFormat.TOMTOOLKIT_JSON
    if first.startswith("# %ECSV"):
        return PhotometryFormat.ECSV
    if first.startswith("###") and "MJD" in first.upper():
        return PhotometryFormat.ATLAS
    if "forcediffimflux" in head and "zpdiff" in head:
        return PhotometryFormat.ZTF_FPS
    return PhotometryFormat.CSV


def read_raw(path: Path, fmt: PhotometryFormat = PhotometryFormat.AUTO) -> RawTable:
    if fmt is PhotometryFormat.AUTO:
        fmt = detect_format(path)
    readers = {
        PhotometryFormat.CSV: read_csv,
        PhotometryFormat.ECSV: read_ecsv,
        PhotometryFormat.ATLAS: read_whitespace_table,
        PhotometryFormat.ZTF_FPS: read_whitespace_table,
        PhotometryFormat.FITS: read_fits_table,
        PhotometryFormat.TOMTOOLKIT_JSON: read_tomtoolkit_json,
    }
    raw = readers[fmt](path)
    raw.format = fmt
    return _from_tomtoolkit_names(raw)


def _line_starts(data: bytes) -> np.ndarray:
    """Byte offset at which each line of ``data`` starts."""
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return np.concatenate(([0], newlines + 1))


def _data_line_numbers(data: bytes, header_line: int, row_count: int) -> np.ndarray:
    """Line numbers of the data rows after ``header_line`` (1-based), skipping blank lines."""
    first_data_line = header_line + 1
    if b"\n\n" not in data and b"\n\r\n" not in data:
        return np.arange(first_data_line, first_data_line + row_count, dtype=np.int64)
    starts = _line_starts(data)
    ends = np.concatenate((starts[1:] - 1, [len(data)]))
    lengths = ends - starts
    carriage_only = np.zeros(len(starts), dtype=bool)
    single = np.flatnonzero(lengths == 1)
    buffer = np.frombuffer(data, dtype=np.uint8)
    carriage_only[single] = buffer[starts[single]] == 13
    non_blank = np.flatnonzero((lengths > 0) & ~carriage_only) + 1
    numbers = non_blank[non_blank >= first_data_line]
    return np.asarray(numbers[:row_count], dtype=np.int64)


def _leading_comment_lines(text_head: str, marker: str = "#") -> int:
    count = 0
    for line in text_head.splitlines():
        if line.startswith(marker) or not line.strip():
            count += 1
        else:
            break
    return count


def _explain_parse_error(
    path: Path, data: bytes, skip: int, delimiter: str, error: Exception
) -> ValidationError:
    """pyarrow does not say which line broke; find it with the csv module."""
    if "utf8" in str(error).lower().replace("-", ""):
        for line_number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return ValidationError(
                    f"{path.name}: line {line_number}: not UTF-8 text (save the file as UTF-8)"
                )
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")), delimiter=delimiter)
    expected: int | None = None
    try:
        for line_number, row in enumerate(reader, start=1):
            if line_number <= skip or not row:
                continue
            if expected is None:
                expected = len(row)
            elif len(row) != expected:
                return ValidationError(
                    f"{path.name}: line {line_number}: expected {expected} fields like the header, "
                    f"found {len(row)}"
                )
    except csv.Error as csv_error:  # a stray carriage return or NUL; the csv module says which
        return ValidationError(f"{path.name}: line {reader.line_num}: not a readable CSV line ({csv_error})")
    return ValidationError(f"{path.name}: not a readable table ({error})")


def read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    if not data[:65536].strip() and not data.strip():
        raise ValidationError(f"{path.name}: the file is empty; expected a photometry table")
    # The head tells a binary file from a table; pyarrow checks the UTF-8 of the rest.
    head = data[:65536]
    if b"\x00" in head:
        raise ValidationError(
            f"{path.name}: not a text file; photometry files are CSV, ECSV, ATLAS or ZTF "
            "forced-photometry text, or FITS tables"
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        cut_by_the_slice = len(data) > len(head) and error.start >= len(head) - 4
        if not cut_by_the_slice:  # not merely a character cut in two by the 64 KiB slice
            line = head[: error.start].count(b"\n") + 1
            raise ValidationError(
                f"{path.name}: line {line}: not UTF-8 text (save the file as UTF-8)"
            ) from error
    skip = _leading_comment_lines(data[:65536].decode("utf-8", errors="replace"))
    lines = data.split(b"\n", skip + 1)
    if len(lines) <= skip:
        raise ValidationError(f"{path.name}: only comment lines; expected a header line of column names")
    header = lines[skip].decode("utf-8", errors="replace")
    if "," not in header and "\t" not in header and len(header.split()) > 1:
        return read_whitespace_table(path)  # "mjd mag magerr filter" columns separated by spaces
    delimiter = "," if "," in header else ("\t" if "\t" in header else ",")
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(skip_rows=skip, block_size=1 << 22),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(null_values=NULL_TEXTS, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as error:
        raise _explain_parse_error(path, data, skip, delimiter, error) from error
    if any(pa.types.is_binary(column.type) for column in table.columns):
        # pyarrow reads a column with bytes that are not UTF-8 as binary instead of failing.
        raise _explain_parse_error(path, data, skip, delimiter, pa.ArrowInvalid("invalid UTF8 data"))
    table = table.rename_columns([name.strip() for name in table.column_names])
    line_numbers = _data_line_numbers(data, skip + 1, table.num_rows)
    return RawTable(table, line_numbers, path.name, PhotometryFormat.CSV)


def read_whitespace_table(path: Path) -> RawTable:
    """Space-separated tables whose header may start with ``#`` (ATLAS ``###MJD``, ZTF FPS)."""
    text = path.read_text(errors="replace")
    lines = text.splitlines()
    header_index: int | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("###") or (not stripped.startswith("#")):
            header_index = index
            break
        # A commented header names every column; the service's column definitions above it
        # ("# forcediffimflux = Forced difference image PSF-fit flux [DN]") name one each.
        if "forcediffimflux" in stripped and "zpdiff" in stripped:
            header_index = index
            break
    if header_index is None:
        raise ValidationError(f"{path.name}: no header line found; expected a column header")
    names = lines[header_index].lstrip("#").replace(",", " ").split()
    columns: list[list[str]] = [[] for _ in names]
    line_numbers: list[int] = []
    for index in range(header_index + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        values = stripped.replace(",", " ").split()
        if len(values) != len(names):
            raise ValidationError(
                f"{path.name}: line {index + 1}: expected {len(names)} fields like the header, "
                f"found {len(values)}"
            )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        line_numbers.append(index + 1)
    arrays = {}
    for name, values in zip(names, columns, strict=True):
        arrays[name] = _typed(values)
    return RawTable(
        pa.table(arrays), np.asarray(line_numbers, dtype=np.int64), path.name, PhotometryFormat.CSV
    )


def _typed(values: list[str]) -> pa.Array:
    cleaned = [None if value in NULL_TEXTS else value for value in values]
    try:
        return pa.array([None if value is None else float(value) for value in cleaned], type=pa.float64())
    except ValueError:
        return pa.array(cleaned, type=pa.string())


def read_ecsv(path: Path) -> RawTable:
    from astropy.table import Table

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as error:  # astropy raises many kinds for a malformed header
        raise ValidationError(f"{path.name}: not a valid ECSV file ({error})") from error
    header_line = _leading_comment_lines(path.read_text(errors="replace")) + 1
    line_numbers = _data_line_numbers(path.read_bytes(), header_line, len(table))
    raw = _from_astropy(table, path.name, line_numbers)
    raw.format = PhotometryFormat.ECSV
    return raw


def read_fits_table(path: Path) -> RawTable:
    """The first binary table of a FITS file; errors name its rows (1-based)."""
    from astropy.io import fits
    from astropy.table import Table

    try:
        with fits.open(path, memmap=False) as hdus:
            index = next((i for i, hdu in enumerate(hdus) if isinstance(hdu, fits.BinTableHDU)), None)
            if index is None:
                raise ValidationError(
                    f"{path.name}: this FITS file has no table; photometry needs a binary table"
                )
        # Reading by path (not from the HDU) lets astropy rebuild Time columns from the header.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # units FITS cannot name are kept as text
            table = Table.read(path, hdu=index, astropy_native=True)
    except OSError as error:
        raise ValidationError(f"{path.name}: not a readable FITS file ({error})") from error
    raw = _from_astropy(table, path.name, np.arange(1, len(table) + 1, dtype=np.int64))
    raw.format = PhotometryFormat.FITS
    raw.row_word = "table row"
    return raw


def _from_astropy(table: Any, source: str, line_numbers: np.ndarray) -> RawTable:
    from astropy.time import Time

    arrays: dict[str, pa.Array] = {}
    units: dict[str, str] = {}
    for name in table.colnames:
        column = table[name]
        if isinstance(column, Time):
            arrays[name] = pa.array(np.asarray(column.utc.mjd, dtype=np.float64))
            units[name] = "mjd"
            continue
        if getattr(column, "ndim", 1) > 1:
            continue  # vector cells (e.g. per-aperture values) have no place in a light curve
        unit = getattr(column, "unit", None)
        if unit is not None:
            units[name] = unit.to_string()
        values = np.ma.asarray(column)
        mask = np.ma.getmaskarray(values)
        raw = np.asarray(values.data if hasattr(values, "data") else values)
        if raw.dtype.kind in "fiu":
            floats = raw.astype(np.float64)
            arrays[name] = pa.array(floats, mask=mask | np.isnan(floats))
        elif raw.dtype.kind == "b":
            arrays[name] = pa.array(raw, mask=mask)
        else:
            texts = [
                None if m else (v.decode() if isinstance(v, bytes) else str(v)).strip()
                for v, m in zip(raw, mask, strict=True)
            ]
            arrays[name] = pa.array(texts, type=pa.string())
    return RawTable(pa.table(arrays), line_numbers, source, PhotometryFormat.ECSV, units=units)


# TOM Toolkit 3.x writes photometry as brightness/bandpass (its download CSV and its API); 2.x as
# magnitude/error/filter. Both carry the time as an ISO ``timestamp`` in UTC.
_TOMTOOLKIT_NAMES = {
    "brightness": "magnitude",
    "brightness_error": "error",
    "bandpass": "filter",
    "source_name": "source",
}
_MAGNITUDE_UNITS = {"", "mag", "mags", "ab", "abmag", "ab mag", "magnitude"}


def _from_tomtoolkit_names(raw: RawTable) -> RawTable:
    """A TOM Toolkit table (photometry download CSV, /api/reduceddatums/ JSON) in the column
    names the normalisation knows: its ISO ``timestamp`` becomes ``mjd``; its ``unit`` must be a
    magnitude, since TOM Toolkit's brightness is read as one."""
    names = raw.table.column_names
    lowered = {name.lower(): name for name in names}
    if "timestamp" not in lowered or "mjd" in lowered or "time" in lowered:
        return raw
    table = raw.table
    renames = {
        lowered[old]: new for old, new in _TOMTOOLKIT_NAMES.items() if old in lowered and new not in lowered
    }
    table = table.rename_columns([renames.get(name, name) for name in table.column_names])
    if "unit" in lowered:
        _require_magnitude_unit(raw, table.column(lowered["unit"]))
    timestamps = table.column(lowered["timestamp"])
    mjd = _timestamps_to_mjd(raw, timestamps.to_pylist())
    index = table.column_names.index(lowered["timestamp"])
    raw.table = table.set_column(index, "mjd", pa.array(mjd, type=pa.float64()))
    return raw


def _require_magnitude_unit(raw: RawTable, units: pa.ChunkedArray) -> None:
    for position, unit in enumerate(units.to_pylist()):
        if str(unit or "").strip().lower() not in _MAGNITUDE_UNITS:
            raise ValidationError(
                f"{raw.source}: {raw.row_word} {int(raw.line_numbers[position])}: unit: {unit!r} is not "
                "a magnitude; TOM Toolkit brightness is read as a magnitude (unit mag or empty)"
            )


def _timestamps_to_mjd(raw: RawTable, values: list[Any]) -> list[float | None]:
    """ISO timestamps (TOM Toolkit keeps UTC; a time without an offset is taken as UTC) to MJD."""
    from datetime import UTC, datetime

    epoch = datetime(1858, 11, 17, tzinfo=UTC)
    mjd: list[float | None] = []
    for position, value in enumerate(values):
        if value is None:
            mjd.append(None)
            continue
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(
                f"{raw.source}: {raw.row_word} {int(raw.line_numbers[position])}: timestamp: {value!r} "
                "is not an ISO date and time (expected e.g. 2019-02-01T03:04:05Z)"
            ) from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        mjd.append((moment - epoch).total_seconds() / 86400.0)
    return mjd


def read_tomtoolkit_json(path: Path) -> RawTable:
    """TOM Toolkit's ``/api/reduceddatums/`` answer (a list, or a page with ``results``): its
    photometry items, one row each; errors point at items (1-based)."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"{path.name}: not valid JSON ({error})") from None
    items = document.get("results") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and isinstance(item.get("value"), dict) and "timestamp" in item
        for item in items
    ):
        raise ValidationError(
            f"{path.name}: JSON that is not TOM Toolkit's /api/reduceddatums/ answer (a list, or a page "
            "with 'results', of items with 'timestamp' and 'value'); other photometry must be CSV, "
            "ECSV, ATLAS or ZTF forced-photometry text, or a FITS table"
        )
    if isinstance(document, dict) and document.get("next"):
        raise ValidationError(
            f"{path.name}: one page of TOM Toolkit's answer ({len(items)} of {document.get('count')} "
            "items); ask for all of them at once (add ?limit=COUNT to the URL) and upload that"
        )
    positions = [
        i for i, item in enumerate(items) if str(item.get("data_type", "photometry")) == "photometry"
    ]
    if not positions:
        raise ValidationError(f"{path.name}: no photometry items (data_type 'photometry') in this answer")
    columns: dict[str, list[Any]] = {name: [] for name in _JSON_COLUMNS}
    for position in positions:
        item = items[position]
        value = item["value"]
        for column, keys in _JSON_COLUMNS.items():
            found = next((value[key] for key in keys if value.get(key) not in (None, "")), None)
            columns[column].append(found if found is not None else item.get(column))
    table = pa.table({name: _json_column(values) for name, values in columns.items()})
    numbers = np.asarray(positions, dtype=np.int64) + 1
    return RawTable(table, numbers, path.name, PhotometryFormat.TOMTOOLKIT_JSON, row_word="item")


# Our column <- the keys of an item's ``value`` that may hold it (3.x names first, then 2.x);
# ``timestamp``, ``telescope``, ``instrument`` and ``source_name`` may also stand on the item.
_JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp",),
    "magnitude": ("brightness", "magnitude", "mag"),
    "error": ("brightness_error", "error", "magnitude_error", "mag_err"),
    "limit": ("limit",),
    "filter": ("bandpass", "filter", "band"),
    "unit": ("unit",),
    "telescope": ("telescope",),
    "instrument": ("instrument",),
    "source_name": ("source_name",),
}


def _json_column(values: list[Any]) -> pa.Array:
    if all(
        value is None or (isinstance(value, int | float) and not isinstance(value, bool)) for value in values
    ):
        return pa.array([None if value is None else float(value) for value in values], type=pa.float64())
    return pa.array([None if value is None else str(value) for value in values], type=pa.string())
