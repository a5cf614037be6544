"""Photometric units and time offsets, defined once.

Fluxes are in microjanskys (µJy) and magnitudes in the AB system, where
``m = 23.9 - 2.5 log10(f / µJy)``. Times are Modified Julian Dates (MJD = JD - 2400000.5).
Every conversion exists as a scalar (one measurement from a survey packet) and as an array
(a whole file) version; both return None / NaN where the input has no magnitude (flux <= 0).
"""

from __future__ import annotations

import math

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
