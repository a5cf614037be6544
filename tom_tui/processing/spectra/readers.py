"""Reading 1-D spectra: TOM Toolkit text, ASCII/CSV with header comments, and FITS.

Units come from the file (``BUNIT``, ``CUNIT1``, IRAF ``WAT1`` cards, ECSV-like ``# [A] [erg/s/cm2/A]``
lines or FITS table ``TUNIT``); a flux whose unit the file does not give is kept as it is with
no unit, never rescaled. The observation date comes from ``DATE-OBS`` (date or date and time),
else from an MJD card, each checked to lie in 1900–2100.

Header cards are read as FITS defines them (``KEY = 'value' / comment``); a flux unit that is not
a flux (an energy, a length) is refused. A header's names must match the columns the rows have.
A text file may hold several spectra told apart by a column such as SkyPortal's
``instrument_id``: each is its own spectrum, and ``where`` keeps the rows of one. IRAF multispec
files are read from their ``WAT2`` wavelength solution (linear or log-linear); a non-linear
dispersion is refused rather than stored against pixel numbers.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.units import EARLIEST_MJD as MJD_MIN
from tom_tui.domain.units import JD_MINUS_MJD
from tom_tui.domain.units import LATEST_MJD as MJD_MAX

WAVELENGTH_NAMES = (
    "wavelength",
    "wavelengths",
    "wave",
    "wavelen",
    "lambda",
    "lbda",
    "wl",
    "wav",
    "lam",
    "angstrom",
)
FLUX_NAMES = ("flux", "fluxes", "fl", "flam", "f_lambda", "flux_lambda", "spec", "specific_flux")
ERROR_NAMES = (
    "flux_error",
    "fluxerr",
    "flux_err",
    "flux_unc",
    "error",
    "errors",
    "err",
    "sigma",
    "e_flux",
    "fluxerror",
    "uncertainty",
)
_HEADER_PATTERNS = (
    # KEY = value / comment, where a quoted value may itself hold slashes
    re.compile(r"^\s*([A-Za-z][\w\-]*)\s*=\s*('(?:[^']|'')*'|[^/]*?)\s*(?:/.*)?$"),
    re.compile(r"^\s*([A-Za-z][\w\-]*)\s*:\s*(.*)$"),  # KEY: value
)
_FITS_CARD_KEY = re.compile(r"^\s*([A-Z0-9_-]{1,8})\s*=\s?(.*)$")
# Columns that tell apart several spectra kept in one file (SkyPortal's instrument_id, ...).
SPECTRUM_GROUP_NAMES = (
    "instrument_id",
    "instrument",
    "telescope",
    "spectrum_id",
    "observed_at",
    "date_obs",
    "date-obs",
    "mjd",
)
_GROUP_CARDS = {"instrument": "INSTRUMENT", "telescope": "TELESCOPE", "date_obs": "DATE-OBS", "mjd": "MJD"}
_UNIT_ALIASES = {
    "angstroms": "Angstrom",
    "angstrom": "Angstrom",
    "a": "Angstrom",
    "aa": "Angstrom",
    "å": "Angstrom",
    "nm": "nm",
    "um": "micron",
    "micron": "micron",
    "microns": "micron",
    "ang": "Angstrom",
}
_FLUX_UNIT_COMMENT = re.compile(r"fluxes are (?:in )?([^\s;,]+)", re.IGNORECASE)


@dataclass
class SpectrumOptions:
    wavelength_unit: str | None = None  # overrides what the file says
    flux_unit: str | None = None
    date: str | None = None  # observation date when the file has none
    telescope: str | None = None
    instrument: str | None = None
    where: dict[str, str] = field(default_factory=dict)  # keep only rows with these column values


def _clean_unit(text: str | None, *, wavelength: bool) -> str | None:
    if not text:
        return None
    stripped = text.strip().strip("[]'\"").strip()
    if not stripped:
        return None
    if wavelength:
        alias = _UNIT_ALIASES.get(stripped.lower())
        if alias:
            return alias
    import astropy.units as u

    # In spectra "A" is always Ångström, never ampere.
    text = re.sub(r"\b(A|Ang|AA)\b", "Angstrom", stripped.replace("^", "").replace("**", ""))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unit = u.Unit(text, parse_strict="raise")
    except ValueError:
        return None
    if wavelength and unit.physical_type != "length":
        return None
    return str(unit.to_string())


# What a spectrum's flux may be measured in: a flux density per wavelength or per frequency (in
# energy or photons), detector counts (per second or not), or a normalised, unitless flux.
_FLUX_LIKE_UNITS = (
    "erg/s/cm2/Angstrom",
    "Jy",
    "photon/s/cm2/Angstrom",
    "photon/s/cm2/Hz",
    "count",
    "count/s",
    "adu",
    "adu/s",
    "electron",
    "electron/s",
    "mag",
)


def _flux_unit(text: str | None, source: str, origin: str) -> str | None:
    """The flux unit ``text`` (from ``origin``, e.g. ``header BUNIT``) as an astropy unit string;
    None when it is not a unit at all; an error when it is a unit of something other than flux."""
    import astropy.units as u

    cleaned = _clean_unit(text, wavelength=False)
    if cleaned is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy frowns on two slashes, which spectra always have
        unit = u.Unit(cleaned)
        flux_like = unit.physical_type == "dimensionless" or any(
            unit.is_equivalent(u.Unit(reference)) for reference in _FLUX_LIKE_UNITS
        )
    if flux_like:
        return cleaned
    raise ValidationError(
        f"{source}: {origin}: {str(text).strip()!r} is a unit of {unit.physical_type}, not of flux "
        "(expected a flux density such as erg/s/cm2/Angstrom or Jy, or counts)"
    )


def _date_from_meta(meta: dict[str, str], source: str) -> tuple[float | None, str | None]:
    from astropy.time import Time

    date_keys = ("DATE-OBS", "DATE_OBS", "DATE-BEG", "UTSHUT", "OBSDATE")
    # A bare date is less precise than an MJD card: use the MJD when the header has both.
    if not any("T" in meta.get(key, "") or ":" in meta.get(key, "") for key in date_keys):
        mjd, iso = _mjd_from_meta(meta)
        if mjd is not None:
            return mjd, iso
    for key in date_keys:
        value = meta.get(key)
        if value:
            text = value.strip().strip("'").strip().replace(" T ", "T").replace(" UTC", "").rstrip("Z")
            try:
                moment = Time(text, format="isot" if "T" in text else "iso", scale="utc")
            except ValueError:
                try:
                    moment = Time(text, scale="utc")
                except ValueError as error:
                    raise ValidationError(
                        f"{source}: header {key}: {value!r} is not a date "
                        "(expected 2024-01-31 or 2024-01-31T03:12:45)"
                    ) from error
            mjd = float(moment.mjd)
            if MJD_MIN <= mjd <= MJD_MAX:
                return mjd, moment.isot
            raise ValidationError(f"{source}: header {key}: {value!r} is not a date between 1900 and 2100")
    return _mjd_from_meta(meta)


def _mjd_from_meta(meta: dict[str, str]) -> tuple[float | None, str | None]:
    from astropy.time import Time

    for key, offset in (("MJD-OBS", 0.0), ("MJD_OBS", 0.0), ("MJD", 0.0), ("JD", JD_MINUS_MJD)):
        value = meta.get(key)
        if value:
            try:
                mjd = float(value.strip().strip("'")) - offset
            except ValueError:
                continue
            if MJD_MIN <= mjd <= MJD_MAX:
                return mjd, Time(mjd, format="mjd").isot
    return None, None


def _fits_card(text: str) -> tuple[str, str] | None:
    """A ``KEY = value / comment`` line read the way FITS defines it (astropy's Card), or None."""
    from astropy.io import fits

    match = _FITS_CARD_KEY.match(text)
    if match is None:
        return None
    card = fits.Card.fromstring(f"{match.group(1):<8}= {match.group(2)}"[:80])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = card.value
    except (ValueError, fits.VerifyError):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return match.group(1), str(value).strip()


def _parse_header_line(text: str, meta: dict[str, str]) -> None:
    card = _fits_card(text)
    if card is not None:
        meta.setdefault(*card)
        return
    for pattern in _HEADER_PATTERNS:
        match = pattern.match(text)
        if match:
            key = match.group(1).upper()
            value = match.group(2).strip().strip("'").strip()
            meta.setdefault(key, value)
            return


def read_spectrum(path: Path, options: SpectrumOptions | None = None) -> Spectrum:
    """The one spectrum of a file (an error if it holds several: see :func:`read_spectra`)."""
    spectra = read_spectra(path, options)
    if len(spectra) > 1:
        raise ValidationError(
            f"{path.name}: holds {len(spectra)} spectra; choose one with --where COLUMN=VALUE"
        )
    return spectra[0]


def read_spectra(path: Path, options: SpectrumOptions | None = None) -> list[Spectrum]:
    """Every spectrum of a file, each with the options applied; a text file may hold several
    (one per value of a column such as ``instrument_id``)."""
    options = options or SpectrumOptions()
    with open(path, "rb") as handle:
        magic = handle.read(9)
    if magic.startswith(b"SIMPLE  ="):
        _refuse_where(path.name, options.where)
        spectra = [read_fits_spectrum(path)]
    elif magic.startswith(b"# %ECSV"):
        _refuse_where(path.name, options.where)
        spectra = [read_ecsv_spectrum(path)]
    else:
        spectra = read_text_spectra(path, options.where)
    return [_with_options(spectrum, options, path) for spectrum in spectra]


def _with_options(spectrum: Spectrum, options: SpectrumOptions, path: Path) -> Spectrum:
    if options.wavelength_unit:
        spectrum.wavelength_unit = _clean_unit(options.wavelength_unit, wavelength=True) or _bad_unit(
            options.wavelength_unit, "wavelength"
        )
    if options.flux_unit:
        spectrum.flux_unit = _flux_unit(options.flux_unit, path.name, "--flux-unit-spectrum") or _bad_unit(
            options.flux_unit, "flux"
        )
    if options.date:
        mjd, iso = _date_from_meta({"DATE-OBS": options.date}, "--date")
        spectrum.mjd, spectrum.date_obs = mjd, iso
    spectrum.telescope = options.telescope or spectrum.telescope
    spectrum.instrument = options.instrument or spectrum.instrument
    if len(spectrum) == 0:
        raise ValidationError(f"{path.name}: no spectrum points found")
    return spectrum


def _bad_unit(text: str, what: str) -> str:
    raise ValidationError(
        f"{what} unit {text!r} is not a unit astropy understands (e.g. Angstrom, nm, erg/s/cm2/Angstrom)"
    )


def _pick(names: list[str], aliases: tuple[str, ...]) -> int | None:
    lowered = [name.lower() for name in names]
    for alias in aliases:
        if alias in lowered:
            return lowered.index(alias)
    return None


class _TextSpectrumScan:
    """What one pass over a text spectrum finds: header cards, column names and units, data rows."""

    def __init__(self) -> None:
        self.meta: dict[str, str] = {}
        self.header_names: list[str] | None = None
        self.explicit_header = False  # the names stand on an uncommented line of their own
        self.header_line = 0
        self.comment_units: list[str] = []
        self.rows: list[list[str]] = []
        self.line_numbers: list[int] = []
        self._previous_comment = ""
        self._previous_was_comment = False

    def read_comment(self, body: str) -> None:
        if body.startswith("[") and self._previous_comment:
            self.comment_units = re.findall(r"\[([^\]]*)\]", body)
            self.header_names = self.header_names or _names_and_units(self._previous_comment)[0]
        else:
            _parse_header_line(body, self.meta)
            unit_comment = _FLUX_UNIT_COMMENT.search(body)
            if unit_comment:
                self.meta.setdefault("FLUX_UNIT", unit_comment.group(1))
        self._previous_comment = body
        self._previous_was_comment = True

    def read_data(self, line: str, number: int) -> None:
        if self.header_names is None and not self.rows and self._previous_was_comment:
            tokens, units = _names_and_units(self._previous_comment)
            # A commented header counts only if it names both columns (some files carry a
            # garbled one, e.g. Liverpool's "##  wav   flux4020.00 2.361314").
            if _pick(tokens, WAVELENGTH_NAMES) is not None and _pick(tokens, FLUX_NAMES) is not None:
                self.header_names = tokens
                self.header_line = number - 1
                if any(units):
                    self.comment_units = units
        self._previous_was_comment = False
        fields = [part for part in re.split(r"[,\s]+", line) if part] if "," in line else line.split()
        if self.header_names is None and not self.rows and not _is_number(fields[0]):
            self.header_names, units = _names_and_units(line)
            if any(units):
                self.comment_units = units
            self.explicit_header = True
            self.header_line = number
            return
        self.rows.append(fields)
        self.line_numbers.append(number)


def _names_and_units(text: str) -> tuple[list[str], list[str]]:
    """Column names of a header line and the unit each carries in brackets ("" for none):
    ``wavelength [Angstrom] flux [erg/s/cm2/Angstrom]`` names two columns, not four."""
    names: list[str] = []
    units: list[str] = []
    for name, unit in re.findall(r"([^\s,\[\]]+)|\[([^\]]*)\]", text):
        if name:
            names.append(name)
            units.append("")
        elif names and not units[-1]:
            units[-1] = unit
    return names, units


def read_text_spectrum(path: Path) -> Spectrum:
    """The one spectrum of a text file (an error if the file holds several)."""
    spectra = read_text_spectra(path)
    if len(spectra) > 1:
        raise ValidationError(f"{path.name}: holds {len(spectra)} spectra; read it with read_spectra")
    return spectra[0]


def read_text_spectra(path: Path, where: dict[str, str] | None = None) -> list[Spectrum]:
    """Every spectrum of a text file: one, or one per value of a column such as
    ``instrument_id`` that tells several apart; ``where`` keeps rows by column value."""
    source = path.name
    scan = _TextSpectrumScan()
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, raw_line in enumerate(handle, start=1):
            line = raw_line.strip()
            if line.startswith("#"):
                scan.read_comment(line.lstrip("#").strip())
            elif line:
                scan.read_data(line, number)
    if not scan.rows:
        raise ValidationError(f"{source}: no spectrum rows found; expected lines of 'wavelength flux'")
    columns = _text_columns(scan, source)
    if where:
        _keep_rows_where(scan, where, source)
    values = _text_values(scan, columns, source)
    wave_unit, flux_unit = _text_units(scan, columns, source)
    error = None if columns[2] is None else values[:, 2]
    extra_meta: dict[str, Any] = dict(scan.meta)
    if error is not None and scan.header_names is None:
        error, note = _error_or_variance(values[:, 1], error)
        if note:
            extra_meta["THIRD_COLUMN"] = note
    line_numbers = np.asarray(scan.line_numbers)
    spectra = []
    for group_meta, rows in _spectrum_groups(scan, columns, source):
        spectra.append(
            _finish(
                source,
                values[rows, 0],
                values[rows, 1],
                None if error is None else error[rows],
                wave_unit,
                flux_unit,
                {**group_meta, **extra_meta},
                line_numbers[rows],
            )
        )
    return spectra


def _group_column(scan: _TextSpectrumScan, columns: tuple[int, int, int | None]) -> int | None:
    """The column that tells several spectra of one file apart, if the file has one."""
    names = [name.lower() for name in scan.header_names or []]
    for candidate in SPECTRUM_GROUP_NAMES:
        if candidate in names and names.index(candidate) not in columns:
            return names.index(candidate)
    return None


def _spectrum_groups(
    scan: _TextSpectrumScan, columns: tuple[int, int, int | None], source: str
) -> list[tuple[dict[str, str], np.ndarray]]:
    """(header cards of the spectrum, its row positions) for each spectrum in the file, in the
    order they first appear."""
    group_column = _group_column(scan, columns)
    if group_column is None:
        return [({}, np.arange(len(scan.rows)))]
    name = (scan.header_names or [])[group_column]
    card = _GROUP_CARDS.get(name.lower().replace("-", "_"), name.upper())
    positions: dict[str, list[int]] = {}
    for position, fields in enumerate(scan.rows):
        value = fields[group_column] if group_column < len(fields) else ""
        positions.setdefault(value, []).append(position)
    if len(positions) > 1 and min(map(len, positions.values())) < 2:
        # A one-point spectrum means the column holds measurements, not an instrument or a date.
        raise ValidationError(
            f"{source}: column {name}: {len(positions)} different values, some on a single row; "
            "expected it to tell a few spectra apart (instrument, date); check the column order of the header"
        )
    return [
        ({card: value, "SPECTRUM_GROUP": f"{name}={value}"}, np.asarray(rows))
        for value, rows in positions.items()
    ]


def _keep_rows_where(scan: _TextSpectrumScan, where: dict[str, str], source: str) -> None:
    """Drop the rows whose named columns do not hold the wanted values (``--where COLUMN=VALUE``)."""
    names = [name.lower() for name in scan.header_names or []]
    keep = np.ones(len(scan.rows), dtype=bool)
    for column, wanted in where.items():
        if column.strip().lower() not in names:
            raise ValidationError(
                f"--where {column}={wanted}: {source} has no column {column!r}"
                + (f"; its columns are {', '.join(scan.header_names or [])}" if names else "")
            )
        index = names.index(column.strip().lower())
        keep &= np.array([_same_value(fields[index], wanted) for fields in scan.rows], dtype=bool)
    if not keep.any():
        raise ValidationError(
            f"{source}: no rows match --where {', '.join(f'{k}={v}' for k, v in where.items())}"
        )
    scan.rows = [fields for fields, kept in zip(scan.rows, keep, strict=True) if kept]
    scan.line_numbers = [number for number, kept in zip(scan.line_numbers, keep, strict=True) if kept]


def _same_value(cell: str, wanted: str) -> bool:
    """Equal as text, or as numbers (so ``1`` matches ``1.0``)."""
    if cell.strip() == wanted.strip():
        return True
    try:
        return float(cell) == float(wanted)
    except ValueError:
        return False


def _refuse_where(source: str, where: dict[str, str]) -> None:
    if where:
        raise ValidationError(
            f"--where {', '.join(f'{k}={v}' for k, v in where.items())}: {source} is not a text "
            "spectrum with named columns, so rows cannot be chosen by column; upload it without --where"
        )


def _text_columns(scan: _TextSpectrumScan, source: str) -> tuple[int, int, int | None]:
    """Positions of the wavelength, flux and (if any) error columns."""
    width = len(scan.rows[0])
    header_names = scan.header_names
    names = (
        header_names
        if header_names and len(header_names) >= 2
        else ["wavelength", "flux", "flux_error"][:width]
    )
    wave_index = _pick(names, WAVELENGTH_NAMES)
    flux_index = _pick(names, FLUX_NAMES)
    error_index = _pick(names, ERROR_NAMES)
    if header_names and wave_index is not None and flux_index is not None and len(header_names) != width:
        raise ValidationError(
            f"{source}: line {scan.header_line}: the header names {len(header_names)} columns "
            f"({', '.join(header_names)}) but line {scan.line_numbers[0]} has {width} values; "
            "expected one name per column"
        )
    if wave_index is None or flux_index is None:
        if scan.explicit_header and header_names is not None:
            raise ValidationError(
                f"{source}: no wavelength and flux columns among {', '.join(header_names)}; "
                "expected e.g. 'wavelength flux [flux_error]'"
            )
        return 0, 1, 2 if width >= 3 else None
    return wave_index, flux_index, error_index


def _text_values(scan: _TextSpectrumScan, columns: tuple[int, int, int | None], source: str) -> np.ndarray:
    """Wavelength, flux and error of every row (NaN for no error column); every bad cell is named."""
    values = np.full((len(scan.rows), 3), np.nan)
    problems: list[str] = []
    labels = ("wavelength", "flux", "flux error")
    for row_index, fields in enumerate(scan.rows):
        for slot, column in enumerate(columns):
            if column is None:
                continue
            if column >= len(fields):
                problem = "missing value"
            else:
                try:
                    values[row_index, slot] = float(fields[column])
                    continue
                except ValueError:
                    problem = f"{fields[column]!r} is not a number"
            if len(problems) < 10:
                problems.append(f"{source}: line {scan.line_numbers[row_index]}: {labels[slot]}: {problem}")
    if problems:
        raise ValidationError(problems[0], problems=problems)
    return values


def _text_units(
    scan: _TextSpectrumScan, columns: tuple[int, int, int | None], source: str
) -> tuple[str | None, str | None]:
    """Wavelength and flux units: from a ``# [A] [erg/s/cm2/A]`` line, else from header cards."""
    wave_index, flux_index, _ = columns
    wave_unit = None
    flux_unit = None
    if wave_index < len(scan.comment_units):
        wave_unit = _clean_unit(scan.comment_units[wave_index], wavelength=True)
    if flux_index < len(scan.comment_units):
        flux_unit = _flux_unit(scan.comment_units[flux_index], source, "flux column unit")
    meta = scan.meta
    wave_unit = wave_unit or _clean_unit(
        meta.get("CUNIT1") or meta.get("XUNITS") or meta.get("WAVE_UNIT"), wavelength=True
    )
    for card in ("BUNIT", "FLUX_UNIT", "YUNITS"):
        if flux_unit is None and meta.get(card):
            flux_unit = _flux_unit(meta[card], source, f"header {card}")
    return wave_unit, flux_unit


def _error_or_variance(flux: np.ndarray, third: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """A headerless third column is an error, unless its scale says it is a variance (SEDM writes
    wavelength, flux, variance): then the error is its square root and the record says so."""
    scale = np.nanmedian(np.abs(flux[flux != 0])) if np.any(flux != 0) else np.nan
    typical = np.nanmedian(np.abs(third))
    if not (np.isfinite(scale) and np.isfinite(typical)) or typical == 0:
        return third, None
    if typical / scale < 1e-6 and 1e-3 < np.sqrt(typical) / scale < 1e3:
        with np.errstate(invalid="ignore"):
            return np.sqrt(third), "read as variance (its values are the square of the flux scale)"
    return third, None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _finish(
    source: str,
    wavelength: np.ndarray,
    flux: np.ndarray,
    error: np.ndarray | None,
    wave_unit: str | None,
    flux_unit: str | None,
    meta: dict[str, Any],
    line_numbers: np.ndarray | None = None,
) -> Spectrum:
    bad_wave = np.flatnonzero(np.isfinite(wavelength) & (wavelength <= 0))
    if len(bad_wave):
        where = (
            f"line {line_numbers[bad_wave[0]]}: " if line_numbers is not None else f"pixel {bad_wave[0]}: "
        )
        raise ValidationError(
            f"{source}: {where}wavelength: {float(wavelength[bad_wave[0]])!r} is not a positive wavelength"
        )
    usable = np.isfinite(wavelength) & np.isfinite(flux)
    dropped = int((~usable).sum())
    order = np.argsort(wavelength[usable], kind="stable")
    mjd, iso = _date_from_meta({k: str(v) for k, v in meta.items()}, source)
    info: dict[str, Any] = {"header": {k: str(v) for k, v in list(meta.items())[:200]}}
    if "THIRD_COLUMN" in meta:
        info["third_column"] = meta["THIRD_COLUMN"]
    if "SPECTRUM_GROUP" in meta:
        info["rows_of_file"] = meta["SPECTRUM_GROUP"]
    if dropped:
        info["dropped_non_finite_points"] = dropped
    return Spectrum(
        wavelength=wavelength[usable][order],
        flux=flux[usable][order],
        flux_error=None if error is None else error[usable][order],
        wavelength_unit=wave_unit or "Angstrom",
        flux_unit=flux_unit,
        mjd=mjd,
        date_obs=iso,
        telescope=str(meta.get("TELESCOP") or meta.get("TELESCOPE") or meta.get("FACILITY") or "") or None,
        instrument=str(meta.get("INSTRUME") or meta.get("INSTRUMENT") or "") or None,
        meta=info,
    )


def read_ecsv_spectrum(path: Path) -> Spectrum:
    """An ECSV table (e.g. Gaia XP sampled spectra): columns by name, units from the columns."""
    from astropy.table import Table

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = Table.read(path, format="ascii.ecsv")
    except Exception as error:  # astropy raises many kinds for a malformed header
        raise ValidationError(f"{path.name}: not a valid ECSV file ({error})") from error
    names = list(table.colnames)
    wave_index = _pick(names, WAVELENGTH_NAMES)
    flux_index = _pick(names, FLUX_NAMES)
    if wave_index is None or flux_index is None:
        raise ValidationError(f"{path.name}: no wavelength and flux columns (columns: {', '.join(names)})")
    error_index = _pick(names, ERROR_NAMES)

    def values(index: int) -> np.ndarray:
        column = table[names[index]]
        return np.asarray(np.ma.filled(np.ma.asarray(column, dtype=np.float64), np.nan), dtype=np.float64)

    def unit_of(index: int) -> str | None:
        unit = table[names[index]].unit
        return None if unit is None else str(unit.to_string())

    meta = {
        str(key).upper(): str(value)
        for key, value in table.meta.items()
        if not isinstance(value, dict | list)
    }
    return _finish(
        path.name,
        values(wave_index),
        values(flux_index),
        None if error_index is None else values(error_index),
        unit_of(wave_index),
        _flux_unit(unit_of(flux_index), path.name, f"column {names[flux_index]} unit"),
        meta,
    )


def read_fits_spectrum(path: Path) -> Spectrum:
    from astropy.io import fits

    source = path.name
    try:
        hdus = fits.open(path, memmap=False)
    except OSError as error:
        raise ValidationError(f"{source}: not a readable FITS file ({error})") from error
    with hdus:
        try:
            # A table with named wavelength and flux columns says more than an image beside it (the
            # image may be the same flux on an approximate linear grid for tools that want one).
            for hdu in hdus:
                if isinstance(hdu, fits.BinTableHDU) and hdu.data is not None and _table_has_spectrum(hdu):
                    return _fits_table_spectrum(source, hdu, hdus[0].header)
            for hdu in hdus:
                if isinstance(hdu, fits.BinTableHDU) and hdu.data is not None:
                    return _fits_table_spectrum(source, hdu, hdus[0].header)
                if hdu.data is not None and getattr(hdu.data, "ndim", 0) >= 1 and hdu.is_image:
                    return _fits_image_spectrum(source, hdu)
        # damaged data or cards
        except (ValueError, TypeError, OSError, IndexError, fits.VerifyError) as error:
            raise ValidationError(
                f"{source}: a damaged FITS file, its data cannot be read ({error})"
            ) from None
    raise ValidationError(f"{source}: no spectrum in this FITS file (no 1-D image or binary table)")


def _table_has_spectrum(hdu: Any) -> bool:
    names = list(hdu.columns.names)
    return _pick(names, (*WAVELENGTH_NAMES, "loglam")) is not None and _pick(names, FLUX_NAMES) is not None


def _header_meta(header: Any) -> dict[str, str]:
    return {key: str(header[key]) for key in header if key and key not in ("COMMENT", "HISTORY", "")}


def _fits_image_spectrum(source: str, hdu: Any) -> Spectrum:
    header = hdu.header
    data = np.asarray(hdu.data, dtype=np.float64)
    error = None
    if data.ndim == 3:
        # IRAF multispec (bands, apertures, pixels): band 1 is the spectrum; a "sigma" band is its error.
        flux = data[0, 0, :]
        for band in range(data.shape[0]):
            if "sigma" in str(header.get(f"BANDID{band + 1}", "")).lower():
                error = data[band, 0, :]
    elif data.ndim == 2:
        flux = data[0, :]
    else:
        flux = data
    pixels = np.arange(1, flux.size + 1, dtype=np.float64)
    if _is_multispec(header):
        wavelength = _multispec_wavelength(header, pixels, source)
    else:
        wavelength = _linear_wavelength(header, pixels, source)
    wat = " ".join(str(header.get(key, "")) for key in ("WAT1_001", "WAT0_001"))
    match = re.search(r"units=(\w+)", wat)
    wave_unit = _clean_unit(match.group(1), wavelength=True) if match else None
    wave_unit = wave_unit or _clean_unit(header.get("CUNIT1"), wavelength=True)
    flux_unit = _flux_unit(header.get("BUNIT"), source, "header BUNIT")
    return _finish(source, wavelength, flux, error, wave_unit, flux_unit, _header_meta(header))


def _linear_wavelength(header: Any, pixels: np.ndarray, source: str) -> np.ndarray:
    start = header.get("CRVAL1")
    step = header.get("CDELT1", header.get("CD1_1"))
    if start is None or step is None:
        raise ValidationError(
            f"{source}: no linear wavelength solution (CRVAL1 and CDELT1 or CD1_1 are needed)"
        )
    if str(header.get("CTYPE1", "")).strip().upper() == "PIXEL":
        raise ValidationError(f"{source}: header CTYPE1 = 'PIXEL': the axis is in pixels, not wavelengths")
    wavelength = float(start) + (pixels - float(header.get("CRPIX1", 1.0))) * float(step)
    if int(header.get("DC-FLAG", 0)) == 1:
        wavelength = 10.0**wavelength
    return wavelength


def _is_multispec(header: Any) -> bool:
    return "multispec" in str(header.get("WAT0_001", "")).lower() or str(
        header.get("CTYPE1", "")
    ).strip().upper().startswith("MULTISPE")


# IRAF keeps each WAT card's value at 68 characters and splits the long string across cards
# without regard to word ends, so the cards join back exactly only at that width.
_WAT_CARD_WIDTH = 68


def _multispec_wavelength(header: Any, pixels: np.ndarray, source: str) -> np.ndarray:
    """Wavelengths of the first aperture of an IRAF multispec file, from its ``WAT2_nnn`` string
    (``spec1 = "ap beam dtype w1 dw nw z ..."``): linear (dtype 0) or log-linear (dtype 1).
    A non-linear dispersion (dtype 2, a function fit) is refused rather than guessed."""
    cards = sorted(key for key in header if re.fullmatch(r"WAT2_\d{3}", key))
    joined = "".join(str(header[key]).ljust(_WAT_CARD_WIDTH) for key in cards)
    match = re.search(r'spec1\s*=\s*"([^"]*)"', joined)
    words = match.group(1).split() if match else []
    try:
        dtype, start, step = int(words[2]), float(words[3]), float(words[4])
        redshift = float(words[6])
    except (IndexError, ValueError):
        raise ValidationError(
            f"{source}: IRAF multispec header without a readable WAT2 'spec1' wavelength solution"
        ) from None
    if dtype not in (0, 1):
        raise ValidationError(
            f"{source}: IRAF multispec dispersion type {dtype} (a non-linear fit) is not supported; "
            "write the spectrum out with a linear wavelength solution or as a table"
        )
    logical_to_physical = float(header.get("LTM1_1", 1.0)), float(header.get("LTV1", 0.0))
    physical = (pixels - logical_to_physical[1]) / logical_to_physical[0]
    axis = start + step * (physical - 1.0)
    return np.asarray((10.0**axis if dtype == 1 else axis) / (1.0 + redshift), dtype=np.float64)


def _fits_table_spectrum(source: str, hdu: Any, primary: Any) -> Spectrum:
    names = list(hdu.columns.names)
    wave_index = _pick(names, (*WAVELENGTH_NAMES, "loglam"))
    flux_index = _pick(names, FLUX_NAMES)
    if wave_index is None or flux_index is None:
        raise ValidationError(
            f"{source}: binary table has no wavelength and flux columns (columns: {', '.join(names)})"
        )
    error_index = _pick(names, ERROR_NAMES)
    data = hdu.data
    wavelength = np.asarray(data[names[wave_index]], dtype=np.float64).ravel()
    if names[wave_index].lower() == "loglam":
        wavelength = 10.0**wavelength
    flux = np.asarray(data[names[flux_index]], dtype=np.float64).ravel()
    error = None if error_index is None else np.asarray(data[names[error_index]], dtype=np.float64).ravel()
    units = hdu.columns.units
    meta = {**_header_meta(primary), **_header_meta(hdu.header)}
    return _finish(
        source,
        wavelength,
        flux,
        error,
        _clean_unit(units[wave_index], wavelength=True)
        if names[wave_index].lower() != "loglam"
        else "Angstrom",
        _flux_unit(units[flux_index], source, f"column {names[flux_index]} unit"),
        meta,
    )
