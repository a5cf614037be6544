"""An hour-angle limit (a telescope that cannot point far from the meridian) shortens the hours a
target is observable and keeps its best time within the limit: checked against the hour angle
computed independently with astropy."""

from __future__ import annotations

import datetime as dt

from astropy import units as u
from astropy.coordinates import EarthLocation, Longitude, SkyCoord
from astropy.time import Time

from tom_tui.domain.sites import resolve_site
from tom_tui.processing.visibility import hour_angle_window, night_grid, plan_night

SITE = resolve_site("Roque de los Muchachos")
NIGHT = dt.date(2026, 11, 22)
RA, DEC = 150.1, 25.3  # transits about 05:00 UTC that night, in the dark


def astropy_hour_angle_hours(mjd: float) -> float:
    location = EarthLocation.from_geodetic(
        SITE.longitude_deg * u.deg, SITE.latitude_deg * u.deg, SITE.elevation_m * u.m
    )
    sidereal = Time(mjd, format="mjd", scale="utc", location=location).sidereal_time("apparent")
    star = SkyCoord(RA * u.deg, DEC * u.deg).transform_to("gcrs")  # near enough to apparent for this
    return float(Longitude(sidereal - star.ra, wrap_angle=180 * u.deg).hour)


def test_an_hour_angle_limit_keeps_the_plan_near_the_meridian() -> None:
    grid = night_grid(SITE, NIGHT)
    free = plan_night(grid, [RA], [DEC], airmass_limit=3.0)
    limited = plan_night(grid, [RA], [DEC], airmass_limit=3.0, hour_angle_limit=1.0)
    assert 0 < limited.hours_observable[0] <= 2.0 + grid.step_days * 24 < free.hours_observable[0]
    assert abs(astropy_hour_angle_hours(float(limited.best_mjd[0]))) <= 1.0 + 0.05

    window = hour_angle_window(grid, RA, DEC, 1.0)
    assert window is not None
    start, end = window
    step_hours = grid.step_days * 24  # the window's ends are grid times: within one step
    assert abs(astropy_hour_angle_hours(start) + 1.0) <= step_hours + 0.01
    assert abs(astropy_hour_angle_hours(end) - 1.0) <= step_hours + 0.01
