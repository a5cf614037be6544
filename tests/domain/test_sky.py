"""The one angular separation agrees with astropy at small angles, the RA wrap and the poles."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from tom_tui.domain.sky import (
    chord_for,
    crossmatch,
    separation_arcsec,
    unit_vectors,
    vector_separation_arcsec,
)


def astropy_separation(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray) -> np.ndarray:
    first = SkyCoord(ra1 * u.deg, dec1 * u.deg)
    second = SkyCoord(ra2 * u.deg, dec2 * u.deg)
    return np.asarray(first.separation(second).to_value(u.arcsec))


@pytest.mark.parametrize(
    ("ra1", "dec1", "ra2", "dec2"),
    [
        (10.0, 20.0, 10.0 + 1e-9, 20.0),  # 3.6 micro-arcsec: cosine rule would give 0 or noise
        (10.0, 20.0, 10.0, 20.0 + 2e-10),
        (359.9999, 0.0, 0.0001, 0.0),  # across RA = 0
        (359.99999, -45.0, 0.00001, -45.00001),
        (0.0, 89.99999, 180.0, 89.99999),  # over the north pole
        (45.0, -89.999999, 225.0, -89.999998),
        (0.0, 90.0, 123.0, 90.0),  # the same pole, any RA
        (0.0, 0.0, 180.0, 1e-7),  # nearly opposite points
        (12.3, -45.6, 200.1, 33.3),
    ],
)
def test_separation_matches_astropy(ra1: float, dec1: float, ra2: float, dec2: float) -> None:
    ours = float(separation_arcsec(ra1, dec1, ra2, dec2))
    theirs = float(astropy_separation(np.array(ra1), np.array(dec1), np.array(ra2), np.array(dec2)))
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


def test_separation_is_exact_near_zero() -> None:
    """One micro-arcsecond along the equator is one micro-arcsecond, not rounded to zero."""
    tiny = 1e-6 / 3600.0
    assert float(separation_arcsec(0.0, 0.0, tiny, 0.0)) == pytest.approx(1e-6, rel=1e-6)
    assert float(separation_arcsec(5.0, 5.0, 5.0, 5.0)) == 0.0


def test_separation_broadcasts_one_position_against_many() -> None:
    rng = np.random.default_rng(3)
    ra = rng.uniform(0.0, 360.0, 2000)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 2000)))
    ours = separation_arcsec(150.0, 2.2, ra, dec)
    theirs = astropy_separation(np.full(2000, 150.0), np.full(2000, 2.2), ra, dec)
    assert ours.shape == (2000,)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-7)


def test_chord_and_unit_vectors_agree_with_separation() -> None:
    xyz = unit_vectors(np.array([359.999, 0.001]), np.array([-30.0, -30.0]))
    distance = float(np.linalg.norm(xyz[0] - xyz[1]))
    assert distance == pytest.approx(chord_for(float(separation_arcsec(359.999, -30.0, 0.001, -30.0))))


def test_crossmatch_agrees_with_brute_force_at_the_wrap_and_poles() -> None:
    rng = np.random.default_rng(11)
    centres_ra = np.array([0.0, 359.9995, 77.0, 250.0])
    centres_dec = np.array([0.0, 10.0, 89.9996, -89.9997])
    target_ra = (np.repeat(centres_ra, 50) + rng.normal(0, 0.001, 200)) % 360.0
    target_dec = np.clip(np.repeat(centres_dec, 50) + rng.normal(0, 0.001, 200), -90, 90)
    target_dec[7] = np.nan  # a target without a position matches nothing
    alert_ra = (centres_ra + rng.normal(0, 0.0005, 4)) % 360.0
    alert_dec = np.clip(centres_dec + rng.normal(0, 0.0005, 4), -90, 90)
    rows, targets, separations = crossmatch(target_ra, target_dec, alert_ra, alert_dec, 3.0)
    every = separation_arcsec(alert_ra[:, None], alert_dec[:, None], target_ra[None, :], target_dec[None, :])
    expected = {(int(a), int(t)) for a, t in zip(*np.nonzero(every <= 3.0), strict=True)}
    assert set(zip(rows.tolist(), targets.tolist(), strict=True)) == expected
    assert len(expected) > 4  # the clumps do produce matches, the wrapped ones included
    assert 7 not in targets.tolist()
    np.testing.assert_allclose(separations, every[rows, targets])
    assert np.all(np.diff(rows) >= 0)


def test_vector_separation_matches_the_position_one_near_0_and_180() -> None:
    ra = np.array([10.0, 10.0, 123.0])
    dec = np.array([20.0, 20.0, 89.9999])
    other_ra = np.array([10.0 + 1e-8, 190.0, 303.0])
    other_dec = np.array([20.0, -20.0 + 1e-8, 89.9999])
    # Lengths other than one do not matter: only directions do.
    first = unit_vectors(ra, dec) * 3.0
    second = unit_vectors(other_ra, other_dec) * 0.5
    expected = separation_arcsec(ra, dec, other_ra, other_dec)
    np.testing.assert_allclose(vector_separation_arcsec(first, second, axis=1), expected, rtol=1e-7)
    np.testing.assert_allclose(vector_separation_arcsec(first.T, second.T, axis=0), expected, rtol=1e-7)
    assert expected[0] == pytest.approx(1e-8 * np.cos(np.radians(20.0)) * 3600.0, rel=1e-6)
