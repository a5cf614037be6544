"""The analysis stages of one partition, chained: reduce → quality → find → inject → histograms.

Pure: tables in, tables out. The service reads the partition's raw photometry, calls
:func:`analyse_partition` and writes each table to the project's Parquet files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tom_tui.processing.projects.finders import CANDIDATE_TYPES, Finder, empty_frame
from tom_tui.processing.projects.histograms import (
    add_histograms,
    baseline_magnitude,
    empty_histogram,
    score_histogram,
)
from tom_tui.processing.projects.injection import injected_copy, plan_injections, recovered
from tom_tui.processing.projects.lightcurves import LIGHTCURVE_COLUMNS, reduce_raw
from tom_tui.processing.projects.quality import QualityCheck, apply_checks
from tom_tui.processing.projects.settings import AnalysisSettings

# One row per injected event: what was put in, and what the search found in its light curve.
INJECTION_TYPES = {
    "lightcurve": "int64",
    "copy": "int32",
    "peak_mjd": "float64",
    "amplitude": "float64",
    "amplitude_flux": "float64",
    "width_days": "float64",
    "score": "float64",
    "found_mjd": "float64",
    "recovered": "bool",
    "source": "int64",
    "filter": "object",
    "season": "int32",
}


@dataclass(frozen=True)
class PartitionResult:
    """What the analysis of one partition gives.

    ``lightcurves``: every point with its season and quality flag; ``candidates``: one row per
    searched light curve (its score, whether it is a detection); ``injections``: one row per
    injected event (its amplitude, the score found, whether it was recovered); ``histograms``:
    long-form counts of real (``kind = "real"``) and injected (``"injected"``) light curves.
    """

    lightcurves: pd.DataFrame
    candidates: pd.DataFrame
    injections: pd.DataFrame
    histograms: pd.DataFrame

    @property
    def detections(self) -> pd.DataFrame:
        return self.candidates[self.candidates["detected"].to_numpy(bool)].reset_index(drop=True)


def searchable(points: pd.DataFrame, min_points: int) -> pd.DataFrame:
    """Unflagged points of the light curves that keep at least ``min_points`` of them."""
    clean = points[points["flag"].to_numpy() == 0]
    sizes = clean.groupby("lightcurve", sort=False)["mjd"].transform("size").to_numpy()
    kept: pd.DataFrame = clean[sizes >= min_points].reset_index(drop=True)
    return kept


def search(
    points: pd.DataFrame, checks: Sequence[QualityCheck], finder: Finder, settings: AnalysisSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quality then find: the flagged points and one candidate row per searchable light curve."""
    flagged = apply_checks(points, checks, settings.quality)
    clean = searchable(flagged, settings.reduce.min_points)
    if len(clean) == 0:
        return flagged, empty_frame(CANDIDATE_TYPES)
    return flagged, finder.candidates(clean, settings.find)


def with_searched_span(candidates: pd.DataFrame, clean: pd.DataFrame) -> pd.DataFrame:
    """The candidates with ``first_mjd`` and ``last_mjd``: the span of the points searched."""
    spans = clean.groupby("lightcurve")["mjd"].agg(first_mjd="min", last_mjd="max")
    return candidates.merge(spans, left_on="lightcurve", right_index=True, how="left")


def _injections(
    clean: pd.DataFrame,
    candidates: pd.DataFrame,
    checks: Sequence[QualityCheck],
    finder: Finder,
    settings: AnalysisSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if len(clean) == 0 or settings.inject.copies == 0:
        return empty_frame(INJECTION_TYPES), empty_histogram()
    grouped = clean.groupby("lightcurve", sort=True)
    spans = grouped.agg(
        source=("source", "first"),
        filter=("filter", "first"),
        season=("season", "first"),
        start=("mjd", "min"),
        end=("mjd", "max"),
    )
    spans = spans.reset_index()
    # An amplitude is in units of the light curve's noise: its robust scatter, or its typical
    # error where that is larger (as the finder's S/N uses them).
    typical_error = grouped["fluxerr"].median()
    scatter = candidates.set_index("lightcurve")["noise"].reindex(typical_error.index)
    median_noise = np.fmax(scatter.to_numpy(float), typical_error.to_numpy(float))
    found_parts, histogram_parts = [], []
    for copy in range(settings.inject.copies):
        events = plan_injections(spans, settings.inject, copy, median_noise)
        copied = injected_copy(clean, events, settings.inject.shape)
        _, candidates = search(copied, checks, finder, settings)
        found_parts.append(recovered(events, candidates))
        histogram_parts.append(score_histogram(candidates, settings.histograms, "injected"))
    injections = pd.concat(found_parts, ignore_index=True)
    keys = spans[["lightcurve", "source", "filter", "season"]]
    injections = injections.merge(keys, on="lightcurve", how="left")
    return injections[list(INJECTION_TYPES)].astype(INJECTION_TYPES), add_histograms(histogram_parts)


def analyse_partition(
    raw: pd.DataFrame, checks: Sequence[QualityCheck], finder: Finder, settings: AnalysisSettings
) -> PartitionResult:
    """Every analysis stage over one partition's raw photometry (many sources at once)."""
    points = reduce_raw(raw, settings.reduce)
    flagged, candidates = search(points, checks, finder, settings)
    clean = searchable(flagged, settings.reduce.min_points)
    candidates = with_searched_span(candidates, clean)
    injections, injected_histogram = _injections(clean, candidates, checks, finder, settings)
    real_histogram = score_histogram(candidates, settings.histograms, "real") if len(candidates) else None
    histograms = add_histograms([part for part in (real_histogram, injected_histogram) if part is not None])
    return PartitionResult(
        lightcurves=flagged[list(LIGHTCURVE_COLUMNS)],
        candidates=candidates,
        injections=injections,
        histograms=histograms,
    )


PROPERTY_TYPES = {
    "source": "int64",
    "filter": "object",
    "points": "int64",
    "flagged": "int64",
    "seasons": "int64",
    "searched_days": "float64",
    "baseline_flux": "float64",
    "mag": "float64",
    "best_score": "float64",
    "detections": "int64",
}


def source_properties(lightcurves: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per source and filter: points, flagged points, seasons, the days the search
    covered (the sum of the searched seasons' spans: the exposure rates are made from), the median
    baseline flux and its AB magnitude, the best score and the number of detections."""
    if len(lightcurves) == 0:
        return empty_frame(PROPERTY_TYPES)
    keys = ["source", "filter"]
    points = lightcurves.assign(
        filter=lightcurves["filter"].astype(str), flagged=lightcurves["flag"].to_numpy() != 0
    )
    table = (
        points.groupby(keys)
        .agg(points=("mjd", "size"), flagged=("flagged", "sum"), seasons=("season", "nunique"))
        .reset_index()
    )
    found = candidates.assign(
        filter=candidates["filter"].astype(str), span=candidates["last_mjd"] - candidates["first_mjd"]
    )
    per_source = found.groupby(keys).agg(
        searched_days=("span", "sum"),
        baseline_flux=("baseline_flux", "median"),
        best_score=("score", "max"),
        detections=("detected", "sum"),
    )
    table = table.merge(per_source.reset_index(), on=keys, how="left")
    table["searched_days"] = table["searched_days"].fillna(0.0)
    table["detections"] = table["detections"].fillna(0)
    table["mag"] = baseline_magnitude(table["baseline_flux"].to_numpy(float))
    return table[list(PROPERTY_TYPES)].astype(PROPERTY_TYPES)
