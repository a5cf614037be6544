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
        label: str | None = item.label
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
                label=f"{item.label} limit" if label is None else f"{label} (limits)",
            )
    _leave_room_for_the_legend(plt, data)
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


LEGEND_ROOM_PER_LABEL = 0.07  # of the y range: plotext's legend takes one text row per series


def _leave_room_for_the_legend(plt: Any, data: LightCurveData) -> None:
    """Stretch the y range at the top of the plot (the bright end of a magnitude plot) so that
    plotext's legend, drawn in the top-left corner, covers no point."""
    values = [item.y for item in data.series if len(item.y)] + [
        item.limit_y for item in data.series if len(item.limit_y)
    ]
    if not values:
        return
    every = np.concatenate(values)
    every = every[np.isfinite(every)]
    if not every.size:
        return
    low, high = float(every.min()), float(every.max())
    spread = (high - low) or 1.0
    labels = sum(1 + bool(len(item.limit_x) and len(item.x)) for item in data.series)
    room = spread * min(0.6, 0.05 + LEGEND_ROOM_PER_LABEL * labels)
    margin = spread * 0.03
    if data.flux:
        plt.ylim(low - margin, high + room)
    else:  # magnitudes: the top of the reversed axis is the smallest value
        plt.ylim(low - room, high + margin)


def readable_ticks(low: float, high: float, count: int = 5) -> tuple[list[float], list[str]]:
    """Tick positions and labels a person can read at any scale: ``2.03e-16``, not
    ``0.000000000000000203`` (plotext writes its labels as fixed-point decimals)."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return [low], [f"{low:.3g}"]
    ticks = np.linspace(low, high, count)
    return ticks.tolist(), [f"{tick:.3g}" for tick in ticks]


def draw_spectrum(plt: Any, data: SpectrumPlotData, *, title: str = "") -> None:
    # The spectrum's name goes in the title: plotext's legend sits in the plot and would hide
    # the top of a line that peaks at the left.
    plt.title(" · ".join(part for part in (title, data.label) if part))
    plt.plot(data.wavelength.tolist(), data.flux.tolist(), color=SPECTRUM_TERMINAL_COLOUR, marker="braille")
    finite = data.flux[np.isfinite(data.flux)]
    if finite.size:
        plt.yticks(*readable_ticks(float(finite.min()), float(finite.max())))
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
