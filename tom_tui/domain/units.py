"""Photometric units and time offsets, defined once.

Fluxes are in microjanskys (µJy) and magnitudes in the AB system, where
``m = 23.9 - 2.5 log10(f / µJy)``. Times are Modified Julian Dates (MJD = JD - 2400000.5).
Every conversion exists as a scalar (one measurement from a survey packet) and as an array
(a whole file) version; both return None / NaN where the input has no magnitude (flux <= 0).
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

# AB magnitude of a 1 µJy source: m = 23.9 - 2.5 log10(f / µJy).
AB_ZERO_POINT_UJY = 23.9
# JD of MJD 0 (1858-11-17T00:00).
JD_MINUS_MJD = 2400000.5
# d(mag) = 2.5 / ln(10) * d(flux) / flux.
_MAG_PER_RELATIVE_FLUX = 2.5 / math.log(10)


def jd_to_mjd(jd: float) -> float:
    return jd - JD_MINUS_MJD


def mjd_to_jd(mjd: float) -> float:
    return mjd + JD_MINUS_MJD


SECONDS_PER_DAY = 86_400.0
# Observations are dated between these years' starts (MJD 15020 = 1900-01-01, 88069 = 2100-01-01).
EARLIEST_MJD = 15_020.0
LATEST_MJD = 88_069.0


@lru_cache(maxsize=4096)
def _tai_minus_utc_seconds(day: int) -> float:
    """TAI - UTC in seconds on a UTC day (MJD), from the IAU leap-second table (erfa)."""
    import erfa  # only Rubin times need it; kept out of every command's start-up

    year, month, day_of_month, _fraction = erfa.jd2cal(JD_MINUS_MJD, float(day))
    with warnings.catch_warnings():
        # Past the table's last update erfa warns ("dubious year") and keeps the last offset,
        # which is the best anyone knows until a new leap second is announced.
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        return float(erfa.dat(year, month, day_of_month, 0.0))


def tai_to_utc_mjd(mjd_tai: float) -> float:
    """A TAI Modified Julian Date (Rubin's ``midpointMjdTai``) as a UTC one (37 s earlier since 2017).

    A time outside 1900-2100 (or not a number) is returned as it is, for the measurement checks
    to refuse with the point named.
    """
    if not EARLIEST_MJD <= mjd_tai <= LATEST_MJD:
        return mjd_tai
    return mjd_tai - _tai_minus_utc_seconds(math.floor(mjd_tai)) / SECONDS_PER_DAY


def flux_to_mag(
    flux_ujy: float | None, fluxerr_ujy: float | None = None
) -> tuple[float | None, float | None]:
    """AB magnitude and error of a positive flux in µJy; (None, None) otherwise."""
    if flux_ujy is None or flux_ujy <= 0:
        return None, None
    mag = AB_ZERO_POINT_UJY - 2.5 * math.log10(flux_ujy)
    magerr = None if fluxerr_ujy is None else _MAG_PER_RELATIVE_FLUX * fluxerr_ujy / flux_ujy
    return mag, magerr


def mag_to_flux(mag: float, zero_point: float = AB_ZERO_POINT_UJY) -> float:
    """Flux in µJy of an AB magnitude (or of a magnitude at another zero point, in its units)."""
    return float(10.0 ** (-0.4 * (mag - zero_point)))


def mag_to_flux_and_error(
    mag: float | None, magerr: float | None = None
) -> tuple[float | None, float | None]:
    """Flux and flux error in µJy of an AB magnitude and its error; (None, None) without one."""
    if mag is None:
        return None, None
    flux = mag_to_flux(mag)
    return flux, None if magerr is None else flux * magerr / _MAG_PER_RELATIVE_FLUX


def rescale_flux(flux: float, from_zero_point: float, to_zero_point: float = AB_ZERO_POINT_UJY) -> float:
    """A flux measured at one magnitude zero point expressed at another (e.g. counts to µJy)."""
    return float(flux * 10.0 ** (-0.4 * (from_zero_point - to_zero_point)))


def mag_to_flux_array(mag: np.ndarray, zero_point: float = AB_ZERO_POINT_UJY) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(10.0 ** (-0.4 * (mag - zero_point)), dtype=np.float64)


def flux_to_mag_array(flux: np.ndarray, zero_point: np.ndarray | float = AB_ZERO_POINT_UJY) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = zero_point - 2.5 * np.log10(flux)
    return np.where(flux > 0, mag, np.nan)


def magerr_to_fluxerr_array(flux: np.ndarray, magerr: np.ndarray) -> np.ndarray:
    return np.asarray(flux * magerr / _MAG_PER_RELATIVE_FLUX, dtype=np.float64)


def fluxerr_to_magerr_array(flux: np.ndarray, fluxerr: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        magerr = _MAG_PER_RELATIVE_FLUX * fluxerr / flux
    return np.where(flux > 0, magerr, np.nan)
