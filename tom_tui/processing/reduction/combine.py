"""The sigma-clipped average of a stack of frames, one band of rows at a time.

The result is ccdproc's ``combine(method="average", sigma_clip=True)`` with the median as the
centre and the median absolute deviation (scaled to a standard deviation, astropy's
``mad_std``) as the spread, one clipping pass, 3 sigma each side: each pixel is the mean of the
values within the bounds, its uncertainty the standard deviation of those values over the square
root of their number, and it is masked where every value was rejected.

What makes it fast: the frames are read once, a band of rows at a time (memory-mapped files are
sliced, never loaded whole), and the two medians of each band (of the values, then of their
deviations) come from a sorting network over the frames (Batcher's merge-exchange, Knuth TAOCP
vol. 3, 5.2.2 Algorithm M): a fixed sequence of element-wise ``minimum``/``maximum`` between whole
frames, about fourteen times faster here than ``numpy.median`` along the stack axis. Bands with a
NaN or a masked pixel go through astropy's ``sigma_clip`` instead, which skips them, as ccdproc does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.stats import sigma_clip
from astropy.utils.exceptions import AstropyUserWarning

Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

SIGMA_CLIP_LIMIT = 3.0
# mad_std = MAD * this: the standard deviation of a normal distribution with that MAD.
MAD_TO_SIGMA = 1.482602218505602
# Working bytes per pixel of a band: per frame, the stack and its deviations (float32) and which
# values are kept (bool, rounded up); once, the sums, the centre, bounds and scratch planes and
# the band's results (float32, float64 for the last steps).
WORKING_BYTES_PER_FRAME_PIXEL = 4 + 4 + 4
WORKING_BYTES_PER_PIXEL = 10 * 4 + 4 * 8


@dataclass
class CombinedBand:
    """The combined values of a band of rows: the mean, its standard error, and where every frame
    was rejected."""

    mean: Float32Array
    error: Float32Array
    all_rejected: BoolArray


@cache
def merge_exchange_pairs(count: int) -> tuple[tuple[int, int], ...]:
    """The comparators (i, j), i < j, of Batcher's merge-exchange network sorting ``count`` values.

    Applying ``a[i], a[j] = min(a[i], a[j]), max(a[i], a[j])`` in this order sorts any ``count``
    values (Knuth, TAOCP vol. 3, section 5.2.2, Algorithm M).
    """
    if count < 2:
        return ()
    top = 1 << ((count - 1).bit_length() - 1)
    pairs: list[tuple[int, int]] = []
    step = top
    while step > 0:
        span, parity, distance = top, 0, step
        while distance > 0:
            pairs.extend((i, i + distance) for i in range(count - distance) if i & step == parity)
            distance, span, parity = span - step, span >> 1, step
        step >>= 1
    return tuple(pairs)


def sort_frames(planes: list[Float32Array], scratch: Float32Array) -> list[Float32Array]:
    """The planes sorted pixel by pixel (``result[k]`` is each pixel's k-th smallest value).

    Works in place on the planes' buffers and ``scratch`` (one plane's size); the returned list
    holds the same buffers in sorted order, one of them possibly ``scratch``.
    """
    order = list(planes)
    spare = scratch
    for i, j in merge_exchange_pairs(len(order)):
        np.minimum(order[i], order[j], out=spare)
        np.maximum(order[i], order[j], out=order[j])
        order[i], spare = spare, order[i]
    return order


def _median_of_sorted(ordered: Sequence[Float32Array]) -> Float32Array:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle].copy()
    return np.asarray((ordered[middle - 1] + ordered[middle]) * np.float32(0.5), dtype=np.float32)


def clipped_mean(stack: Float32Array) -> CombinedBand:
    """The sigma-clipped mean of ``stack`` (frames along the first axis) and its standard error.

    ``stack`` is overwritten (sorted along the first axis). NaN values are skipped.
    """
    if np.isnan(stack).any():
        return _clipped_mean_with_gaps(stack)
    planes = list(stack)
    scratch = np.empty_like(planes[0])
    ordered = sort_frames(planes, scratch)
    centre = _median_of_sorted(ordered)
    deviations = np.empty((len(ordered), *centre.shape), dtype=np.float32)
    for plane, deviation in zip(ordered, deviations, strict=True):
        np.subtract(plane, centre, out=deviation)
        np.abs(deviation, out=deviation)
    spread = _median_of_sorted(sort_frames(list(deviations), np.empty_like(centre))) * np.float32(
        MAD_TO_SIGMA * SIGMA_CLIP_LIMIT
    )
    low, high = centre - spread, centre + spread
    del deviations, spread
    # float32 sums, as ccdproc's own average of float32 frames: ten values near 1e3 keep ~1e-4.
    count = np.zeros_like(centre)
    total = np.zeros_like(centre)
    keep = np.empty(centre.shape, dtype=bool)
    kept_values = np.empty_like(centre)
    keeps = []
    for plane in ordered:
        np.greater_equal(plane, low, out=keep)
        keep &= plane <= high
        keeps.append(keep.copy())
        count += keep
        np.multiply(plane, keep, out=kept_values)
        total += kept_values
    all_rejected = count == 0
    mean = total / np.where(all_rejected, np.float32(1), count)
    squares = np.zeros_like(centre)
    for plane, kept in zip(ordered, keeps, strict=True):
        np.subtract(plane, mean, out=kept_values)
        np.square(kept_values, out=kept_values)
        kept_values *= kept
        squares += kept_values
    return _band(mean, squares, count, all_rejected)


def _band(
    mean: npt.NDArray[np.floating[Any]],
    squares: npt.NDArray[np.floating[Any]],
    count: npt.NDArray[np.floating[Any]],
    all_rejected: BoolArray,
) -> CombinedBand:
    kept = np.where(all_rejected, 1.0, count)
    error = np.sqrt(squares / kept) / np.sqrt(kept)
    mean = np.where(all_rejected, np.nan, mean)
    error = np.where(all_rejected, np.nan, error)
    return CombinedBand(mean.astype(np.float32), error.astype(np.float32), all_rejected)


def _clipped_mean_with_gaps(stack: Float32Array) -> CombinedBand:
    """The same combine for a band with NaN (bad or masked) pixels: astropy's sigma_clip, which
    ignores them, with ccdproc's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyUserWarning)  # the NaNs are why we are here
        clipped = sigma_clip(
            stack,
            sigma_lower=SIGMA_CLIP_LIMIT,
            sigma_upper=SIGMA_CLIP_LIMIT,
            maxiters=1,
            cenfunc="median",
            stdfunc="mad_std",
            axis=0,
            masked=True,
        )
    rejected = np.ma.getmaskarray(clipped) | np.isnan(stack)
    values = np.where(rejected, 0.0, stack.astype(np.float64))
    count = (~rejected).sum(axis=0).astype(np.float64)
    all_rejected = count == 0
    mean = values.sum(axis=0) / np.where(all_rejected, 1.0, count)
    squares = np.where(rejected, 0.0, (values - mean) ** 2).sum(axis=0)
    return _band(mean, squares, count, all_rejected)


def rows_per_band(frame_count: int, width: int, memory_limit: float) -> int:
    """How many rows to combine at once so that the working arrays stay within ``memory_limit``
    bytes (at least one row)."""
    per_row = width * (max(1, frame_count) * WORKING_BYTES_PER_FRAME_PIXEL + WORKING_BYTES_PER_PIXEL)
    return max(1, int(memory_limit // per_row))
