"""The parameters of each analysis stage of a project, with the defaults a project file may omit.

Units are in the names: days, arcseconds, S/N (a signal in units of the light curve's noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Bump when the analysis would give different numbers for the same input: a project's output
# folder is named by a hash that includes it, so old results are never mixed with new ones.
ANALYSIS_VERSION = 1


@dataclass(frozen=True)
class ReduceSettings:
    """How raw photometry becomes light curves: one per source, filter and season.

    A new season starts wherever the time between two consecutive points of a source in one filter
    exceeds ``season_gap_days``; seasons with fewer than ``min_points`` points are kept but never
    searched.
    """

    season_gap_days: float = 60.0
    min_points: int = 10


@dataclass(frozen=True)
class QualitySettings:
    """Per-point checks, by plugin name, in order; each sets its own bit of the ``flag`` column.

    ``max_offset_arcsec``: a point measured further than this from the catalogue position is an
    outlier; ``offset_sigma``: so is one further than the source's median offset plus this many
    robust standard deviations of its offsets.
    """

    checks: tuple[str, ...] = ("survey_flags", "bad_errors", "offset_outliers")
    max_offset_arcsec: float = 3.0
    offset_sigma: float = 5.0


@dataclass(frozen=True)
class FindSettings:
    """The event search: one candidate per light curve (source, filter, season), its highest point.

    Each point's S/N is its flux above the season's median, over the larger of its own flux error
    and the season's robust scatter (1.4826 × MAD). The event extends around the peak while the
    S/N stays at or above ``extent_snr``; a detection needs a peak S/N of at least ``threshold``,
    at least ``min_extent_points`` points in the event, and sidebands (``sideband_days`` before and
    after it) whose mean S/N is within ± ``max_sideband_snr`` (a slow trend is not an event).
    """

    finder: str = "robust_snr"
    threshold: float = 5.0
    extent_snr: float = 2.0
    min_extent_points: int = 2
    sideband_days: float = 20.0
    max_sideband_snr: float = 1.5


@dataclass(frozen=True)
class InjectSettings:
    """Simulated events added to copies of the light curves to measure detection efficiency.

    Each copy gives every searchable light curve one event of ``shape`` (``gaussian``: a symmetric
    bump of standard deviation ``width``; ``flare``: a fast rise, then an exponential decay with
    time constant ``width``), with a peak of ``amplitude`` times the light curve's noise and a
    time drawn uniformly within the season. Amplitudes and widths are drawn from the lists.
    An injected event is recovered when the search finds a detection whose peak lies within
    ``2 × width`` (and at least 1 day) of the injected peak.
    """

    copies: int = 1
    shape: str = "gaussian"
    amplitudes: tuple[float, ...] = (3.0, 5.0, 7.0, 10.0, 15.0, 20.0)
    widths_days: tuple[float, ...] = (5.0, 10.0, 20.0)
    seed: int = 2026


@dataclass(frozen=True)
class HistogramSettings:
    """Bin edges of the score × magnitude × filter histograms (values outside the edges are
    counted in the first or last bin, so no light curve is lost from the totals)."""

    score_edges: tuple[float, ...] = tuple(float(edge) for edge in range(-10, 51))
    mag_edges: tuple[float, ...] = tuple(12.0 + 0.5 * step for step in range(21))


@dataclass(frozen=True)
class AnalysisSettings:
    """Every analysis stage's parameters together."""

    reduce: ReduceSettings = field(default_factory=ReduceSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    find: FindSettings = field(default_factory=FindSettings)
    inject: InjectSettings = field(default_factory=InjectSettings)
    histograms: HistogramSettings = field(default_factory=HistogramSettings)
