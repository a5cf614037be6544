"""Plot data preparation and rendering: light curves and spectra, in the terminal and as PNG.

Preparation (``prepare_*``) thins the data to a few thousand points so a terminal plot stays
fast (textual-plotext takes ~0.3 s at 10k points, 0.56 s at 100k) while keeping each filter's
brightest and faintest points per time bin, so peaks survive. Drawing (``draw_*``) works on any
object with plotext's API: the ``plotext`` module for the CLI or a textual-plotext widget's
``plt`` in the TUI. ``save_*_png`` makes a publication-style image with matplotlib.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.processing.spectra.model import Spectrum

MAX_PLOT_POINTS = 3000
MJD_EPOCH = dt.datetime(1858, 11, 17, tzinfo=dt.UTC)

# Colours (xterm-256 for the terminal, hex for PNG) and markers per band, so a filter looks the
# same in every plot. Keys are simplified band names: "ztfg", "ps1::g", "sdssg" -> "g".
BAND_STYLE: dict[str, tuple[int, str]] = {
    "u": (129, "#7b3294"),
    "b": (33, "#1f78b4"),
    "g": (34, "#2ca02c"),
    "v": (106, "#78a22f"),
    "c": (51, "#17becf"),
    "r": (196, "#d62728"),
    "o": (208, "#ff7f0e"),
    "i": (166, "#8c564b"),
    "z": (245, "#7f7f7f"),
    "y": (226, "#bcbd22"),
    "j": (95, "#a05d56"),
    "h": (131, "#8c2d04"),
    "k": (88, "#67000d"),
    "w": (141, "#9467bd"),
}
FALLBACK_STYLE = [(39, "#1f77b4"), (201, "#e377c2"), (220, "#d4a017"), (75, "#4a90d9"), (160, "#b22222")]
MARKERS = ["●", "■", "◆", "▲", "✚", "✱", "◉", "▣"]
LIMIT_MARKER = "▽"
# plotext draws each error bar as a line (~0.3 ms each): beyond this many the terminal plot gets
# slow and the bars merge into a smear anyway, so only an evenly spread subset gets bars.
MAX_TERMINAL_ERROR_BARS = 250


def band_key(name: str) -> str:
    simplified = re.sub(r"^(ztf|atlas|ps1::|ps1|sdss|2mass|decam|lsst|swift|uvot)", "", name.strip().lower())
    simplified = simplified.strip(":_- ") or name.lower()
    return simplified[-1] if simplified[-1] in BAND_STYLE and len(simplified) <= 2 else simplified


@dataclass
class Series:
    band: str
    x: np.ndarray
    y: np.ndarray
    yerr: np.ndarray
    limit_x: np.ndarray
    limit_y: np.ndarray
    terminal_colour: int
    png_colour: str
    marker: str


@dataclass
class LightCurveData:
    series: list[Series]
    flux: bool  # True: y is flux in µJy; False: AB magnitude (axis inverted)
    total_points: int
    shown_points: int
    x_range: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)


def _first_where(mask: np.ndarray, bin_of: np.ndarray) -> np.ndarray:
    """Index of the first True of ``mask`` in each bin (bins are contiguous runs)."""
    hits = np.flatnonzero(mask)
    if len(hits) == 0:
        return hits
    bins = bin_of[hits]
    return hits[np.concatenate(([True], bins[1:] != bins[:-1]))]


def _thin_indices(x: np.ndarray, y: np.ndarray, budget: int) -> np.ndarray:
    """Indices of at most ~budget points: per x bin, the lowest and the highest y.

    O(n) for x in ascending order (light curves by time, spectra by wavelength), which is how
    the store and the readers hand them over; anything else is sorted first.
    """
    count = len(x)
    if count <= budget or budget < 4:
        return np.arange(count)
    order = None
    if np.any(x[1:] < x[:-1]):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    bins = max(budget // 2, 1)
    edges = np.linspace(x[0], x[-1], bins + 1)
    starts = np.unique(np.searchsorted(x, edges[:-1], side="left"))
    starts = starts[starts < count]
    lengths = np.diff(np.append(starts, count))
    bin_of = np.repeat(np.arange(len(starts)), lengths)
    lowest = np.repeat(np.minimum.reduceat(y, starts), lengths)
    highest = np.repeat(np.maximum.reduceat(y, starts), lengths)
    chosen = np.union1d(_first_where(y == lowest, bin_of), _first_where(y == highest, bin_of))
    return chosen if order is None else np.sort(order[chosen])


def prepare_lightcurve(
    points: pa.Table, *, flux: bool = False, max_points: int = MAX_PLOT_POINTS
) -> LightCurveData:
    """Per-filter series from stored points; limits kept apart and drawn distinctly."""
    total = points.num_rows
    if total == 0:
        return LightCurveData([], flux, 0, 0)
    mjd = np.asarray(points.column("mjd").to_numpy(), dtype=np.float64)
    encoded = pc.dictionary_encode(pc.fill_null(points.column("filter"), "?")).combine_chunks()
    band_names: list[str] = encoded.dictionary.to_pylist()
    band_codes = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)

    def floats(name: str) -> np.ndarray:
        return np.asarray(points.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    mag, magerr, limit = floats("mag"), floats("magerr"), floats("limit")
    flux_values, fluxerr = floats("flux"), floats("fluxerr")
    if flux:
        value, error = flux_values, fluxerr
        is_point = ~np.isnan(flux_values)
        is_limit = np.isnan(flux_values) & ~np.isnan(limit)
        limit_value = 10.0 ** (-0.4 * (limit - 23.9))
    else:
        value, error = mag, magerr
        is_point = ~np.isnan(mag)
        is_limit = np.isnan(mag) & ~np.isnan(limit)
        limit_value = limit
    names = sorted(
        band_names,
        key=lambda b: (list(BAND_STYLE).index(band_key(b)) if band_key(b) in BAND_STYLE else 99, b),
    )
    budget = max(max_points // max(len(names), 1), 50)
    series: list[Series] = []
    shown = 0
    fallback = 0
    for position, name in enumerate(names):
        in_band = band_codes == band_names.index(name)
        rows = np.flatnonzero(in_band & is_point)
        keep = rows[_thin_indices(mjd[rows], value[rows], budget)]
        limit_rows = np.flatnonzero(in_band & is_limit)
        limit_keep = limit_rows[_thin_indices(mjd[limit_rows], limit_value[limit_rows], budget // 2)]
        style = BAND_STYLE.get(band_key(name))
        if style is None:
            style = FALLBACK_STYLE[fallback % len(FALLBACK_STYLE)]
            fallback += 1
        series.append(
            Series(
                band=name,
                x=mjd[keep],
                y=value[keep],
                yerr=np.nan_to_num(error[keep], nan=0.0),
                limit_x=mjd[limit_keep],
                limit_y=limit_value[limit_keep],
                terminal_colour=style[0],
                png_colour=style[1],
                marker=MARKERS[position % len(MARKERS)],
            )
        )
        shown += len(keep) + len(limit_keep)
    data = LightCurveData(series, flux, total, shown, (float(mjd.min()), float(mjd.max())))
    if shown < total:
        data.notes.append(f"showing {shown} of {total} points (brightest and faintest per time bin)")
    return data


def mjd_to_date(mjd: float) -> str:
    return (MJD_EPOCH + dt.timedelta(days=float(mjd))).strftime("%Y-%m-%d")


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


def render_lightcurve_text(
    data: LightCurveData, *, width: int = 100, height: int = 28, title: str = "", dates: bool = False
) -> str:
    import plotext

    plotext.clf()
    plotext.plotsize(width, height)
    plotext.theme("pro")
    draw_lightcurve(plotext, data, title=title, dates=dates)
    text: str = plotext.build()
    plotext.clf()
    return text


def save_lightcurve_png(data: LightCurveData, path: Path, *, title: str = "", dates: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    figure, axes = pyplot.subplots(figsize=(7.0, 4.5), dpi=150)
    for item in data.series:
        if len(item.x):
            axes.errorbar(
                item.x,
                item.y,
                yerr=item.yerr,
                fmt="o",
                ms=4,
                color=item.png_colour,
                label=item.band,
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
                label=f"{item.band} limit",
            )
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


@dataclass
class SpectrumPlotData:
    wavelength: np.ndarray
    flux: np.ndarray
    error: np.ndarray | None
    wavelength_unit: str
    flux_unit: str | None
    label: str
    total_points: int


def prepare_spectrum(
    spectrum: Spectrum, label: str = "", max_points: int = MAX_PLOT_POINTS
) -> SpectrumPlotData:
    keep = _thin_indices(spectrum.wavelength, spectrum.flux, max_points)
    return SpectrumPlotData(
        wavelength=spectrum.wavelength[keep],
        flux=spectrum.flux[keep],
        error=None if spectrum.flux_error is None else spectrum.flux_error[keep],
        wavelength_unit=spectrum.wavelength_unit,
        flux_unit=spectrum.flux_unit,
        label=label,
        total_points=len(spectrum),
    )


def draw_spectrum(plt: Any, data: SpectrumPlotData, *, title: str = "") -> None:
    plt.title(title)
    plt.plot(
        data.wavelength.tolist(), data.flux.tolist(), color=39, label=data.label or None, marker="braille"
    )
    plt.xlabel(f"wavelength ({data.wavelength_unit})")
    plt.ylabel(f"flux ({data.flux_unit})" if data.flux_unit else "flux (unit not given)")


def render_spectrum_text(
    data: SpectrumPlotData, *, width: int = 100, height: int = 28, title: str = ""
) -> str:
    import plotext

    plotext.clf()
    plotext.plotsize(width, height)
    plotext.theme("pro")
    draw_spectrum(plotext, data, title=title)
    text: str = plotext.build()
    plotext.clf()
    return text


def save_spectrum_png(data: SpectrumPlotData, path: Path, *, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    figure, axes = pyplot.subplots(figsize=(7.0, 4.0), dpi=150)
    axes.plot(data.wavelength, data.flux, lw=0.8, color="#1f4e79", label=data.label or None)
    if data.error is not None:
        axes.fill_between(
            data.wavelength, data.flux - data.error, data.flux + data.error, color="#1f4e79", alpha=0.2, lw=0
        )
    axes.set_xlabel(f"Wavelength ({data.wavelength_unit})")
    axes.set_ylabel(f"Flux ({data.flux_unit})" if data.flux_unit else "Flux (unit not given)")
    axes.set_title(title)
    if data.label:
        axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
