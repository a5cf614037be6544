"""The sexagesimal formatter shared by the CLI and the TUI, checked against astropy."""

from __future__ import annotations

import astropy.units as u
import pytest
from astropy.coordinates import Angle

from tom_tui.domain.angles import dec_sexagesimal, ra_sexagesimal

# RA values that once printed 60 in the seconds field, and a spread of ordinary ones.
RA_DEGREES = [30.5, 61.0, 110.0, 0.0, 0.001, 45.5, 150.01, 291.36621, 359.5, 15.0 - 1e-9]
DEC_DEGREES = [89.99999999, -89.99999999, 20.005, -12.25, 42.78436, 0.0, -0.5, 33.86718, 1e-9, -30.0 + 1e-9]


@pytest.mark.parametrize("ra", RA_DEGREES)
def test_ra_matches_astropy(ra: float) -> None:
    expected = Angle(ra, u.deg).to_string(unit=u.hour, sep=":", precision=2, pad=True)
    assert ra_sexagesimal(ra) == expected


@pytest.mark.parametrize("dec", DEC_DEGREES)
def test_dec_matches_astropy(dec: float) -> None:
    expected = Angle(dec, u.deg).to_string(unit=u.deg, sep=":", precision=1, pad=True, alwayssign=True)
    assert dec_sexagesimal(dec) == expected


def test_no_field_shows_sixty() -> None:
    assert ra_sexagesimal(30.5) == "02:02:00.00"
    assert dec_sexagesimal(89.99999999) == "+90:00:00.0"


def test_a_full_circle_wraps_to_zero_hours() -> None:
    assert ra_sexagesimal(360.0) == "00:00:00.00"
    assert ra_sexagesimal(359.99999999) == "00:00:00.00"


def test_a_value_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        ra_sexagesimal(float("nan"))
