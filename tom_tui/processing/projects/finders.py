"""Find: the event search, one candidate per light curve, and the base class of custom finders.

A finder is a small class behind :class:`Finder`; the built-in is registered in the
``tom_tui.project_finders`` entry point group, where a third-party package adds its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.processing.projects.lightcurves import lightcurve_bounds
from tom_tui.processing.projects.quality import MAD_TO_SIGMA
from tom_tui.processing.projects.settings import FindSettings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# What every finder returns: one row per light curve it searched, with these types.
CANDIDATE_TYPES = {
    "lightcurve": "int64",
    "source": "int64",
    "filter": "object",
    "season": "int32",
    "points": "int64",
    "baseline_flux": "float64",
    "noise": "float64",
    "score": "float64",
    "peak_mjd": "float64",
    "peak_flux": "float64",
    "start_mjd": "float64",
    "end_mjd": "float64",
    "extent_points": "int64",
    "sideband_snr": "float64",
    "detected": "bool",
}
CANDIDATE_COLUMNS = tuple(CANDIDATE_TYPES)


def empty_frame(types: dict[str, str]) -> pd.DataFrame:
    """A table with no rows and typed columns (so its Parquet file has a schema like the others)."""
    return pd.DataFrame({name: pd.Series([], dtype=kind) for name, kind in types.items()})


class Finder(ABC):
    """Searches many light curves at once for events.

    ``candidates`` receives the unflagged points of light curves with at least the project's
    minimum number of points (columns of a light curve table plus ``lightcurve``, sorted by it and
    by time) and returns one row per light curve with :data:`CANDIDATE_COLUMNS`: ``score`` is the
    event's strength (comparable across light curves; the histograms bin it), ``detected`` whether
    it passes the finder's cuts. It must not loop over light curves in Python.
    """

    name: str = ""

    @abstractmethod
    def candidates(self, points: pd.DataFrame, settings: FindSettings) -> pd.DataFrame:
        """One row per light curve in ``points``."""


def robust_baseline(points: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """Median flux and robust scatter (1.4826 × MAD) of each point's light curve, per point."""
    lightcurve = points["lightcurve"].to_numpy()
    flux = points["flux"]
    median = flux.groupby(lightcurve).transform("median").to_numpy(float)
    deviation = pd.Series(np.abs(flux.to_numpy(float) - median))
    scatter = MAD_TO_SIGMA * deviation.groupby(lightcurve).transform("median").to_numpy(float)
    return median, scatter


def point_snr(points: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each point's S/N above its light curve's median, the median and the noise used.

    The noise is the larger of the point's own error and the light curve's robust scatter: a
    night with a large error counts for less, and errors that understate the real scatter are
    not trusted.
    """
    median, scatter = robust_baseline(points)
    noise = np.fmax(points["fluxerr"].to_numpy(float), scatter)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = (points["flux"].to_numpy(float) - median) / noise
    return np.where(noise > 0, snr, np.nan), median, scatter


class RobustSnrFinder(Finder):
    """The highest point of each light curve in S/N against a median/MAD baseline, with the
    event's extent and the mean S/N of its sidebands (see :class:`FindSettings`)."""

    name = "robust_snr"

    def candidates(self, points: pd.DataFrame, settings: FindSettings) -> pd.DataFrame:
        snr, median, scatter = point_snr(points)
        starts, ends = lightcurve_bounds(points["lightcurve"].to_numpy())
        peak = _peak_indices(snr, starts, ends)
        first, last = _extent(snr, peak, points["lightcurve"].to_numpy(), settings.extent_snr)
        mjd = points["mjd"].to_numpy(float)
        sideband = _sideband_snr(snr, mjd, starts, ends, first, last, settings.sideband_days)
        extent_points = last - first + 1
        score = snr[peak]
        detected = (
            (score >= settings.threshold)
            & (extent_points >= settings.min_extent_points)
            & ~(np.abs(sideband) > settings.max_sideband_snr)
        )
        return pd.DataFrame(
            {
                "lightcurve": points["lightcurve"].to_numpy()[starts],
                "source": points["source"].to_numpy()[starts],
                "filter": points["filter"].to_numpy()[starts],
                "season": points["season"].to_numpy()[starts],
                "points": (ends - starts).astype(np.int64),
                "baseline_flux": median[starts],
                "noise": scatter[starts],
                "score": score,
                "peak_mjd": mjd[peak],
                "peak_flux": points["flux"].to_numpy(float)[peak],
                "start_mjd": mjd[first],
                "end_mjd": mjd[last],
                "extent_points": extent_points.astype(np.int64),
                "sideband_snr": sideband,
                "detected": detected,
            }
        )


def _peak_indices(snr: FloatArray, starts: IntArray, ends: IntArray) -> IntArray:
    """Index of the highest S/N in each light curve (its first point when none is finite)."""
    if len(starts) == 0:
        return np.empty(0, np.intp)
    filled = np.where(np.isfinite(snr), snr, -np.inf)
    best = np.maximum.reduceat(filled, starts)
    lightcurve_of_point = np.repeat(np.arange(len(starts)), ends - starts)
    is_best = filled == best[lightcurve_of_point]
    # The first point that reaches the maximum: the smallest index per light curve.
    candidates = np.where(is_best, np.arange(len(snr)), len(snr))
    peak: IntArray = np.minimum.reduceat(candidates, starts)
    return np.minimum(peak, ends - 1)


def _extent(
    snr: FloatArray, peak: IntArray, lightcurve: npt.NDArray[np.int64], extent_snr: float
) -> tuple[IntArray, IntArray]:
    """First and last index of the run of points at or above ``extent_snr`` around each peak
    (the peak alone when it is below)."""
    count = len(snr)
    index = np.arange(count)
    above = np.nan_to_num(snr, nan=-np.inf) >= extent_snr
    same_as_previous = np.r_[False, lightcurve[1:] == lightcurve[:-1]]
    same_as_next = np.r_[lightcurve[1:] == lightcurve[:-1], False]
    run_starts = above & ~(np.r_[False, above[:-1]] & same_as_previous)
    run_ends = above & ~(np.r_[above[1:], False] & same_as_next)
    first_of_run = np.maximum.accumulate(np.where(run_starts, index, 0))
    last_of_run = np.minimum.accumulate(np.where(run_ends, index, count)[::-1])[::-1]
    in_run = above[peak]
    first: IntArray = np.where(in_run, first_of_run[peak], peak)
    last: IntArray = np.where(in_run, last_of_run[peak], peak)
    return first, last


def _sideband_snr(
    snr: FloatArray,
    mjd: FloatArray,
    starts: IntArray,
    ends: IntArray,
    first: IntArray,
    last: IntArray,
    width_days: float,
) -> FloatArray:
    """Mean S/N of the points within ``width_days`` before the event and after it (NaN if none)."""
    if len(starts) == 0:
        return np.empty(0)
    # One sorted key for all light curves: each gets its own stretch of the number line, wider
    # than its time span plus both sidebands, so a search never crosses into a neighbour.
    span = float(np.nanmax(mjd) - np.nanmin(mjd)) + 2 * width_days + 1.0
    lightcurve_of_point = np.repeat(np.arange(len(starts)), ends - starts)
    key = lightcurve_of_point * span + (mjd - np.nanmin(mjd))
    finite = np.isfinite(snr)
    summed = np.r_[0.0, np.cumsum(np.where(finite, snr, 0.0))]
    counted = np.r_[0, np.cumsum(finite)]
    left_from = np.searchsorted(key, key[first] - width_days, side="left")
    right_to = np.searchsorted(key, key[last] + width_days, side="right")
    total = (summed[first] - summed[left_from]) + (summed[right_to] - summed[last + 1])
    count = (counted[first] - counted[left_from]) + (counted[right_to] - counted[last + 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean: FloatArray = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean


BUILTIN_FINDERS: dict[str, type[Finder]] = {RobustSnrFinder.name: RobustSnrFinder}
