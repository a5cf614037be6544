"""Which band a frame's filter name means, which catalog column holds it, and Gaia photometry in it."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.processing.reduction.reference_stars import (
    JOHNSON_COUSINS,
    SDSS,
    PhotometricBand,
    band_of_filter,
    gaia_in_band,
    magnitude_column,
)


@pytest.mark.parametrize(
    ("name", "band"),
    [
        ("r", PhotometricBand(SDSS, "r")),
        ("rp", PhotometricBand(SDSS, "r")),  # LCO
        ("r'", PhotometricBand(SDSS, "r")),
        ("sdss_i", PhotometricBand(SDSS, "i")),
        ("Sloan g", PhotometricBand(SDSS, "g")),
        ("ztfr", PhotometricBand(SDSS, "r")),
        ("R", PhotometricBand(JOHNSON_COUSINS, "R")),  # a capital is Cousins, not Sloan
        ("Rc", PhotometricBand(JOHNSON_COUSINS, "R")),
        ("Ic", PhotometricBand(JOHNSON_COUSINS, "I")),
        ("Bessell V", PhotometricBand(JOHNSON_COUSINS, "V")),
        ("johnson_b", PhotometricBand(JOHNSON_COUSINS, "B")),
        ("clear", None),
        ("Halpha", None),
        (None, None),
        ("", None),
    ],
)
def test_filter_names_are_read_as_bands(name: str | None, band: PhotometricBand | None) -> None:
    assert band_of_filter(name) == band


def test_the_column_of_a_band_is_matched_exactly() -> None:
    apass = ["RAJ2000", "DEJ2000", "Vmag", "Bmag", "g'mag", "r'mag", "i'mag"]
    refcat2 = ["RA_ICRS", "DE_ICRS", "Gmag", "BPmag", "RPmag", "gmag", "rmag", "imag", "zmag"]
    assert magnitude_column(apass, PhotometricBand(SDSS, "r")) == "r'mag"
    assert magnitude_column(refcat2, PhotometricBand(SDSS, "r")) == "rmag"
    assert magnitude_column(apass, PhotometricBand(JOHNSON_COUSINS, "V")) == "Vmag"
    assert magnitude_column(refcat2, PhotometricBand(JOHNSON_COUSINS, "R")) is None  # rmag is not R
    assert magnitude_column(refcat2, PhotometricBand(JOHNSON_COUSINS, "V")) is None


def test_gaia_relations_hold_only_over_their_colour_range() -> None:
    g = np.array([15.0, 15.0, 15.0])
    bp = np.array([15.3, 16.0, 19.0])
    rp = np.array([14.6, 14.3, 14.5])  # BP-RP = 0.7, 1.7, 4.5
    error = np.full(3, 0.001)
    mag, mag_error, note = gaia_in_band(g, bp, rp, error, PhotometricBand(SDSS, "i"))  # 0.5 < BP-RP < 2.0
    assert np.isfinite(mag[:2]).all() and np.isnan(mag[2])
    # A solar-type star (BP-RP 0.82): i is ~0.15 mag brighter than G.
    solar, _, _ = gaia_in_band(
        np.array([15.0]), np.array([15.4]), np.array([14.58]), error[:1], band_of_filter("i")
    )
    assert solar[0] == pytest.approx(14.83, abs=0.03)
    assert np.all(mag_error[:2] >= 0.04092)
    assert "converted to SDSS i" in note


def test_bands_without_a_relation_use_g_and_say_so() -> None:
    g, bp, rp, error = (np.array([value]) for value in (15.0, 15.5, 14.4, 0.002))
    mag, mag_error, note = gaia_in_band(g, bp, rp, error, PhotometricBand(JOHNSON_COUSINS, "B"))
    assert mag[0] == 15.0 and mag_error[0] == 0.002
    assert note.startswith("Gaia G used for the Johnson-Cousins B band") and "colour term" in note
    _, _, unfiltered = gaia_in_band(g, bp, rp, error, None)
    assert "an unfiltered frame" in unfiltered
