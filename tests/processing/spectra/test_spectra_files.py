"""Spectra read right: several spectra in one file, --where, units named in the header, FITS
cards with comments, the flux unit's kind, and IRAF multispec wavelengths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests.support.paths import SPECTRA
from tests.support.stores import snapshot
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.spectra import SpectrumOptions, read_spectra, read_spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.data.upload_options import upload_file
from tom_tui.store.store import Store

TWO_INSTRUMENTS = SPECTRA / "skyportal_spec_with_instrument_id.csv"  # 1197 rows of 1, 1854 of 2
TARGET = "ZTF21aaqjmps"  # in the store of this folder
FLOYDS = SPECTRA / "tom_base_test_spectrum_SN2017cbv_floyds.fits"


def test_a_file_of_two_instruments_is_two_spectra() -> None:
    first, second = read_spectra(TWO_INSTRUMENTS)
    assert (len(first), len(second)) == (1197, 1854)
    assert first.meta["rows_of_file"] == "instrument_id=1"
    assert first.wavelength[0] == pytest.approx(3315.61709372)
    assert second.wavelength[0] == pytest.approx(3444.645)
    with pytest.raises(ValidationError, match="holds 2 spectra; choose one with --where"):
        read_spectrum(TWO_INSTRUMENTS)


def test_upload_stores_each_spectrum_and_delete_removes_both(store: Store) -> None:
    outcome = data_service.upload_data_product(store, TARGET, TWO_INSTRUMENTS, "spectroscopy")
    assert [record.points for record in outcome.spectra] == [1197, 1854]
    _, records = data_service.spectra_of(store, TARGET)
    assert len(records) == 2
    data_service.delete_product(store, outcome.product.id)
    assert data_service.spectra_of(store, TARGET)[1] == []


def test_where_chooses_one_spectrum_of_the_file(store: Store) -> None:
    outcome = upload_file(
        store, TARGET, TWO_INSTRUMENTS, {"data_type": "spectroscopy", "where": ["instrument_id=2"]}
    )
    assert [record.points for record in outcome.spectra] == [1854]


def test_where_is_refused_when_it_cannot_apply(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(ValidationError, match=r"has no column 'telescope'; its columns are wavelengths"):
        upload_file(store, TARGET, TWO_INSTRUMENTS, {"data_type": "spectroscopy", "where": ["telescope=P60"]})
    with pytest.raises(ValidationError, match="not a text spectrum with named columns"):
        upload_file(store, TARGET, FLOYDS, {"data_type": "spectroscopy", "where": ["instrument_id=1"]})
    with pytest.raises(ValidationError, match="no rows match --where instrument_id=3"):
        read_spectra(TWO_INSTRUMENTS, SpectrumOptions(where={"instrument_id": "3"}))
    assert snapshot(store) == before


def _rows_of_instrument_one(count: int = 50) -> list[str]:
    lines = TWO_INSTRUMENTS.read_text().splitlines()[1 : count + 1]
    return [" ".join(line.split(",")[:2]) for line in lines]


def test_units_in_brackets_do_not_shift_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "bracketed.txt"
    rows = [f"{row} {abs(float(row.split()[1])) / 10}" for row in _rows_of_instrument_one()]
    path.write_text(
        "# wavelength [Angstrom] flux [erg/s/cm2/Angstrom] flux_error [erg/s/cm2/Angstrom]\n"
        + "\n".join(rows)
        + "\n"
    )
    spectrum = read_spectrum(path)
    assert spectrum.flux[0] == pytest.approx(-1.57072903217e-16)  # flux, not the error column
    assert spectrum.flux_error is not None and spectrum.flux_error[0] == pytest.approx(1.57072903217e-17)
    assert spectrum.flux_unit == "erg / (Angstrom s cm2)"


def test_a_header_naming_fewer_columns_than_the_rows_have_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short_header.txt"
    rows = [f"{row} 1e-17" for row in _rows_of_instrument_one()]
    path.write_text("wavelength flux\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValidationError, match=r"line 1: the header names 2 columns .* line 2 has 3 values"):
        read_spectrum(path)


def test_a_fits_card_with_a_comment_keeps_its_whole_unit(tmp_path: Path) -> None:
    path = tmp_path / "carded.txt"
    card = "# BUNIT   = 'erg/s/cm2/Angstrom' / flux unit"
    path.write_text(card + "\n" + "\n".join(_rows_of_instrument_one()) + "\n")
    assert read_spectrum(path).flux_unit == "erg / (Angstrom s cm2)"


def test_a_flux_unit_that_is_not_a_flux_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "energy.txt"
    path.write_text("# BUNIT = 'erg' / wrong\n" + "\n".join(_rows_of_instrument_one()) + "\n")
    with pytest.raises(ValidationError, match=r"energy.txt: header BUNIT: 'erg' is a unit of energy"):
        read_spectrum(path)
    with pytest.raises(ValidationError, match="is a unit of length, not of flux"):
        read_spectrum(TWO_INSTRUMENTS, SpectrumOptions(flux_unit="nm", where={"instrument_id": "1"}))


def _as_multispec(tmp_path: Path, dtype: int) -> Path:
    """The real FLOYDS spectrum with its equispec WCS written the IRAF multispec way."""
    with fits.open(FLOYDS) as hdus:
        header, data = hdus[0].header.copy(), hdus[0].data.copy()
    start, step = header["CRVAL1"], header["CD1_1"]  # CRPIX1 = -25 is physical pixel 1 (LTV1 = -26)
    header["CTYPE1"], header["CRVAL1"], header["CD1_1"], header["CRPIX1"] = "MULTISPE", 1.0, 1.0, 1.0
    header["CUNIT1"] = ""
    header["WAT0_001"] = "system=multispec"
    header["WAT1_001"] = "wtype=multispec label=Wavelength units=angstroms"
    spec1 = f'wtype=multispec spec1 = "1 1 {dtype} {start!r} {step!r} 3913 0. 53.53 63.53"'
    header["WAT2_001"], header["WAT2_002"] = spec1[:68], spec1[68:]
    path = tmp_path / "multispec.fits"
    fits.PrimaryHDU(data, header).writeto(path)
    return path


def test_iraf_multispec_is_read_with_its_real_wavelengths(tmp_path: Path) -> None:
    equispec = read_spectrum(FLOYDS)
    multispec = read_spectrum(_as_multispec(tmp_path, 0))
    assert multispec.wavelength[0] > 3000  # not pixel numbers 1..N
    np.testing.assert_allclose(multispec.wavelength, equispec.wavelength)
    assert multispec.wavelength_unit == "Angstrom"


def test_a_non_linear_multispec_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="multispec dispersion type 2"):
        read_spectrum(_as_multispec(tmp_path, 2))
