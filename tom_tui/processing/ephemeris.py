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
from collections.abc import Mapping
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
    """Heliocentric position (3, n) in AU, equatorial J2000 axes."""
    x, y = _in_plane(elements, mjd)
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
