"""Spectrum readers on real files, storage with units, and export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import QTable

from tests.support.paths import PHOTOMETRY, SPECTRA
from tests.support.stores import snapshot
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.spectra import SpectrumOptions, read_spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.data.export import export_spectra
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store


def test_tom_toolkit_text_with_facility_and_date_only() -> None:
    spectrum = read_spectrum(SPECTRA / "tom_base_spectrum_sample.csv")
    assert len(spectrum) == 4 and spectrum.telescope == "LCO"
    assert spectrum.date_obs == "2019-09-05T00:00:00.000" and spectrum.mjd == 58731.0
    assert spectrum.flux[0] == pytest.approx(1.174569068309455622e-14)
    assert spectrum.flux_unit is None  # the file does not say; never assumed


def test_floyds_multispec_fits_keeps_sigma_band_and_angstroms() -> None:
    spectrum = read_spectrum(SPECTRA / "tom_base_test_spectrum_SN2017cbv_floyds.fits")
    assert len(spectrum) == 3913
    assert spectrum.wavelength_unit == "Angstrom"  # from WAT1 "units=angstroms", not CUNIT1 'deg'
    assert spectrum.flux_unit == "erg / (Angstrom s cm2)"  # BUNIT erg/cm2/s/A: A is Ångström here
    assert spectrum.wavelength[0] == pytest.approx(3155.25331473351 + (1 + 25.0) * 1.73825705051422)
    assert spectrum.flux_error is not None and np.all(spectrum.flux_error[:10] > 0)
    assert spectrum.date_obs == "2017-03-27T17:02:24.711" and spectrum.telescope == "2m0-02"


def test_liverpool_ascii_prefers_date_obs_over_a_broken_mjd() -> None:
    # The file's "MJD: 118203.934063" is nonsense; DATE-OBS is right.
    spectrum = read_spectrum(SPECTRA / "ZTF20abucjsa_20200909_LT_v1.ascii")
    assert spectrum.date_obs == "2020-09-09T23:10:24.199"
    assert spectrum.instrument == "SPRAT" and spectrum.telescope == "Liverpool Telescope"


def test_sedm_third_column_is_a_variance() -> None:
    spectrum = read_spectrum(SPECTRA / "ZTF20abwdwoa_20200902_P60_v1.ascii")
    assert spectrum.flux_error is not None
    assert spectrum.flux_error[0] == pytest.approx(np.sqrt(2.484e-31))
    assert "variance" in spectrum.meta["third_column"]
    # OBSDATE has no time; the MJD_OBS card is more precise and is used.
    assert spectrum.mjd == pytest.approx(59094.31235999987)


def test_snifs_units_from_bracket_line_and_errors() -> None:
    spectrum = read_spectrum(SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat")
    assert spectrum.flux_unit == "erg / (Angstrom s cm2)" and spectrum.wavelength_unit == "Angstrom"
    assert spectrum.flux_error is not None and spectrum.flux_error[0] == pytest.approx(5.507403e-17)
    assert spectrum.mjd == pytest.approx(59475.61675925926)


def test_nan_points_are_dropped_and_counted() -> None:
    spectrum = read_spectrum(SPECTRA / "skyportal_spectrum_with_nan.txt")
    assert np.all(np.isfinite(spectrum.flux)) and spectrum.meta["dropped_non_finite_points"] == 1


def test_bad_spectra_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("wavelength flux\n4000 1e-16\n4001 abc\n")
    with pytest.raises(ValidationError, match=r"s.txt: line 3: flux: 'abc' is not a number"):
        read_spectrum(path)
    path.write_text("# DATE-OBS: 2019-13-45\n4000 1e-16\n")
    with pytest.raises(ValidationError, match="header DATE-OBS: '2019-13-45' is not a date"):
        read_spectrum(path)
    with pytest.raises(ValidationError, match="flux unit 'parsecs per fortnight'"):
        read_spectrum(
            SPECTRA / "tom_base_spectrum_sample.csv", SpectrumOptions(flux_unit="parsecs per fortnight")
        )


def test_upload_store_and_export_keep_units(store: Store, tmp_path: Path) -> None:
    outcome = data_service.upload_data_product(
        store, "SN 2024abc", SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat", "spectroscopy"
    )
    assert outcome.spectrum is not None and outcome.product.spectrum_id == outcome.spectrum.id
    with store.read() as view:
        repository = SpectrumRepository(view)
        record = repository.for_target(1)[0]
        stored = repository.load(record)
    original = read_spectrum(SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat")
    assert np.array_equal(stored.flux, original.flux) and stored.flux_unit == original.flux_unit
    report = export_spectra(store, ["SN 2024abc"], None, "ecsv", tmp_path / "out")
    table = QTable.read(report.files[0], format="ascii.ecsv")
    assert str(table["flux"].unit) == "erg / (Angstrom s cm2)"
    assert table["flux"].value[5] == original.flux[5]
    data_service.delete_product(store, outcome.product.id)
    with store.read() as view:
        assert SpectrumRepository(view).for_target(1) == []


def test_bad_spectrum_upload_stores_nothing(store: Store, tmp_path: Path) -> None:
    before = snapshot(store)
    path = tmp_path / "broken.txt"
    path.write_text("4000 1e-16\n-4001 2e-16\n")
    with pytest.raises(ValidationError, match=r"broken.txt: line 2: wavelength: -4001.0 is not a positive"):
        data_service.upload_data_product(store, "SN 2024abc", path, "spectroscopy")
    assert snapshot(store) == before


def test_gaia_xp_sampled_ecsv_keeps_nm_and_si_flux() -> None:
    spectrum = read_spectrum(SPECTRA / "gaia_dr3_5937083312263887616_xp_sampled.ecsv")
    assert len(spectrum) == 343 and spectrum.wavelength[0] == 336.0
    assert spectrum.wavelength_unit == "nm" and spectrum.flux_unit == "W / (nm m2)"  # not converted
    assert spectrum.flux_error is not None and spectrum.flux_error[0] == pytest.approx(5.74883867e-18)
    assert spectrum.mjd is None  # a mean spectrum has no observation date


def test_fits_binary_table_round_trip(store: Store, tmp_path: Path) -> None:
    """A spectrum exported as a FITS binary table reads back identically (units, errors, date)."""
    data_service.upload_data_product(
        store, "SN 2024abc", SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat", "spectroscopy"
    )
    report = export_spectra(store, ["SN 2024abc"], None, "fits", tmp_path / "fits")
    again = read_spectrum(Path(report.files[0]))
    original = read_spectrum(SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat")
    assert np.allclose(again.wavelength, original.wavelength) and np.allclose(again.flux, original.flux)
    assert again.flux_error is not None and np.allclose(again.flux_error, original.flux_error)  # type: ignore[arg-type]
    assert again.flux_unit == original.flux_unit and again.wavelength_unit == "Angstrom"
    assert again.date_obs == original.date_obs and again.telescope == "UH88"


def test_a_photometry_file_is_not_taken_for_a_spectrum() -> None:
    with pytest.raises(ValidationError, match="no wavelength and flux columns among time, filter, magnitude"):
        read_spectrum(PHOTOMETRY / "tom_base_test_lightcurve.csv")


def test_image_file_needs_an_image(store: Store, tmp_path: Path) -> None:
    from astropy.io import fits

    image = tmp_path / "frame.fits"
    fits.PrimaryHDU(np.zeros((8, 8), dtype=np.float32), header=fits.Header({"FILTER": "r"})).writeto(image)
    outcome = data_service.upload_data_product(store, "SN 2024abc", image, "image_file")
    assert outcome.product.details["header"]["FILTER"] == "r"
    table = tmp_path / "table.fits"
    fits.BinTableHDU.from_columns([fits.Column(name="x", format="E", array=np.arange(3.0))]).writeto(table)
    with pytest.raises(ValidationError, match=r"table.fits: no image in this FITS file"):
        data_service.upload_data_product(store, "SN 2024abc", table, "image_file")
