"""Simulated survey photometry of simulated-sky objects: what ZTF-like forced photometry would give.

Cadence: the survey visits a field most nights (weather takes ~25 %), in g and r about 40 minutes
apart and in i every fourth night, only while the object is more than 50° from the Sun.
Noise: each visit has a 5σ limiting magnitude around 20.5 (g 20.6, r 20.4, i 19.9, with
night-to-night scatter); the flux error follows from it plus a 1 % calibration floor. A visit
whose measured flux has S/N ≥ 5 is a detection; otherwise it is an upper limit at that night's
limiting magnitude, with the measured (forced) flux kept. The same object and interval always
give the same table.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pyarrow as pa

from tom_tui.adapters.simulated.sky import SimObject
from tom_tui.domain.photometry import MEASUREMENT_SCHEMA, float_column
from tom_tui.domain.sky import ARCSEC_PER_DEGREE, separation_arcsec
from tom_tui.domain.units import AB_ZERO_POINT_UJY

SURVEY_BANDS = {"g": ("ztfg", 20.6), "r": ("ztfr", 20.4), "i": ("ztfi", 19.9)}
DETECTION_SIGMA = 5.0
WEATHER_LOSS = 0.25
SUN_AVOIDANCE_DEG = 50.0
CALIBRATION_FLOOR = 0.01


def _sun_position(mjd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Approximate solar RA/Dec (degrees), good to ~1°: enough to decide observing seasons."""
    days = mjd - 51544.5
    longitude = np.radians(
        (280.46 + 0.9856474 * days) % 360 + 1.915 * np.sin(np.radians(357.528 + 0.9856003 * days))
    )
    obliquity = math.radians(23.439)
    ra = np.degrees(np.arctan2(np.cos(obliquity) * np.sin(longitude), np.cos(longitude))) % 360
    dec = np.degrees(np.arcsin(np.sin(obliquity) * np.sin(longitude)))
    return ra, dec


def _observable(obj: SimObject, mjd: np.ndarray) -> np.ndarray:
    if obj.ra is None or obj.dec is None:
        return np.ones(len(mjd), dtype=bool)
    sun_ra, sun_dec = _sun_position(mjd)
    separation = separation_arcsec(obj.ra, obj.dec, sun_ra, sun_dec) / ARCSEC_PER_DEGREE
    # A survey at ~33° N cannot reach the far south.
    visible: np.ndarray = (separation > SUN_AVOIDANCE_DEG) & (obj.dec > -31.0)
    return visible


def simulated_photometry(obj: SimObject, start_mjd: float, end_mjd: float, *, seed: int = 2026) -> pa.Table:
    """Survey photometry of ``obj`` between two MJDs, in the photometry measurement schema."""
    rng = np.random.default_rng([seed, zlib.crc32(obj.name.encode())])
    nights = np.arange(math.floor(start_mjd), math.ceil(end_mjd), dtype=np.float64)
    clear = rng.random(len(nights)) > WEATHER_LOSS
    nights = nights[clear & _observable(obj, nights + 0.3)]
    times: list[np.ndarray] = []
    bands: list[np.ndarray] = []
    for position, (band_name, offset_hours) in enumerate((("g", 0.0), ("r", 0.7), ("i", 1.4))):
        chosen = nights if band_name != "i" else nights[rng.random(len(nights)) < 0.25]
        start_of_night = 0.15 + rng.random(len(chosen)) * 0.25
        times.append(chosen + start_of_night + offset_hours / 24.0 + position * 1e-6)
        bands.append(np.full(len(chosen), band_name))
    mjd: np.ndarray = np.concatenate(times)
    band: np.ndarray = np.concatenate(bands)
    inside = (mjd >= start_mjd) & (mjd < end_mjd)
    mjd, band = mjd[inside], band[inside]
    order = np.argsort(mjd, kind="stable")
    mjd, band = mjd[order], band[order]
    count = len(mjd)
    true_mag = np.full(count, np.nan)
    depth = np.empty(count)
    for name, (_, median_depth) in SURVEY_BANDS.items():
        rows: np.ndarray = band == name
        if rows.any():
            true_mag[rows] = obj.magnitude(mjd[rows], name)
            depth[rows] = median_depth + rng.normal(0.0, 0.35, int(rows.sum()))
    true_flux = np.where(np.isnan(true_mag), 0.0, 10.0 ** (-0.4 * (true_mag - AB_ZERO_POINT_UJY)))
    limit_flux = 10.0 ** (-0.4 * (depth - AB_ZERO_POINT_UJY))
    flux_error = np.hypot(limit_flux / DETECTION_SIGMA, CALIBRATION_FLOOR * true_flux)
    flux = true_flux + rng.normal(0.0, 1.0, count) * flux_error
    detected = flux / flux_error >= DETECTION_SIGMA
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(detected, AB_ZERO_POINT_UJY - 2.5 * np.log10(flux), np.nan)
        magerr = np.where(detected, 2.5 / math.log(10) * flux_error / flux, np.nan)
    limit = np.where(detected, np.nan, depth)
    filters = [SURVEY_BANDS[b][0] for b in band.tolist()]
    return pa.table(
        {
            "mjd": pa.array(mjd, type=pa.float64()),
            "filter": pa.array(filters, type=pa.string()),
            "mag": float_column(np.round(mag, 4)),
            "magerr": float_column(np.round(magerr, 4)),
            "limit": float_column(np.round(limit, 3)),
            "flux": float_column(np.round(flux, 3)),
            "fluxerr": float_column(np.round(flux_error, 3)),
            "magsys": pa.array(["ab"] * count, type=pa.string()),
            "telescope": pa.array(["P48"] * count, type=pa.string()),
            "instrument": pa.array(["ZTF"] * count, type=pa.string()),
            "source": pa.array(["simulated ZTF forced photometry"] * count, type=pa.string()),
            "extra": pa.nulls(count, pa.string()),
            "negative_subtraction": pa.nulls(count, pa.bool_()),
        },
        schema=MEASUREMENT_SCHEMA,
    )
