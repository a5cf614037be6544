"""Hermes message rows from domain records, checked against values known by hand: MJD 51544.5
is 2000-01-01 12:00 UTC, AB 15.0 is 3630.78 µJy, 1 W m⁻² nm⁻¹ is 100 erg s⁻¹ cm⁻² Å⁻¹."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.adapters.http import Credentials
from tom_tui.adapters.sharing.hermes import (
    HermesClient,
    HermesMessage,
    hermes_target,
    photometry_row,
    spectroscopy_row,
)
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import Target

J2000_MJD = 51544.5
J2000_ISO = "2000-01-01T12:00:00.000+00:00"


def _row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"mjd": J2000_MJD, "filter": "ztfg", "telescope": "P48", "instrument": "ZTF"}
    return {**base, **fields}


def test_an_ab_detection_keeps_its_magnitude_error_and_limit() -> None:
    row = photometry_row("SN 2000x", _row(mag=18.512, magerr=0.031, limit=20.4, magsys="AB", flux=145.0))
    assert row == {
        "target_name": "SN 2000x",
        "date_obs": J2000_ISO,
        "telescope": "P48",
        "instrument": "ZTF",
        "bandpass": "ztfg",
        "brightness": 18.512,
        "brightness_error": 0.031,
        "brightness_unit": "AB mag",
        "limiting_brightness": 20.4,
        "limiting_brightness_unit": "AB mag",
    }


def test_a_non_detection_is_a_limit_and_vega_is_named() -> None:
    limit = photometry_row("X", _row(mag=None, limit=20.5, magsys="AB"))
    assert "brightness" not in limit and limit["limiting_brightness"] == 20.5
    vega = photometry_row("X", _row(mag=14.2, magerr=0.05, magsys="Vega", filter="V"))
    assert (vega["brightness"], vega["brightness_unit"], vega["bandpass"]) == (14.2, "Vega mag", "V")


def test_a_flux_alone_or_an_unnamed_system_goes_as_millijansky() -> None:
    flux = photometry_row("X", _row(mag=None, limit=None, flux=3630.78, fluxerr=36.3078))
    assert flux["brightness_unit"] == "mJy"
    assert flux["brightness"] == pytest.approx(3.63078) and flux["brightness_error"] == pytest.approx(
        0.0363078
    )
    other = photometry_row("X", _row(mag=15.0, magsys="ST", flux=3630.78))
    assert other["brightness_unit"] == "mJy" and other["brightness"] == pytest.approx(3.63078)


def test_points_hermes_would_refuse_say_why() -> None:
    with pytest.raises(ValidationError, match=r"X point at MJD 51544\.50000: no telescope or instrument"):
        photometry_row("X", _row(mag=18.0, telescope=None, instrument=None))
    with pytest.raises(ValidationError, match="no magnitude, limit or flux Hermes can name"):
        photometry_row("X", _row(mag=None, limit=None, flux=None))


def test_a_spectrum_goes_in_angstrom_and_erg_per_angstrom() -> None:
    spectrum = Spectrum(
        wavelength=np.array([500.0, 600.0]),
        flux=np.array([1e-17, 2e-17]),
        flux_error=np.array([1e-18, np.nan]),
        wavelength_unit="nm",
        flux_unit="W / (m2 nm)",
        mjd=J2000_MJD,
        telescope="UH88",
        instrument="SNIFS",
    )
    row = spectroscopy_row("X", spectrum, "spectrum 4")
    assert row["wavelength"] == pytest.approx([5000.0, 6000.0]) and row["wavelength_units"] == "Å"
    assert row["flux"] == pytest.approx([1e-15, 2e-15]) and row["flux_units"] == "erg / s / cm² / Å"
    assert row["flux_error"] == pytest.approx([1e-16, 0.0]) and row["flux_type"] == "Fλ"
    assert row["date_obs"] == J2000_ISO and row["instrument"] == "SNIFS"


def test_a_spectrum_in_jansky_goes_in_millijansky_and_one_without_unit_is_refused() -> None:
    jansky = Spectrum(np.array([5000.0]), np.array([0.002]), flux_unit="Jy", mjd=J2000_MJD, telescope="T")
    row = spectroscopy_row("X", jansky, "spectrum 1")
    assert row["flux"] == pytest.approx([2.0]) and (row["flux_units"], row["flux_type"]) == ("mJy", "Fν")
    unknown = Spectrum(np.array([5000.0]), np.array([1.0]), mjd=J2000_MJD, telescope="T")
    with pytest.raises(ValidationError, match="X spectrum 2: flux unit not given"):
        spectroscopy_row("X", unknown, "spectrum 2")


def test_the_payload_has_the_submit_message_fields() -> None:
    target = Target(name="SN 2000x", ra=150.1, dec=-2.5, aliases=["SN 2000x", "ZTF00abc"])
    message = HermesMessage("hermes.test", "T", "Me", "Me, You", "text", [hermes_target(target)])
    assert message.payload() == {
        "topic": "hermes.test",
        "title": "T",
        "submitter": "Me",
        "authors": "Me, You",
        "message_text": "text",
        "data": {"targets": [{"name": "SN 2000x", "ra": 150.1, "dec": -2.5, "aliases": ["ZTF00abc"]}]},
    }


def test_the_token_is_required_and_kept_out_of_descriptions() -> None:
    with pytest.raises(AdapterError, match="missing credential"):
        HermesClient("https://hermes.example.org", Credentials("hermes", {}))
    client = HermesClient("https://hermes.example.org", Credentials("hermes", {"token": "sekrit-token-1"}))
    request = client.submit_request(HermesMessage("t", "T", "Me"))
    assert request.url == "https://hermes.example.org/api/v0/submit_message/"
    assert request.headers["Authorization"] == "Token sekrit-token-1"
    assert "sekrit" not in str(request.describe())
