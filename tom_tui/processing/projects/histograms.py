"""Histograms: counts of light curves by score, baseline magnitude and filter.

Counts add: the histograms of two partitions summed cell by cell are the histogram of both, so
each worker writes its own and the totals are a sum. The long form (one row per non-empty cell)
is what the project writes to Parquet; :func:`dense_counts` gives the array back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.domain.units import flux_to_mag_array
from tom_tui.processing.projects.settings import HistogramSettings

HISTOGRAM_COLUMNS = ("kind", "filter", "mag_bin", "score_bin", "count")


def _bin_index(values: npt.NDArray[np.float64], edges: Sequence[float]) -> npt.NDArray[np.int64]:
    """Bin of each value; values outside the edges (and NaN, as the lowest) go to the end bins."""
    inner = np.asarray(edges, dtype=float)
    index = np.searchsorted(inner, np.nan_to_num(values, nan=-np.inf), side="right") - 1
    return np.clip(index, 0, len(inner) - 2).astype(np.int64)


def baseline_magnitude(baseline_flux: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """AB magnitude of a baseline flux in µJy (NaN for a baseline at or below zero)."""
    positive = np.where(baseline_flux > 0, baseline_flux, np.nan)
    magnitude: npt.NDArray[np.float64] = flux_to_mag_array(positive)
    return magnitude


def score_histogram(candidates: pd.DataFrame, settings: HistogramSettings, kind: str) -> pd.DataFrame:
    """Long-form counts of ``candidates`` (one row per light curve: ``score``, ``baseline_flux``,
    ``filter``) by filter, magnitude bin and score bin; a light curve with no baseline magnitude
    goes to the faintest bin."""
    magnitude = baseline_magnitude(candidates["baseline_flux"].to_numpy(float))
    cells = pd.DataFrame(
        {
            "kind": kind,
            "filter": candidates["filter"].astype(str).to_numpy(object),
            "mag_bin": _bin_index(np.nan_to_num(magnitude, nan=np.inf), settings.mag_edges),
            "score_bin": _bin_index(candidates["score"].to_numpy(float), settings.score_edges),
        }
    )
    counted = cells.groupby(["kind", "filter", "mag_bin", "score_bin"], sort=True).size()
    return counted.rename("count").reset_index().astype({"count": np.int64})


def add_histograms(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The cell-by-cell sum of long-form histograms."""
    frames = [part for part in parts if len(part)]
    if not frames:
        return empty_histogram()
    summed = pd.concat(frames, ignore_index=True).groupby(
        ["kind", "filter", "mag_bin", "score_bin"], sort=True
    )
    return summed["count"].sum().reset_index().astype({"count": np.int64})


def empty_histogram() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": pd.Series([], dtype=object),
            "filter": pd.Series([], dtype=object),
            "mag_bin": pd.Series([], dtype=np.int64),
            "score_bin": pd.Series([], dtype=np.int64),
            "count": pd.Series([], dtype=np.int64),
        }
    )


def dense_counts(
    histogram: pd.DataFrame, settings: HistogramSettings, kind: str
) -> tuple[list[str], np.ndarray]:
    """The filters present and a ``filters × magnitude bins × score bins`` array of counts."""
    rows = histogram[histogram["kind"] == kind]
    filters = sorted(rows["filter"].unique().tolist())
    counts = np.zeros(
        (len(filters), len(settings.mag_edges) - 1, len(settings.score_edges) - 1), dtype=np.int64
    )
    filter_index = np.searchsorted(filters, rows["filter"].to_numpy(object)) if filters else np.empty(0, int)
    np.add.at(
        counts,
        (filter_index, rows["mag_bin"].to_numpy(), rows["score_bin"].to_numpy()),
        rows["count"].to_numpy(),
    )
    return filters, counts
