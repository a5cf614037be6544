"""Writing a spectrum to a file: ECSV with units, FITS, and TOM Toolkit's spectrum upload CSV.

The FITS file serves two readers. Extension 1 (``SPECTRUM``) is the exact spectrum as a table
with units, which tom-tui and astropy read back unchanged. The primary HDU holds the flux as a
1-D image with a linear wavelength solution (``CRVAL1``, ``CDELT1``, ``CRPIX1``) in Ångström and,
when the flux unit allows, erg/s/cm²/Å: that is what TOM Toolkit's spectroscopy processor reads
(``fits.getdata`` of the first HDU with data, ``CUNIT1`` forced to Angstrom, flux taken as
erg/s/cm²/Å). A spectrum not sampled evenly is interpolated onto an even grid for that image
only, and its header says so.

TOM Toolkit's text route reads ``wavelength`` and ``flux`` columns of a ``.csv`` file in the same
units and takes the date from a ``# DATE-OBS: ...`` comment split at the first colon, so that
comment holds the date alone and the exact time goes in an ``MJD-OBS`` card beside it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from tom_tui.domain.spectra import Spectrum

# The units TOM Toolkit's spectroscopy processor assumes for every file without a facility.
TOMTOOLKIT_WAVELENGTH_UNIT = "Angstrom"
TOMTOOLKIT_FLUX_UNIT = "erg / (Angstrom s cm2)"
# Relative spread of the wavelength steps below which a grid counts as evenly sampled.
EVEN_STEP_TOLERANCE = 1e-6


def header_cards(spectrum: Spectrum, name: str) -> dict[str, Any]:
    return {
        "OBJECT": name,
        "DATE-OBS": spectrum.date_obs or "",
        "MJD-OBS": spectrum.mjd if spectrum.mjd is not None else "",
        "TELESCOP": spectrum.telescope or "",
        "INSTRUME": spectrum.instrument or "",
    }


def _table(spectrum: Spectrum, name: str) -> Any:
    from astropy.table import QTable

    wavelength, flux = spectrum.quantities()
    table = QTable({"wavelength": wavelength, "flux": flux})
    if spectrum.flux_error is not None:
        table["flux_error"] = spectrum.flux_error * flux.unit
    table.meta.update(header_cards(spectrum, name))
    return table


def write_spectrum_ecsv(spectrum: Spectrum, path: Path, name: str) -> None:
    _table(spectrum, name).write(path, format="ascii.ecsv", overwrite=True)


def in_tomtoolkit_units(spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str | None]:
    """Wavelength in Ångström and flux (and error) in erg/s/cm²/Å when the flux unit converts;
    otherwise the flux as stored, with its own unit (None when unknown) returned beside it."""
    import astropy.units as u

    wavelength, flux = spectrum.quantities()
    angstrom = wavelength.to(u.AA, equivalencies=u.spectral())
    error = None if spectrum.flux_error is None else spectrum.flux_error * flux.unit
    target = u.Unit(TOMTOOLKIT_FLUX_UNIT)
    density = u.spectral_density(wavelength)
    if spectrum.flux_unit and flux.unit.is_equivalent(target, equivalencies=density):
        flux = flux.to(target, equivalencies=density)
        error = None if error is None else error.to(target, equivalencies=density)
        unit: str | None = TOMTOOLKIT_FLUX_UNIT
    else:
        unit = spectrum.flux_unit
    return (
        np.asarray(angstrom.value, dtype=np.float64),
        np.asarray(flux.value, dtype=np.float64),
        None if error is None else np.asarray(error.value, dtype=np.float64),
        unit,
    )


def _even_grid(wavelength: np.ndarray) -> tuple[float, float, bool]:
    """First wavelength, step, and whether the samples already lie on that even grid."""
    steps = np.diff(wavelength)
    if len(steps) == 0:
        return float(wavelength[0]), 1.0, True
    step = float(np.median(steps))
    even = bool(np.all(np.abs(steps - step) <= EVEN_STEP_TOLERANCE * abs(step)))
    if not even:
        step = float((wavelength[-1] - wavelength[0]) / (len(wavelength) - 1))
    return float(wavelength[0]), step, even


def _primary_image(spectrum: Spectrum, name: str) -> Any:
    from astropy.io import fits

    wavelength, flux, _, flux_unit = in_tomtoolkit_units(spectrum)
    start, step, even = _even_grid(wavelength)
    if not even:
        grid = start + step * np.arange(len(wavelength))
        flux = np.interp(grid, wavelength, flux)
    hdu = fits.PrimaryHDU(flux.astype(np.float64))
    header = hdu.header
    for key, value in header_cards(spectrum, name).items():
        header[key] = value
    header["CTYPE1"] = ("WAVE", "wavelength in vacuum or air, as the source file had it")
    header["CUNIT1"] = TOMTOOLKIT_WAVELENGTH_UNIT
    header["CRPIX1"] = 1.0
    header["CRVAL1"] = start
    header["CDELT1"] = step
    if flux_unit:
        header["BUNIT"] = flux_unit
    if not even:
        header["COMMENT"] = (
            "The wavelengths are not evenly spaced: this image holds the flux interpolated onto an "
            "even grid; the exact spectrum is the SPECTRUM table in extension 1."
        )
    return hdu


def write_spectrum_fits(spectrum: Spectrum, path: Path, name: str) -> None:
    from astropy.io import fits

    table = fits.table_to_hdu(_table(spectrum, name))
    table.name = "SPECTRUM"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy frowns on unit strings with two slashes
        fits.HDUList([_primary_image(spectrum, name), table]).writeto(path, overwrite=True)


def write_spectrum_tomtoolkit(spectrum: Spectrum, path: Path, name: str) -> None:
    """TOM Toolkit's spectrum upload CSV (``wavelength,flux[,flux_error]``), in its units."""
    wavelength, flux, error, flux_unit = in_tomtoolkit_units(spectrum)
    lines = []
    if spectrum.date_obs:
        lines.append(f"# DATE-OBS: {spectrum.date_obs[:10]}")
    comments = {
        "MJD-OBS": spectrum.mjd,
        "OBJECT": name,
        "TELESCOP": spectrum.telescope,
        "INSTRUME": spectrum.instrument,
        "CUNIT1": TOMTOOLKIT_WAVELENGTH_UNIT,
        "BUNIT": flux_unit,
    }
    for key, value in comments.items():
        text = "" if value is None else str(value).replace("'", "''")
        # TOM Toolkit reads any comment mentioning these words as its own; leave such values out.
        if text and "facility" not in text.lower() and "date-obs" not in text.lower():
            lines.append(f"# {key:<8}= {value!r}" if isinstance(value, float) else f"# {key:<8}= '{text}'")
    lines.append("wavelength,flux" + (",flux_error" if error is not None else ""))
    for index in range(len(wavelength)):
        cells = [repr(float(wavelength[index])), repr(float(flux[index]))]
        if error is not None:
            cells.append(repr(float(error[index])))  # NaN is written "nan", read back as no error
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
