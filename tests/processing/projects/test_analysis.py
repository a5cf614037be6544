"""The analysis stages on simulated light curves whose truth is known: white noise of a known
scatter, with or without an event of known amplitude, width and time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from tom_tui.processing.projects.analysis import analyse_partition, source_properties
from tom_tui.processing.projects.finders import RobustSnrFinder
from tom_tui.processing.projects.histograms import add_histograms, dense_counts
from tom_tui.processing.projects.injection import event_shape
from tom_tui.processing.projects.lightcurves import reduce_raw
from tom_tui.processing.projects.quality import BUILTIN_CHECKS, apply_checks
from tom_tui.processing.projects.settings import AnalysisSettings, InjectSettings, ReduceSettings

NOISE = 10.0  # µJy, the white noise of every simulated light curve
BASELINE = 200.0  # µJy (17.65 AB)
CHECKS = [check() for check in BUILTIN_CHECKS.values()]
NO_INJECTIONS = dataclasses.replace(AnalysisSettings(), inject=InjectSettings(copies=0))


def noisy_sources(count: int, epochs: int = 300, seed: int = 7, span_days: float = 300.0) -> pd.DataFrame:
    """``count`` flat light curves in one filter: ``epochs`` points over ``span_days``."""
    rng = np.random.default_rng(seed)
    mjd = np.sort(rng.uniform(59000.0, 59000.0 + span_days, (count, epochs)), axis=1)
    return pd.DataFrame(
        {
            "source": np.repeat(np.arange(count), epochs),
            "filter": "ztfr",
            "mjd": mjd.ravel(),
            "flux": BASELINE + rng.normal(0.0, NOISE, count * epochs),
            "fluxerr": NOISE,
        }
    )


def with_bump(
    raw: pd.DataFrame, source: int, amplitude: float, peak_mjd: float, width: float
) -> pd.DataFrame:
    rows = raw["source"] == source
    bumped = raw.copy()
    bump = amplitude * np.exp(-0.5 * ((raw.loc[rows, "mjd"] - peak_mjd) / width) ** 2)
    bumped.loc[rows, "flux"] += bump
    return bumped


def test_an_injected_event_is_found_at_its_time_with_the_expected_snr() -> None:
    raw = with_bump(noisy_sources(5), source=3, amplitude=8 * NOISE, peak_mjd=59150.0, width=4.0)
    result = analyse_partition(raw, CHECKS, RobustSnrFinder(), NO_INJECTIONS)
    detections = result.detections
    assert detections["source"].tolist() == [3]
    found = detections.iloc[0]
    assert abs(found["peak_mjd"] - 59150.0) < 2.0
    # Peak S/N 8 plus the noise at the best point (the highest of a few points near the peak).
    assert 7.0 < found["score"] < 10.5
    assert found["start_mjd"] < 59150.0 < found["end_mjd"]
    assert found["extent_points"] >= 3
    assert abs(found["sideband_snr"]) < 1.0
    assert found["baseline_flux"] == pytest.approx(BASELINE, abs=3.0)
    assert found["noise"] == pytest.approx(NOISE, rel=0.15)


def test_flat_light_curves_give_no_detection() -> None:
    result = analyse_partition(noisy_sources(200, seed=11), CHECKS, RobustSnrFinder(), NO_INJECTIONS)
    assert len(result.candidates) == 200
    assert result.detections.empty
    # Pure noise: the best point of 300 lies near 2.7 sigma.
    assert 2.0 < result.candidates["score"].median() < 3.5


def test_a_slow_trend_is_refused_by_its_sidebands() -> None:
    raw = noisy_sources(1)
    rising = raw.assign(flux=raw["flux"] + np.clip(raw["mjd"] - 59200.0, 0, None) * 1.5)
    result = analyse_partition(rising, CHECKS, RobustSnrFinder(), NO_INJECTIONS)
    assert result.candidates.iloc[0]["score"] > 5
    assert result.detections.empty


def test_detection_efficiency_rises_with_amplitude() -> None:
    settings = dataclasses.replace(
        AnalysisSettings(),
        inject=InjectSettings(copies=2, amplitudes=(2.0, 4.0, 6.0, 10.0, 20.0), widths_days=(5.0,)),
    )
    result = analyse_partition(noisy_sources(150, seed=3), CHECKS, RobustSnrFinder(), settings)
    injections = result.injections
    assert len(injections) == 300
    efficiency = injections.groupby("amplitude")["recovered"].mean()
    assert efficiency.is_monotonic_increasing
    assert efficiency[2.0] < 0.1
    assert efficiency[10.0] > 0.9 and efficiency[20.0] > 0.95
    # Recovered events are found near the time they were injected.
    recovered = injections[injections["recovered"]]
    assert (np.abs(recovered["found_mjd"] - recovered["peak_mjd"]) <= 10.0).all()


def test_histograms_of_partitions_add_up_to_the_histogram_of_the_whole() -> None:
    raw = with_bump(noisy_sources(40, seed=5), source=17, amplitude=12 * NOISE, peak_mjd=59100.0, width=3.0)
    settings = dataclasses.replace(AnalysisSettings(), inject=InjectSettings(copies=1))
    whole = analyse_partition(raw, CHECKS, RobustSnrFinder(), settings).histograms
    parts = [
        analyse_partition(raw[raw["source"] % 3 == remainder], CHECKS, RobustSnrFinder(), settings).histograms
        for remainder in range(3)
    ]
    summed = add_histograms(parts)
    pd.testing.assert_frame_equal(summed, whole)
    filters, counts = dense_counts(whole, settings.histograms, "real")
    assert filters == ["ztfr"] and counts.sum() == 40
    assert dense_counts(whole, settings.histograms, "injected")[1].sum() == 40


def test_seasons_split_at_gaps_and_restart_per_filter() -> None:
    days = np.r_[np.arange(0, 10.0), np.arange(100, 110.0)]
    raw = pd.DataFrame(
        {
            "source": 0,
            "filter": np.repeat(["ztfg", "ztfr"], len(days)),
            "mjd": 59000.0 + np.tile(days, 2),
            "flux": 1.0,
            "fluxerr": 0.1,
        }
    )
    points = reduce_raw(raw.sample(frac=1.0, random_state=1), ReduceSettings(season_gap_days=60.0))
    assert points.groupby("filter", observed=True)["season"].apply(list).to_dict() == {
        "ztfg": [0] * 10 + [1] * 10,
        "ztfr": [0] * 10 + [1] * 10,
    }
    assert points["lightcurve"].nunique() == 4
    assert (np.diff(points["mjd"].to_numpy()[:20]) > 0).all()


def test_quality_flags_survey_marks_and_offset_outliers_and_the_search_ignores_them() -> None:
    raw = noisy_sources(1)
    raw["query_ra"], raw["query_dec"] = 150.0, 2.0
    raw["ra"], raw["dec"] = 150.0, 2.0 + np.random.default_rng(2).normal(0, 0.1, len(raw)) / 3600
    raw["survey_flag"] = 0
    raw.loc[10, "survey_flag"] = 32768
    raw.loc[20, "dec"] = 2.0 + 5.0 / 3600  # 5 arcsec away: another star
    raw.loc[20, "flux"] = 50 * BASELINE  # ...and bright
    raw.loc[30, "fluxerr"] = 0.0
    points = reduce_raw(raw, ReduceSettings())
    flagged = apply_checks(points, CHECKS, AnalysisSettings().quality)
    bits = dict(zip(flagged["mjd"], flagged["flag"], strict=True))
    assert bits[raw.loc[10, "mjd"]] == 1  # survey_flags is the first check
    assert bits[raw.loc[30, "mjd"]] == 2
    assert bits[raw.loc[20, "mjd"]] == 4
    assert (flagged["flag"] != 0).sum() == 3
    result = analyse_partition(raw, CHECKS, RobustSnrFinder(), NO_INJECTIONS)
    assert result.detections.empty
    properties = source_properties(result.lightcurves, result.candidates)
    assert properties[["points", "flagged", "detections"]].iloc[0].tolist() == [300, 3, 0]


def test_event_shapes_peak_at_one() -> None:
    days = np.array([-10.0, -0.05, 0.0, 10.0, 20.0])
    gaussian = event_shape("gaussian", days, np.full(5, 10.0))
    assert gaussian == pytest.approx(np.exp(-0.5 * (days / 10.0) ** 2))
    flare = event_shape("flare", days, np.full(5, 10.0))
    assert flare == pytest.approx([0.0, 0.95, 1.0, np.exp(-1), np.exp(-2)])
    with pytest.raises(ValueError, match=r"inject\.shape"):
        event_shape("boxcar", days, np.ones(5))


def test_rates_and_poisson_upper_limits_from_exposure_and_efficiency() -> None:
    from tom_tui.processing.projects.rates import event_rates, poisson_upper_limit

    # Gehrels (1986), table 1: one-sided 95 % upper limits for 0, 1 and 5 events.
    assert poisson_upper_limit([0, 1, 5]) == pytest.approx([2.996, 4.744, 10.513], abs=1e-3)
    # Ten sources searched for a year each in r, none detected; half the injections at 10σ found.
    properties = pd.DataFrame(
        {"source": range(10), "filter": "ztfr", "searched_days": 365.25, "detections": 0}
    )
    injections = pd.DataFrame(
        {"filter": "ztfr", "amplitude": [10.0] * 4, "recovered": [True, False, True, False]}
    )
    row = event_rates(properties, injections).iloc[0]
    assert (row["injected"], row["recovered"], row["efficiency"]) == (4, 2, 0.5)
    assert row["source_years"] == pytest.approx(10.0) and row["rate"] == 0.0
    assert row["upper_limit"] == pytest.approx(2.996 / (0.5 * 10.0), abs=1e-3)


def test_source_properties_count_the_searched_span() -> None:
    raw = noisy_sources(2, epochs=100, span_days=100.0)
    result = analyse_partition(raw, CHECKS, RobustSnrFinder(), NO_INJECTIONS)
    properties = source_properties(result.lightcurves, result.candidates)
    spans = raw.groupby("source")["mjd"].agg(lambda mjd: mjd.max() - mjd.min())
    assert properties["searched_days"].to_numpy() == pytest.approx(spans.to_numpy())
