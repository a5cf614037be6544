"""The one Arrow schema every photometry reader produces and the store keeps.

A row is one measurement of one target. Magnitudes are AB unless the file said otherwise (the
system is kept in ``magsys``); fluxes are in µJy. A detection has ``mag`` (and usually ``flux``);
an upper limit has ``mag`` null and ``limit`` set (the limiting magnitude). Forced photometry
below the detection threshold keeps its measured ``flux`` and ``fluxerr`` next to the limit.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# AB magnitude of 1 µJy: m = 23.9 - 2.5 log10(f / µJy).
AB_ZERO_POINT_UJY = 23.9
# A flux measurement counts as a detection at this signal-to-noise; below it, the point becomes
# an upper limit at LIMIT_SIGMA times the flux error (SkyPortal's convention).
DETECTION_SNR = 3.0
LIMIT_SIGMA = 5.0

MEASUREMENT_FIELDS: list[pa.Field] = [
    pa.field("mjd", pa.float64(), nullable=False),
    pa.field("filter", pa.string()),
    pa.field("mag", pa.float64()),
    pa.field("magerr", pa.float64()),
    pa.field("limit", pa.float64()),
    pa.field("flux", pa.float64()),
    pa.field("fluxerr", pa.float64()),
    pa.field("magsys", pa.string()),
    pa.field("telescope", pa.string()),
    pa.field("instrument", pa.string()),
    pa.field("source", pa.string()),
    # Columns of the original file that have no place above, as a JSON object per row.
    pa.field("extra", pa.string()),
]

# What a reader returns: measurements without the store's bookkeeping.
MEASUREMENT_SCHEMA = pa.schema(MEASUREMENT_FIELDS)

# What the store keeps: target first so that sorted files let readers skip straight to a target.
STORED_SCHEMA = pa.schema(
    [
        pa.field("target_id", pa.int64(), nullable=False),
        *MEASUREMENT_FIELDS,
        pa.field("upload_id", pa.int64(), nullable=False),
        pa.field("product_id", pa.int64()),
    ]
)

JSON_FIELDS = [
    "mjd",
    "filter",
    "mag",
    "magerr",
    "limit",
    "flux",
    "fluxerr",
    "magsys",
    "telescope",
    "instrument",
    "source",
    "detection",
    "upload_id",
    "product_id",
]


def empty_measurements() -> pa.Table:
    return MEASUREMENT_SCHEMA.empty_table()


def empty_stored() -> pa.Table:
    return STORED_SCHEMA.empty_table()


def mag_to_flux_ujy(mag: np.ndarray, zero_point: float = AB_ZERO_POINT_UJY) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(10.0 ** (-0.4 * (mag - zero_point)), dtype=np.float64)


def flux_to_mag(flux: np.ndarray, zero_point: np.ndarray | float = AB_ZERO_POINT_UJY) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        mag = zero_point - 2.5 * np.log10(flux)
    return np.where(flux > 0, mag, np.nan)


def magerr_to_fluxerr(flux: np.ndarray, magerr: np.ndarray) -> np.ndarray:
    return np.asarray(flux * magerr * math.log(10) / 2.5, dtype=np.float64)


def fluxerr_to_magerr(flux: np.ndarray, fluxerr: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        magerr = 2.5 / math.log(10) * fluxerr / flux
    return np.where(flux > 0, magerr, np.nan)


def is_detection(table: pa.Table) -> pa.ChunkedArray:
    """True for rows that measured the target (a magnitude), False for upper limits."""
    return pc.is_valid(table.column("mag"))


def float_column(values: np.ndarray) -> pa.Array:
    """A float64 Arrow array with NaN turned into null (the store never keeps NaN)."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, mask=np.isnan(values), type=pa.float64())
