"""A CCD image made small enough to draw in a terminal: block-averaged to a grid of cells and
stretched to grey levels with the zscale limits (IRAF's and ds9's default display stretch).

A terminal cell is about twice as tall as it is wide, so one cell shows two image pixels, one
above the other (the upper and lower halves of ``▀``): a grid of ``columns`` x ``rows`` cells
holds ``columns`` x ``2 * rows`` square pixels. The image keeps its aspect ratio inside it.

Rows are returned top first, the way a screen draws them, which is the FITS image upside down:
FITS puts pixel row 1 at the bottom (as ds9 shows it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

GREY_LEVELS = 256
# zscale samples this many pixels spread over the whole frame (astropy's and IRAF's default).
ZSCALE_SAMPLES = 1000
ZSCALE_POOL = 250_000


@dataclass(frozen=True)
class PreviewImage:
    """Grey levels 0..255 (``levels[row, column]``, top row first) of a downsampled image.

    ``blank`` marks cells where the image had no finite value (drawn apart from black).
    ``low`` and ``high`` are the data values shown as black and white; ``block`` is how many
    image pixels across one preview pixel averages; ``image_shape`` is (NAXIS2, NAXIS1).
    """

    levels: npt.NDArray[np.uint8]
    blank: npt.NDArray[np.bool_]
    low: float
    high: float
    block: int
    image_shape: tuple[int, int]

    @property
    def pixel_rows(self) -> int:
        return int(self.levels.shape[0])

    @property
    def pixel_columns(self) -> int:
        return int(self.levels.shape[1]) if self.levels.ndim == 2 else 0


def preview_block(image_shape: tuple[int, int], columns: int, rows: int) -> int:
    """The smallest whole block (image pixels per preview pixel, both ways) that fits an image
    of ``image_shape`` (height, width) into ``columns`` x ``2 * rows`` preview pixels."""
    height, width = image_shape
    if columns < 1 or rows < 1:
        raise ValueError(f"a preview needs at least one cell; got {columns} x {rows}")
    return max(1, math.ceil(width / columns), math.ceil(height / (2 * rows)))


def block_mean(data: npt.NDArray[np.floating], block: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean of each ``block`` x ``block`` square of finite pixels (the last row and column
    of blocks may be smaller), and where a square held no finite pixel at all."""
    values = np.asarray(data)
    finite = np.isfinite(values)
    clean = values if finite.all() else np.where(finite, values, 0.0)
    edges_y = np.arange(0, values.shape[0], block)
    edges_x = np.arange(0, values.shape[1], block)
    # reduceat sums each run of rows, then each run of columns: one pass over the pixels, summed
    # in float64 without first copying a float32 frame to float64.
    sums = np.add.reduceat(np.add.reduceat(clean, edges_y, axis=0, dtype=np.float64), edges_x, axis=1)
    counts = np.add.reduceat(np.add.reduceat(finite, edges_y, axis=0, dtype=np.int64), edges_x, axis=1)
    blank = counts == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(blank, np.nan, sums / np.maximum(counts, 1))
    return means, blank


def zscale_limits(data: npt.NDArray[np.floating]) -> tuple[float, float]:
    """The zscale display limits of the finite pixels of ``data`` (both 0 when there are none).

    zscale itself fits :data:`ZSCALE_SAMPLES` pixels spread over the image; a big frame is first
    thinned to :data:`ZSCALE_POOL` evenly spread pixels, so that finding its finite pixels does
    not cost a pass over millions."""
    from astropy.visualization import ZScaleInterval

    values = np.asarray(data).ravel()
    if values.size > ZSCALE_POOL:
        values = values[:: values.size // ZSCALE_POOL]
    finite = values[np.isfinite(values)].astype(np.float64)
    if finite.size == 0:
        return 0.0, 0.0
    low, high = ZScaleInterval(n_samples=ZSCALE_SAMPLES).get_limits(finite)
    return float(low), float(high)


def grey_levels(values: np.ndarray, low: float, high: float) -> npt.NDArray[np.uint8]:
    """``values`` mapped linearly from ``low``..``high`` to 0..255, clipped (NaN shows as 0)."""
    span = high - low
    if not span > 0:
        # A flat image (or one value): mid grey where there is data.
        return np.where(np.isfinite(values), GREY_LEVELS // 2, 0).astype(np.uint8)
    scaled = (np.asarray(values, dtype=np.float64) - low) / span * (GREY_LEVELS - 1)
    return np.clip(np.nan_to_num(scaled, nan=0.0), 0, GREY_LEVELS - 1).round().astype(np.uint8)


def image_preview(data: npt.NDArray[np.floating], columns: int, rows: int) -> PreviewImage:
    """``data`` (a 2-D image, FITS row 1 first) as grey levels fitting ``columns`` x ``rows``
    terminal cells, top row first. The limits are the zscale of the full-resolution image."""
    image = np.asarray(data)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"a preview needs a two-dimensional image; got shape {image.shape}")
    block = preview_block((image.shape[0], image.shape[1]), columns, rows)
    means, blank = block_mean(image, block)
    low, high = zscale_limits(image)
    levels = grey_levels(means, low, high)
    return PreviewImage(
        levels=np.ascontiguousarray(levels[::-1]),
        blank=np.ascontiguousarray(blank[::-1]),
        low=low,
        high=high,
        block=block,
        image_shape=(int(image.shape[0]), int(image.shape[1])),
    )
