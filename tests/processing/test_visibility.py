"""Night planning and ephemerides checked against astropy and against JPL Horizons."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.support.paths import HORIZONS
from tom_tui.domain.clock import to_mjd
from tom_tui.domain.sites import resolve_site
from tom_tui.processing.ephemeris import radec_from_elements
from tom_tui.processing.visibility import (
    NightGrid,
    altitude_grid,
    apparent_coordinates,
    night_grid,
    offline_iers,
    plan_night,
)

LA_PALMA = resolve_site("Roque de los Muchachos")


@pytest.fixture(scope="module")
def grid() -> NightGrid:
    return night_grid(LA_PALMA, dt.date(2026, 11, 22))


def test_altitudes_agree_with_astropy_altaz(grid: NightGrid) -> None:
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_body
    from astropy.time import Time

    ra, dec = np.array([10.68, 83.82, 279.23, 201.37]), np.array([41.27, -5.39, 38.78, -43.02])
    times = Time(grid.mjd[::24], format="mjd")
    location = EarthLocation.from_geodetic(
        LA_PALMA.longitude_deg * u.deg, LA_PALMA.latitude_deg * u.deg, LA_PALMA.elevation_m * u.m
    )
    frame = AltAz(obstime=times, location=location)
    with offline_iers():
        expected = np.array(
            [SkyCoord(r * u.deg, d * u.deg).transform_to(frame).alt.deg for r, d in zip(ra, dec, strict=True)]
        )
        sun = get_body("sun", times, location).transform_to(frame).alt.deg
        moon = get_body("moon", times, location).transform_to(frame).alt.deg
    ours = altitude_grid(grid, *apparent_coordinates(ra, dec, grid.mid_mjd))[:, ::24]
    assert np.abs(ours - expected).max() < 0.02
    assert np.abs(grid.sun_alt[::24] - sun).max() < 0.02
    assert np.abs(grid.moon_alt[::24] - moon).max() < 0.02


def test_twilights_come_in_order_and_at_la_palma_winter_times(grid: NightGrid) -> None:
    twilights = grid.twilights()
    order = [
        "sunset",
        "civil_dusk",
        "nautical_dusk",
        "astronomical_dusk",
        "astronomical_dawn",
        "nautical_dawn",
        "civil_dawn",
        "sunrise",
    ]
    values = [twilights[name] for name in order]
    known = [v for v in values if v is not None]
    assert len(known) == len(values) and known == sorted(known)
    sunset = dt.datetime(1858, 11, 17, tzinfo=dt.UTC) + dt.timedelta(days=known[0])
    # Sunset at La Palma on 22 November is around 18:20 UTC (local = UTC in winter).
    assert (
        dt.datetime(2026, 11, 22, 18, 5, tzinfo=dt.UTC)
        < sunset
        < dt.datetime(2026, 11, 22, 18, 35, tzinfo=dt.UTC)
    )


def test_plan_marks_targets_that_never_rise_and_ranks_zenith_targets_best(grid: NightGrid) -> None:
    # Dec -80 never rises at latitude +28.8; a target at Dec +29 with RA near local midnight
    # sidereal time passes almost through the zenith.
    midnight_lst_deg = float(np.degrees(grid.last_rad[len(grid.mjd) // 2]) % 360)
    plan = plan_night(grid, [midnight_lst_deg, 0.0], [28.8, -80.0], airmass_limit=2.0)
    assert plan.min_airmass[0] < 1.01 and plan.hours_observable[0] > 6
    assert np.isnan(plan.min_airmass[1]) and plan.hours_observable[1] == 0 and np.isnan(plan.rise_mjd[1])
    assert plan.dark_start_mjd is not None and plan.dark_start_mjd <= plan.best_mjd[0] <= plan.dark_end_mjd


def test_site_parsing_errors_name_what_was_expected() -> None:
    assert resolve_site("28.76,-17.88,2300").elevation_m == 2300
    with pytest.raises(ValueError, match="LAT,LON,HEIGHT"):
        resolve_site("Atlantis")
    with pytest.raises(ValueError, match="latitude"):
        resolve_site("95,10")


def _horizons_rows(name: str) -> list[list[str]]:
    lines = (HORIZONS / name).read_text().splitlines()
    start, end = lines.index("$$SOE"), lines.index("$$EOE")
    return [[cell.strip() for cell in line.split(",")] for line in lines[start + 1 : end]]


def test_ceres_from_its_osculating_elements_matches_horizons_for_a_month() -> None:
    element_row = _horizons_rows("ceres_elements_range.txt")[0]
    # JDTDB, date, EC, QR, IN, OM, W, Tp, N, MA, TA, A, AD, PR
    elements = {
        "scheme": "MPC_MINOR_PLANET",
        "epoch_of_elements": float(element_row[0]) - 2400000.5,
        "eccentricity": float(element_row[2]),
        "inclination": float(element_row[4]),
        "lng_asc_node": float(element_row[5]),
        "arg_of_perihelion": float(element_row[6]),
        "mean_anomaly": float(element_row[9]),
        "semimajor_axis": float(element_row[11]),
    }
    for row in _horizons_rows("ceres_ephemerides_range.txt"):
        moment = dt.datetime.strptime(row[0], "%Y-%b-%d %H:%M").replace(tzinfo=dt.UTC)
        ra, dec = radec_from_elements(elements, to_mjd(moment))
        expected_ra, expected_dec = float(row[4]), float(row[5])
        separation = (
            np.hypot((ra[0] - expected_ra) * np.cos(np.radians(expected_dec)), dec[0] - expected_dec) * 3600
        )
        assert separation < 30, f"{row[0]}: {separation:.1f} arcsec from Horizons"


def test_comet_elements_in_the_three_orbit_kinds_give_finite_positions() -> None:
    base = {
        "scheme": "MPC_COMET",
        "inclination": 30.0,
        "lng_asc_node": 50.0,
        "arg_of_perihelion": 10.0,
        "perihdist": 1.2,
        "epoch_of_perihelion": 61300.0,
        "epoch_of_elements": 61300.0,
    }
    for eccentricity in (0.6, 1.0, 1.4):
        ra, dec = radec_from_elements(
            dict(base, eccentricity=eccentricity), np.array([61250.0, 61300.0, 61350.0])
        )
        assert np.all(np.isfinite(ra)) and np.all(np.abs(dec) <= 90)
