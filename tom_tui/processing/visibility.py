"""Visibility and night planning, vectorised over every target at once.

One night is a time grid (local noon to local noon, 5-minute steps by default). The Sun and the
Moon go through astropy once per grid; the targets are moved once to the true equator and
equinox of the middle of the night, and their altitudes over the whole grid come from one numpy
expression on the local apparent sidereal time. That is how a 1,000-target plan takes
milliseconds instead of the seconds per target an AltAz transform per target costs.
Altitudes are geometric (no refraction): the difference is a few arcminutes near the horizon.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tom_tui.domain.sites import Site
from tom_tui.domain.sky import ARCSEC_PER_DEGREE, vector_separation_arcsec
from tom_tui.processing.ephemeris import MJD_ZERO, proper_motion_position, radec_from_elements, time_scales

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TWILIGHTS = {"civil": -6.0, "nautical": -12.0, "astronomical": -18.0}
SUNSET_ALTITUDE = -0.833  # refraction plus the Sun's radius


@contextmanager
def offline_iers() -> Iterator[None]:
    """Earth-orientation data from the tables astropy ships, never from the network.

    astropy would otherwise try to download IERS-A tables (slow, and impossible offline) and
    refuse dates past its bundled table; extrapolated UT1-UTC is off by < 1 s, which moves
    altitudes by < 0.01°.
    """
    from astropy.utils import iers
    from astropy.utils.exceptions import AstropyWarning

    with (
        iers.conf.set_temp("auto_download", False),
        iers.conf.set_temp("auto_max_age", None),
        iers.conf.set_temp("iers_degraded_accuracy", "warn"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", AstropyWarning)
        yield


@dataclass(frozen=True)
class NightGrid:
    """The Sun, the Moon and sidereal time over one night at one site."""

    site: Site
    night: dt.date
    mjd: FloatArray
    step_days: float
    last_rad: FloatArray  # local apparent sidereal time
    sun_alt: FloatArray
    moon_alt: FloatArray
    moon_xyz: FloatArray  # (3, n) unit vectors, true equator of date
    moon_illumination: float
    mid_mjd: float

    def crossing(self, altitudes: FloatArray, level: float, rising: bool) -> float | None:
        """MJD of the first crossing of ``level`` (upwards or downwards), interpolated."""
        found = crossings(altitudes[np.newaxis, :], self.mjd, level, rising)[0]
        return None if math.isnan(found) else float(found)

    def twilights(self) -> dict[str, float | None]:
        """Sunset, sunrise and the evening/morning twilights as MJD (None when they do not happen)."""
        result: dict[str, float | None] = {
            "sunset": self.crossing(self.sun_alt, SUNSET_ALTITUDE, rising=False),
            "sunrise": self.crossing(self.sun_alt, SUNSET_ALTITUDE, rising=True),
        }
        for name, level in TWILIGHTS.items():
            result[f"{name}_dusk"] = self.crossing(self.sun_alt, level, rising=False)
            result[f"{name}_dawn"] = self.crossing(self.sun_alt, level, rising=True)
        return result


EARTH_RADIUS_AU = 6378.137 / 149597870.7


def _unit(vectors: FloatArray) -> FloatArray:
    return np.asarray(vectors / np.linalg.norm(vectors, axis=0), dtype=np.float64)


def _altitude_of_vectors(site: Site, last: FloatArray, xyz: FloatArray) -> FloatArray:
    """Altitude (degrees) of unit vectors (3, n) in the true equator of date, one per time."""
    latitude = math.radians(site.latitude_deg)
    ra = np.arctan2(xyz[1], xyz[0])
    dec = np.arcsin(np.clip(xyz[2], -1.0, 1.0))
    sin_alt = math.sin(latitude) * np.sin(dec) + math.cos(latitude) * np.cos(dec) * np.cos(last - ra)
    return np.asarray(np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0))), dtype=np.float64)


def night_grid(site: Site, night: dt.date, step_minutes: float = 5.0) -> NightGrid:
    """The grid for the night that starts on the evening of ``night`` (local date).

    The Sun (ERFA epv00) and the Moon (ERFA moon98, made topocentric) are rotated to the true
    equator and equinox of date (IAU 2006/2000A); sidereal time is GAST (gst06a).
    """
    import erfa

    local_noon_utc = dt.datetime.combine(night, dt.time(12), tzinfo=dt.UTC) - dt.timedelta(
        hours=site.longitude_deg / 15.0
    )
    start_mjd = (local_noon_utc - dt.datetime(1858, 11, 17, tzinfo=dt.UTC)).total_seconds() / 86400.0
    steps = round(24 * 60 / step_minutes) + 1
    mjd = start_mjd + np.arange(steps, dtype=np.float64) * step_minutes / 1440.0
    tt, ut1 = time_scales(mjd)
    zero = np.full_like(mjd, MJD_ZERO)
    rotation = erfa.pnm06a(zero, tt)  # (n, 3, 3): GCRS -> true equator and equinox of date
    last = np.asarray(erfa.gst06a(zero, ut1, zero, tt), dtype=np.float64) + math.radians(site.longitude_deg)
    heliocentric_earth, _ = erfa.epv00(zero, tt)
    sun_gcrs = -np.asarray(heliocentric_earth["p"], dtype=np.float64)  # (n, 3) AU
    moon_gcrs = np.asarray(erfa.moon98(zero, tt)["p"], dtype=np.float64)
    sun_true = np.einsum("nij,nj->in", rotation, sun_gcrs)
    moon_true = np.einsum("nij,nj->in", rotation, moon_gcrs)
    # The Moon is close enough for the observer's offset from the Earth's centre to matter (~1°).
    geocentric_latitude = math.atan((1 - 1 / 298.257223563) ** 2 * math.tan(math.radians(site.latitude_deg)))
    radius = EARTH_RADIUS_AU * (1.0 + site.elevation_m / 6378137.0)
    observer = radius * np.array(
        [
            math.cos(geocentric_latitude) * np.cos(last),
            math.cos(geocentric_latitude) * np.sin(last),
            np.full_like(last, math.sin(geocentric_latitude)),
        ]
    )
    moon_topocentric = _unit(moon_true - observer)
    sun_unit = _unit(sun_true)
    middle = steps // 2
    elongation = math.radians(
        float(vector_separation_arcsec(sun_unit[:, middle], moon_true[:, middle])) / ARCSEC_PER_DEGREE
    )
    return NightGrid(
        site=site,
        night=night,
        mjd=mjd,
        step_days=step_minutes / 1440.0,
        last_rad=last,
        sun_alt=_altitude_of_vectors(site, last, sun_unit),
        moon_alt=_altitude_of_vectors(site, last, moon_topocentric),
        moon_xyz=moon_topocentric,
        moon_illumination=(1.0 - math.cos(elongation)) / 2.0,
        mid_mjd=float(mjd[middle]),
    )


def apparent_coordinates(
    ra_deg: FloatArray, dec_deg: FloatArray, mjd: float
) -> tuple[FloatArray, FloatArray]:
    """ICRS → true equator and equinox of ``mjd`` (radians), for every target in one product.

    Annual aberration (≤ 20″) is left out: it does not matter for planning.
    """
    import erfa

    tt, _ = time_scales(np.array([mjd]))
    rotation = erfa.pnm06a(MJD_ZERO, tt[0])
    ra, dec = (
        np.radians(np.asarray(ra_deg, dtype=np.float64)),
        np.radians(np.asarray(dec_deg, dtype=np.float64)),
    )
    xyz = rotation @ np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    return (
        np.asarray(np.arctan2(xyz[1], xyz[0]), dtype=np.float64),
        np.asarray(np.arcsin(np.clip(xyz[2], -1.0, 1.0)), dtype=np.float64),
    )


def altitude_grid(grid: NightGrid, ra_app: FloatArray, dec_app: FloatArray) -> FloatArray:
    """Altitude in degrees, shape (targets, times)."""
    latitude = math.radians(grid.site.latitude_deg)
    hour_angle = grid.last_rad[np.newaxis, :] - ra_app[:, np.newaxis]
    sin_alt = math.sin(latitude) * np.sin(dec_app)[:, np.newaxis] + math.cos(latitude) * np.cos(dec_app)[
        :, np.newaxis
    ] * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))


def airmass(altitude_deg: FloatArray) -> FloatArray:
    """sec(z) above the horizon, NaN below it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(altitude_deg > 0, 1.0 / np.sin(np.radians(altitude_deg)), np.nan)


def crossings(altitudes: FloatArray, mjd: FloatArray, level: float, rising: bool) -> FloatArray:
    """Per row, the MJD of the first crossing of ``level`` (NaN if none), linearly interpolated."""
    above = altitudes >= level
    change = (~above[:, :-1] & above[:, 1:]) if rising else (above[:, :-1] & ~above[:, 1:])
    has = change.any(axis=1)
    first = np.argmax(change, axis=1)
    rows = np.arange(altitudes.shape[0])
    a0, a1 = altitudes[rows, first], altitudes[rows, first + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.clip((level - a0) / (a1 - a0), 0.0, 1.0)
    found = mjd[first] + fraction * (mjd[first + 1] - mjd[first])
    return np.where(has, found, np.nan)


@dataclass(frozen=True)
class PlanColumns:
    """The plan of every target for one night, one array per column (NaN: does not happen)."""

    rise_mjd: FloatArray
    set_mjd: FloatArray
    best_mjd: FloatArray
    max_altitude: FloatArray
    min_airmass: FloatArray
    hours_observable: FloatArray
    moon_separation: FloatArray
    dark_start_mjd: float | None
    dark_end_mjd: float | None


def plan_night(
    grid: NightGrid,
    ra_deg: Sequence[float] | FloatArray,
    dec_deg: Sequence[float] | FloatArray,
    airmass_limit: float = 2.0,
    twilight: str = "nautical",
    hour_angle_limit: float | None = None,
) -> PlanColumns:
    """Rise and set (horizon), best time, lowest airmass and hours under ``airmass_limit`` in the
    dark (Sun below the ``twilight`` level) and, when ``hour_angle_limit`` (hours) is given, within
    that hour angle of the meridian (a telescope's mechanical limit); and the Moon distance at the
    best time."""
    ra = np.asarray(ra_deg, dtype=np.float64)
    dec = np.asarray(dec_deg, dtype=np.float64)
    ra_app, dec_app = apparent_coordinates(ra, dec, grid.mid_mjd)
    altitude = altitude_grid(grid, ra_app, dec_app)
    dark: BoolArray = grid.sun_alt < TWILIGHTS[twilight]
    allowed = np.broadcast_to(dark[np.newaxis, :], altitude.shape)
    if hour_angle_limit is not None:
        allowed = allowed & (np.abs(hour_angles(grid, ra_app)) <= math.radians(15.0 * hour_angle_limit))
    limit_altitude = math.degrees(math.asin(1.0 / airmass_limit))
    observable = (altitude >= limit_altitude) & allowed
    dark_altitude = np.where(allowed, altitude, -np.inf)
    best = np.argmax(dark_altitude, axis=1)
    rows = np.arange(len(ra))
    max_altitude = dark_altitude[rows, best] if dark.any() else np.full(len(ra), np.nan)
    max_altitude = np.where(np.isfinite(max_altitude), max_altitude, np.nan)
    best_mjd = np.where(np.isfinite(max_altitude), grid.mjd[best], np.nan)
    target_xyz = np.array(
        [np.cos(dec_app) * np.cos(ra_app), np.cos(dec_app) * np.sin(ra_app), np.sin(dec_app)]
    )
    moon_at_best = grid.moon_xyz[:, best]
    moon_separation = vector_separation_arcsec(target_xyz, moon_at_best, axis=0) / ARCSEC_PER_DEGREE
    dark_indices = np.flatnonzero(dark)
    return PlanColumns(
        rise_mjd=crossings(altitude, grid.mjd, 0.0, rising=True),
        set_mjd=crossings(altitude, grid.mjd, 0.0, rising=False),
        best_mjd=best_mjd,
        max_altitude=np.where(np.isfinite(max_altitude), max_altitude, np.nan),
        min_airmass=airmass(np.where(np.isfinite(max_altitude), max_altitude, np.nan)),
        hours_observable=observable.sum(axis=1) * grid.step_days * 24.0,
        moon_separation=moon_separation,
        dark_start_mjd=float(grid.mjd[dark_indices[0]]) if dark_indices.size else None,
        dark_end_mjd=float(grid.mjd[dark_indices[-1]]) if dark_indices.size else None,
    )


def hour_angles(grid: NightGrid, ra_app: FloatArray) -> FloatArray:
    """Hour angle (radians, -π..π, negative east of the meridian) of each target at each time."""
    angle = grid.last_rad[np.newaxis, :] - np.atleast_1d(ra_app)[:, np.newaxis]
    return np.asarray((angle + math.pi) % (2.0 * math.pi) - math.pi, dtype=np.float64)


def hour_angle_window(
    grid: NightGrid, ra_deg: float, dec_deg: float, limit_hours: float
) -> tuple[float, float] | None:
    """When a target enters and leaves ``limit_hours`` of the meridian this night (MJD), or None
    when it is outside all night."""
    ra_app, _ = apparent_coordinates(np.array([ra_deg]), np.array([dec_deg]), grid.mid_mjd)
    inside = np.abs(hour_angles(grid, ra_app)[0]) <= math.radians(15.0 * limit_hours)
    if not inside.any():
        return None
    times = grid.mjd[inside]
    return float(times[0]), float(times[-1])


def target_track(grid: NightGrid, ra_deg: FloatArray, dec_deg: FloatArray) -> FloatArray:
    """Altitude over the grid of one target whose RA/Dec may change along it (non-sidereal)."""
    ra_app, dec_app = apparent_coordinates(ra_deg, dec_deg, grid.mid_mjd)
    latitude = math.radians(grid.site.latitude_deg)
    hour_angle = grid.last_rad - ra_app
    sin_alt = math.sin(latitude) * np.sin(dec_app) + math.cos(latitude) * np.cos(dec_app) * np.cos(hour_angle)
    return np.asarray(np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0))), dtype=np.float64)


def target_positions(targets: Sequence[Any], mjd: float) -> tuple[FloatArray, FloatArray]:
    """RA/Dec (degrees) of targets at ``mjd``: sidereal ones moved by their proper motion from
    their catalogue epoch, non-sidereal ones from their orbital elements."""
    ra = np.empty(len(targets))
    dec = np.empty(len(targets))
    for position, target in enumerate(targets):
        if getattr(target, "is_sidereal", True):
            ra[position], dec[position] = proper_motion_position(
                target.ra,
                target.dec,
                getattr(target, "pm_ra", None),
                getattr(target, "pm_dec", None),
                getattr(target, "epoch", None),
                mjd,
            )
        else:
            moving_ra, moving_dec = radec_from_elements(vars(target), mjd)
            ra[position], dec[position] = moving_ra[0], moving_dec[0]
    return ra, dec
