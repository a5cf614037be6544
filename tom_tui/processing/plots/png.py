"""Publication-style PNG images with matplotlib (imported only when an image is asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tom_tui.processing.plots.prepare import LightCurveData, SpectrumPlotData
from tom_tui.processing.plots.styles import REDUCED_PNG_MARKER, SPECTRUM_PNG_COLOUR, mjd_to_date


def pyplot_for_files() -> Any:
    """matplotlib's pyplot drawing into files only (no display is needed or used)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as pyplot

    return pyplot


def _draw_series(axes: Any, data: LightCurveData) -> None:
    for item in data.series:
        if len(item.x):
            axes.errorbar(
                item.x,
                item.y,
                yerr=item.yerr,
                fmt=REDUCED_PNG_MARKER if item.reduced else "o",
                ms=5 if item.reduced else 4,
                mfc="none" if item.reduced else item.png_colour,
                color=item.png_colour,
                label=item.label,
                elinewidth=0.8,
                capsize=0,
            )
        if len(item.limit_x):
            axes.scatter(
                item.limit_x,
                item.limit_y,
                marker="v",
                s=22,
                facecolors="none",
                edgecolors=item.png_colour,
                alpha=0.7,
                label=f"{item.label} limit",
            )


def save_lightcurve_png(data: LightCurveData, path: Path, *, title: str = "", dates: bool = False) -> None:
    pyplot = pyplot_for_files()
    figure, axes = pyplot.subplots(figsize=(7.0, 4.5), dpi=150)
    _draw_series(axes, data)
    if not data.flux:
        axes.invert_yaxis()
        axes.set_ylabel("AB magnitude")
    else:
        axes.set_ylabel("Flux (µJy)")
    axes.set_xlabel("MJD")
    if dates:
        from matplotlib.ticker import FuncFormatter

        secondary = axes.secondary_xaxis("top")
        secondary.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: mjd_to_date(value)))
        secondary.tick_params(labelsize=7)
    axes.set_title(title)
    axes.legend(fontsize=8, frameon=False, ncol=2)
    axes.grid(alpha=0.2)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def save_spectrum_png(data: SpectrumPlotData, path: Path, *, title: str = "") -> None:
    pyplot = pyplot_for_files()
    figure, axes = pyplot.subplots(figsize=(7.0, 4.0), dpi=150)
    axes.plot(data.wavelength, data.flux, lw=0.8, color=SPECTRUM_PNG_COLOUR, label=data.label or None)
    if data.error is not None:
        axes.fill_between(
            data.wavelength,
            data.flux - data.error,
            data.flux + data.error,
            color=SPECTRUM_PNG_COLOUR,
            alpha=0.2,
            lw=0,
        )
    axes.set_xlabel(f"Wavelength ({data.wavelength_unit})")
    axes.set_ylabel(f"Flux ({data.flux_unit})" if data.flux_unit else "Flux (unit not given)")
    axes.set_title(title)
    if data.label:
        axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
