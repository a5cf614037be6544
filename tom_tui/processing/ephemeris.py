"""Where a non-sidereal target is: geocentric astrometric RA/Dec from orbital elements.

Also the UTC to TT conversion that both this and the visibility calculation need.

Two-body (Keplerian) motion about the Sun from heliocentric ecliptic J2000 elements in the three
TOM Toolkit schemes (MPC_MINOR_PLANET, MPC_COMET, JPL_MAJOR_PLANET), elliptic, parabolic and
hyperbolic orbits; the Earth from astropy's built-in ephemeris; one light-time iteration.
Good to arcseconds over weeks from the epoch of osculation (planetary perturbations are
ignored), which is plenty for visibility and pointing checks.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tom_tui.domain.units import JD_MINUS_MJD

FloatArray = npt.NDArray[np.float64]

GAUSS_K = 0.01720209895  # Gaussian gravitational constant, rad/day for a = 1 AU
LIGHT_AU_PER_DAY = 173.1446326846693
OBLIQUITY_J2000 = math.radians(84381.448 / 3600.0)
PARABOLIC_TOLERANCE = 1e-6


def _solve_elliptic(mean_anomaly: FloatArray, eccentricity: float) -> FloatArray:
    anomaly = mean_anomaly + eccentricity * np.sin(mean_anomaly)
    for _ in range(50):
        step = (anomaly - eccentricity * np.sin(anomaly) - mean_anomaly) / (
            1.0 - eccentricity * np.cos(anomaly)
        )
        anomaly = anomaly - step
        if np.all(np.abs(step) < 1e-13):
            break
    return anomaly


def _solve_hyperbolic(mean_anomaly: FloatArray, eccentricity: float) -> FloatArray:
    anomaly = np.arcsinh(mean_anomaly / eccentricity)
    for _ in range(100):
        step = (eccentricity * np.sinh(anomaly) - anomaly - mean_anomaly) / (
            eccentricity * np.cosh(anomaly) - 1.0
        )
        anomaly = anomaly - step
        if np.all(np.abs(step) < 1e-13):
            break
    return anomaly


def _in_plane(elements: Mapping[str, Any], mjd: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Position in the orbital plane (x towards perihelion), AU."""
    scheme = str(elements.get("scheme") or "MPC_MINOR_PLANET")
    eccentricity = float(elements["eccentricity"])
    if scheme == "MPC_COMET":
        perihelion = float(elements["perihdist"])
        since_perihelion = mjd - float(elements["epoch_of_perihelion"])
        if abs(eccentricity - 1.0) < PARABOLIC_TOLERANCE:
            # Barker's equation: tan(v/2) from the cubic s^3 + 3s = 3 W.
            w = 3.0 * GAUSS_K / math.sqrt(2.0 * perihelion**3) * since_perihelion
            y = np.cbrt(w / 2.0 + np.sqrt(w * w / 4.0 + 1.0))
            s = y - 1.0 / y
            true_anomaly = 2.0 * np.arctan(s)
            radius = perihelion * (1.0 + s * s)
            return radius * np.cos(true_anomaly), radius * np.sin(true_anomaly)
        semimajor = perihelion / abs(1.0 - eccentricity)
        mean_anomaly = GAUSS_K / semimajor**1.5 * since_perihelion
    else:
        semimajor = float(elements["semimajor_axis"])
        motion = elements.get("mean_daily_motion")
        daily = (
            math.radians(float(motion))
            if scheme == "JPL_MAJOR_PLANET" and motion
            else GAUSS_K / semimajor**1.5
        )
        mean_anomaly = math.radians(float(elements["mean_anomaly"])) + daily * (
            mjd - float(elements["epoch_of_elements"])
        )
    if eccentricity < 1.0:
        anomaly = _solve_elliptic(np.mod(mean_anomaly, 2.0 * math.pi), eccentricity)
        return (
            semimajor * (np.cos(anomaly) - eccentricity),
            semimajor * math.sqrt(1.0 - eccentricity**2) * np.sin(anomaly),
        )
    anomaly = _solve_hyperbolic(mean_anomaly, eccentricity)
    return (
        semimajor * (eccentricity - np.cosh(anomaly)),
        semimajor * math.sqrt(eccentricity**2 - 1.0) * np.sinh(anomaly),
    )


def heliocentric_equatorial(elements: Mapping[str, Any], mjd: FloatArray) -> FloatArray:
    """Heliocentric position (3, n) in AU, equatorial J2000 axes, at each MJD (UTC)."""
    # Orbital elements are given in a dynamical time (TT for the MPC, TDB for JPL: within 2 ms of
    # each other); UTC lags by 64-69 s, a few arcseconds of motion for a near-Earth object.
    terrestrial, _ = time_scales(np.atleast_1d(np.asarray(mjd, dtype=np.float64)))
    x, y = _in_plane(elements, terrestrial)
    omega = math.radians(float(elements["arg_of_perihelion"]))
    node = math.radians(float(elements["lng_asc_node"]))
    inclination = math.radians(float(elements["inclination"]))
    cos_w, sin_w = math.cos(omega), math.sin(omega)
    cos_n, sin_n = math.cos(node), math.sin(node)
    cos_i, sin_i = math.cos(inclination), math.sin(inclination)
    ecliptic_x = (cos_n * cos_w - sin_n * sin_w * cos_i) * x + (-cos_n * sin_w - sin_n * cos_w * cos_i) * y
    ecliptic_y = (sin_n * cos_w + cos_n * sin_w * cos_i) * x + (-sin_n * sin_w + cos_n * cos_w * cos_i) * y
    ecliptic_z = (sin_w * sin_i) * x + (cos_w * sin_i) * y
    cos_e, sin_e = math.cos(OBLIQUITY_J2000), math.sin(OBLIQUITY_J2000)
    return np.array(
        [ecliptic_x, cos_e * ecliptic_y - sin_e * ecliptic_z, sin_e * ecliptic_y + cos_e * ecliptic_z]
    )


MJD_ZERO = JD_MINUS_MJD  # erfa takes two-part JDs: MJD_ZERO + mjd


def time_scales(mjd_utc: FloatArray) -> tuple[FloatArray, FloatArray]:
    """TT and UT1 (as MJD offsets from MJD_ZERO). UT1 is taken as UTC: off by < 0.9 s, which
    moves an altitude by < 0.004° and needs no Earth-orientation table."""
    import erfa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)  # dates past ERFA's leap-second list
        tai1, tai2 = erfa.utctai(np.full_like(mjd_utc, MJD_ZERO), mjd_utc)
        _, tt2 = erfa.taitt(tai1, tai2)
    return np.asarray(tt2, dtype=np.float64), mjd_utc


def earth_heliocentric(mjd: FloatArray) -> FloatArray:
    """The Earth's heliocentric position (3, n) in AU, ICRS axes (ERFA epv00)."""
    import erfa

    tt, _ = time_scales(mjd)
    heliocentric, _ = erfa.epv00(np.full_like(tt, MJD_ZERO), tt)
    return np.asarray(heliocentric["p"], dtype=np.float64).T


def radec_from_elements(
    elements: Mapping[str, Any], mjd: FloatArray | float
) -> tuple[FloatArray, FloatArray]:
    """Geocentric astrometric RA and Dec (degrees) at each MJD (UTC)."""
    times = np.atleast_1d(np.asarray(mjd, dtype=np.float64))
    earth = earth_heliocentric(times)
    geocentric = heliocentric_equatorial(elements, times) - earth
    # Light time: we see the object where it was when the light left it.
    distance = np.linalg.norm(geocentric, axis=0)
    geocentric = heliocentric_equatorial(elements, times - distance / LIGHT_AU_PER_DAY) - earth
    x, y, z = geocentric
    ra = np.degrees(np.arctan2(y, x)) % 360.0
    dec = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return ra, dec


ARCSEC_PER_DEGREE = 3600.0
RATE_STEP_DAYS = 0.5 / 24.0  # rates from positions half an hour either side


@dataclass(frozen=True)
class EphemerisRows:
    """Where a moving target is at each time, as JPL Horizons tabulates it.

    ``ra``/``dec``: astrometric ICRS degrees (light-time corrected, no aberration); rates in
    arcseconds per hour, ``ra_rate`` being dRA·cos(Dec) as in Horizons; ``delta``: distance from the
    observer and ``r``: from the Sun, both in AU. Geocentric unless an observer offset was given.
    """

    mjd: FloatArray
    ra: FloatArray
    dec: FloatArray
    ra_rate: FloatArray
    dec_rate: FloatArray
    delta: FloatArray
    r: FloatArray

    def rows(self) -> list[dict[str, float]]:
        names = ("mjd", "ra", "dec", "ra_rate", "dec_rate", "delta", "r")
        columns = [getattr(self, name).tolist() for name in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _observed(
    elements: Mapping[str, Any], times: FloatArray, observer: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """Vector from the observer to the target (3, n) in AU, light-time corrected, and the target's
    distance from the Sun at the time the light left it."""
    earth = earth_heliocentric(times)
    if observer is not None:
        earth = earth + observer
    seen = heliocentric_equatorial(elements, times) - earth
    emitted = times - np.linalg.norm(seen, axis=0) / LIGHT_AU_PER_DAY
    heliocentric = heliocentric_equatorial(elements, emitted)
    return heliocentric - earth, np.linalg.norm(heliocentric, axis=0)


def _angles(vector: FloatArray) -> tuple[FloatArray, FloatArray]:
    x, y, z = vector
    return np.degrees(np.arctan2(y, x)) % 360.0, np.degrees(np.arctan2(z, np.hypot(x, y)))


def ephemeris(
    elements: Mapping[str, Any],
    mjd: FloatArray | float,
    observer_au: Callable[[FloatArray], FloatArray] | None = None,
) -> EphemerisRows:
    """Positions, rates and distances at each MJD (UTC). ``observer_au`` gives the observer's
    geocentric position (3, n) in AU at given times, for topocentric values (a site's parallax is
    up to 8.8″/Δ: tens of arcseconds for a near-Earth object)."""
    times = np.atleast_1d(np.asarray(mjd, dtype=np.float64))

    def at(when: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        vector, r = _observed(elements, when, observer_au(when) if observer_au else None)
        ra, dec = _angles(vector)
        return ra, dec, np.linalg.norm(vector, axis=0), r

    ra, dec, delta, r = at(times)
    before_ra, before_dec, _, _ = at(times - RATE_STEP_DAYS)
    after_ra, after_dec, _, _ = at(times + RATE_STEP_DAYS)
    hours = 2.0 * RATE_STEP_DAYS * 24.0
    ra_step = (after_ra - before_ra + 180.0) % 360.0 - 180.0  # across RA 0/360
    ra_rate = ra_step * np.cos(np.radians(dec)) * ARCSEC_PER_DEGREE / hours
    dec_rate = (after_dec - before_dec) * ARCSEC_PER_DEGREE / hours
    return EphemerisRows(times, ra, dec, ra_rate, dec_rate, delta, r)


def proper_motion_position(
    ra: float, dec: float, pm_ra: float | None, pm_dec: float | None, epoch: float | None, mjd: float
) -> tuple[float, float]:
    """A star's position at ``mjd`` from its catalogue position at Julian year ``epoch`` (default
    J2000) and proper motion in mas/yr (``pm_ra`` is μα·cos δ, as Gaia and TOM Toolkit give it).
    Linear in time: good to a milliarcsecond per decade except within a degree of a pole."""
    if not pm_ra and not pm_dec:
        return ra, dec
    years = 2000.0 + (mjd - 51544.5) / 365.25 - (epoch or 2000.0)
    cos_dec = max(math.cos(math.radians(dec)), 1e-9)
    moved_ra = ra + (pm_ra or 0.0) * years / 3.6e6 / cos_dec
    moved_dec = dec + (pm_dec or 0.0) * years / 3.6e6
    return moved_ra % 360.0, moved_dec


AU_METRES = 149_597_870_700.0


def site_offset(
    latitude_deg: float, longitude_deg: float, elevation_m: float
) -> Callable[[FloatArray], FloatArray]:
    """The site's geocentric position (3, n) in AU, GCRS axes, at given MJDs (UTC): what turns a
    geocentric ephemeris into the site's topocentric one."""
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    location = EarthLocation.from_geodetic(longitude_deg * u.deg, latitude_deg * u.deg, elevation_m * u.m)

    def offset(mjd: FloatArray) -> FloatArray:
        position, _ = location.get_gcrs_posvel(Time(mjd, format="mjd", scale="utc"))
        return np.asarray(position.xyz.to_value(u.m), dtype=np.float64).reshape(3, -1) / AU_METRES

    return offset
