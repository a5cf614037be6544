"""Terminal plots with plotext: ``draw_*`` declares a plot on any object with plotext's API (the
``plotext`` module for the CLI, a textual-plotext widget's ``plt`` in the TUI); ``render_*_text``
returns the finished plot as text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tom_tui.processing.plots.prepare import LightCurveData, SpectrumPlotData
from tom_tui.processing.plots.styles import LIMIT_MARKER, SPECTRUM_TERMINAL_COLOUR, mjd_to_date

# plotext draws each error bar as a line (~0.3 ms each): beyond this many the terminal plot gets
# slow and the bars merge into a smear anyway, so only an evenly spread subset gets bars.
MAX_TERMINAL_ERROR_BARS = 250


def draw_lightcurve(plt: Any, data: LightCurveData, *, title: str = "", dates: bool = False) -> None:
    """Declare the light curve on a plotext-like object (no clearing, no sizing)."""
    plt.title(title)
    with_points = sum(len(item.x) for item in data.series)
    stride = max(1, -(-with_points // MAX_TERMINAL_ERROR_BARS))
    for item in data.series:
        label: str | None = item.band
        if len(item.x):
            if np.any(item.yerr > 0):
                plt.error(
                    item.x[::stride].tolist(),
                    item.y[::stride].tolist(),
                    yerr=item.yerr[::stride].tolist(),
                    color=item.terminal_colour,
                )
            plt.scatter(
                item.x.tolist(), item.y.tolist(), marker=item.marker, color=item.terminal_colour, label=label
            )
            label = None
        if len(item.limit_x):
            plt.scatter(
                item.limit_x.tolist(),
                item.limit_y.tolist(),
                marker=LIMIT_MARKER,
                color=item.terminal_colour,
                label=f"{item.band} limit" if label is None else f"{label} (limits)",
            )
    if not data.flux:
        plt.yreverse(True)
        plt.ylabel("AB mag (▽ upper limit)")
    else:
        plt.ylabel("flux µJy")
    if dates and data.x_range is not None:
        low, high = data.x_range
        ticks = np.linspace(low, high, 5) if high > low else np.array([low])
        plt.xticks(ticks.tolist(), [mjd_to_date(t) for t in ticks])
        plt.xlabel("date (UTC)")
    else:
        plt.xlabel("MJD")


def draw_spectrum(plt: Any, data: SpectrumPlotData, *, title: str = "") -> None:
    plt.title(title)
    plt.plot(
        data.wavelength.tolist(),
        data.flux.tolist(),
        color=SPECTRUM_TERMINAL_COLOUR,
        label=data.label or None,
        marker="braille",
    )
    plt.xlabel(f"wavelength ({data.wavelength_unit})")
    plt.ylabel(f"flux ({data.flux_unit})" if data.flux_unit else "flux (unit not given)")


def _render(draw: Callable[[Any], None], width: int, height: int) -> str:
    import plotext

    plotext.clf()
    plotext.plotsize(width, height)
    plotext.theme("pro")
    draw(plotext)
    text: str = plotext.build()
    plotext.clf()
    return text


def render_lightcurve_text(
    data: LightCurveData, *, width: int = 100, height: int = 28, title: str = "", dates: bool = False
) -> str:
    return _render(lambda plt: draw_lightcurve(plt, data, title=title, dates=dates), width, height)


def render_spectrum_text(
    data: SpectrumPlotData, *, width: int = 100, height: int = 28, title: str = ""
) -> str:
    return _render(lambda plt: draw_spectrum(plt, data, title=title), width, height)
