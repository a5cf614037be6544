"""A target's polarisation against time: degree p (debiased, %) above, angle χ (degrees) below,
one colour and marker per band as in the light curve; in the terminal (plotext) or as PNG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.processing.plots.png import pyplot_for_files
from tom_tui.processing.plots.styles import BAND_STYLE, FALLBACK_STYLE, MARKERS, band_key, band_order
from tom_tui.processing.plots.text import MAX_TERMINAL_ERROR_BARS, _render
from tom_tui.processing.plots.thinning import MAX_PLOT_POINTS, thin_indices

ANGLE_RANGE = (0.0, 180.0)


@dataclass
class PolarizationSeries:
    """One band's points: MJD, debiased p in per cent and its error, χ and its error (degrees)."""

    band: str
    mjd: np.ndarray
    p_percent: np.ndarray
    p_err_percent: np.ndarray
    chi_deg: np.ndarray
    chi_err_deg: np.ndarray
    terminal_colour: int
    png_colour: str
    marker: str


@dataclass
class PolarimetryPlotData:
    series: list[PolarizationSeries]
    total_points: int
    shown_points: int


def prepare_polarimetry(
    measurements: Sequence[PolarizationMeasurement], max_points: int = MAX_PLOT_POINTS
) -> PolarimetryPlotData:
    """Per-band series, each thinned to its share of ``max_points`` (extremes of p kept)."""
    bands = sorted({item.band for item in measurements}, key=band_order)
    budget = max(max_points // max(len(bands), 1), 50)
    series = []
    fallback = 0
    for position, band in enumerate(bands):
        rows = sorted((item for item in measurements if item.band == band), key=lambda item: item.mjd)
        mjd = np.array([item.mjd for item in rows])
        p = np.array([100.0 * item.p_debiased for item in rows])
        keep = thin_indices(mjd, p, budget)
        style = BAND_STYLE.get(band_key(band))
        if style is None:
            style = FALLBACK_STYLE[fallback % len(FALLBACK_STYLE)]
            fallback += 1
        series.append(
            PolarizationSeries(
                band=band,
                mjd=mjd[keep],
                p_percent=p[keep],
                p_err_percent=np.array([100.0 * item.p_err for item in rows])[keep],
                chi_deg=np.array([item.chi_deg for item in rows])[keep],
                chi_err_deg=np.array([item.chi_err_deg for item in rows])[keep],
                terminal_colour=style[0],
                png_colour=style[1],
                marker=MARKERS[position % len(MARKERS)],
            )
        )
    shown = sum(len(item.mjd) for item in series)
    return PolarimetryPlotData(series, len(measurements), shown)


def _panel(plt: Any, data: PolarimetryPlotData, values: str, errors: str, *, labels: bool) -> None:
    stride = max(1, -(-data.shown_points // MAX_TERMINAL_ERROR_BARS))
    for item in data.series:
        x, y, yerr = item.mjd, getattr(item, values), getattr(item, errors)
        if len(x) == 0:
            continue
        plt.error(
            x[::stride].tolist(),
            y[::stride].tolist(),
            yerr=yerr[::stride].tolist(),
            color=item.terminal_colour,
        )
        plt.scatter(
            x.tolist(),
            y.tolist(),
            marker=item.marker,
            color=item.terminal_colour,
            label=item.band if labels else None,
        )


def draw_degree(plt: Any, data: PolarimetryPlotData, *, title: str = "") -> None:
    """Declare the p panel on a plotext-like object (no clearing, no sizing)."""
    plt.title(title)
    _panel(plt, data, "p_percent", "p_err_percent", labels=True)
    plt.ylabel("p % (debiased)")
    plt.xlabel("MJD")


def draw_angle(plt: Any, data: PolarimetryPlotData) -> None:
    """Declare the χ panel on a plotext-like object (no clearing, no sizing)."""
    _panel(plt, data, "chi_deg", "chi_err_deg", labels=False)
    plt.ylim(*ANGLE_RANGE)
    plt.yticks([0, 45, 90, 135, 180])
    plt.ylabel("χ deg")
    plt.xlabel("MJD")


def render_polarimetry_text(
    data: PolarimetryPlotData, *, width: int = 100, height: int = 30, title: str = ""
) -> str:
    """Both panels, p above χ, as text. Drawn as two plots: plotext puts error bars in the wrong
    panel of a figure with subplots (5.3)."""
    upper = max(height // 2, 8)
    degree = _render(lambda plt: draw_degree(plt, data, title=title), width, upper)
    angle = _render(lambda plt: draw_angle(plt, data), width, max(height - upper, 8))
    return f"{degree}\n{angle}"


def save_polarimetry_png(data: PolarimetryPlotData, path: Path, *, title: str = "") -> None:
    pyplot = pyplot_for_files()
    figure, (p_axes, chi_axes) = pyplot.subplots(2, 1, figsize=(7.0, 5.5), dpi=150, sharex=True)
    for item in data.series:
        style = {"fmt": "o", "ms": 4, "color": item.png_colour, "elinewidth": 0.8, "capsize": 0}
        p_axes.errorbar(item.mjd, item.p_percent, yerr=item.p_err_percent, label=item.band, **style)
        chi_axes.errorbar(item.mjd, item.chi_deg, yerr=item.chi_err_deg, **style)
    p_axes.set_ylabel("p (%, debiased)")
    chi_axes.set_ylabel("χ (deg E of N)")
    chi_axes.set_ylim(*ANGLE_RANGE)
    chi_axes.set_yticks([0, 45, 90, 135, 180])
    chi_axes.set_xlabel("MJD")
    p_axes.set_title(title)
    p_axes.legend(fontsize=8, frameon=False, ncol=2)
    for axes in (p_axes, chi_axes):
        axes.grid(alpha=0.2)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
