"""Moving-target positions checked against JPL Horizons' own answers (recorded API responses):
osculating elements of Ceres at four dates, and Horizons' geocentric table at the same instants.
At the elements' own epoch, two-body motion is exact, so the remaining differences are ours."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.horizons import elements_at_dates, horizons_observer_table
from tom_tui.processing.ephemeris import ephemeris, proper_motion_position


def test_positions_rates_and_distances_match_horizons() -> None:
    truth = horizons_observer_table()
    assert len(truth) == 4
    for elements, expected in zip(elements_at_dates(), truth, strict=True):
        ours = ephemeris(elements, expected["mjd"]).rows()[0]
        separation = np.hypot(
            (ours["ra"] - expected["ra"]) * np.cos(np.radians(expected["dec"])), ours["dec"] - expected["dec"]
        )
        assert separation * 3600 < 2.0, (
            f"{separation * 3600:.2f} arcsec from Horizons at MJD {expected['mjd']}"
        )
        # Horizons gives rates in the true equator and equinox of date, turned ~0.13 deg from ICRS by
        # 22 years of precession: the total rate is the same in both, its parts differ by ~0.15"/h.
        ours_total = np.hypot(ours["ra_rate"], ours["dec_rate"])
        assert ours_total == pytest.approx(np.hypot(expected["ra_rate"], expected["dec_rate"]), abs=0.02)
        assert ours["ra_rate"] == pytest.approx(expected["ra_rate"], abs=0.05)  # arcsec/hour
        assert ours["dec_rate"] == pytest.approx(expected["dec_rate"], abs=0.25)
        assert ours["delta"] == pytest.approx(expected["delta"], abs=2e-6)  # AU
        assert ours["r"] == pytest.approx(expected["r"], abs=2e-6)


def test_proper_motion_moves_a_star_by_the_catalogue_rate() -> None:
    # Barnard's star (Gaia DR3): 10.3 arcsec/yr mostly northwards; 26 years from J2000 to 2026.
    ra, dec = 269.45207695, 4.69336497
    moved_ra, moved_dec = proper_motion_position(ra, dec, -801.551, 10362.394, 2000.0, 61041.0)
    years = (61041.0 - 51544.5) / 365.25
    assert (moved_dec - dec) * 3.6e6 == pytest.approx(10362.394 * years, rel=1e-9)
    assert (moved_ra - ra) * np.cos(np.radians(dec)) * 3.6e6 == pytest.approx(-801.551 * years, rel=1e-3)
    assert proper_motion_position(ra, dec, None, None, None, 61041.0) == (ra, dec)
