"""Plots of light curves and spectra, in the terminal and as PNG.

``prepare`` turns stored points and spectra into thinned per-band series (``thinning`` keeps
each bin's brightest and faintest points so peaks survive); ``styles`` gives each band one colour
and marker everywhere; ``text`` draws with plotext (the CLI and the TUI's plot widgets) and
``png`` with matplotlib.
"""

from __future__ import annotations

from tom_tui.processing.plots.png import save_lightcurve_png, save_spectrum_png
from tom_tui.processing.plots.prepare import (
    LightCurveData,
    Series,
    SpectrumPlotData,
    prepare_lightcurve,
    prepare_spectrum,
)
from tom_tui.processing.plots.styles import BAND_STYLE, LIMIT_MARKER, MARKERS, band_key, mjd_to_date
from tom_tui.processing.plots.text import (
    draw_lightcurve,
    draw_spectrum,
    render_lightcurve_text,
    render_spectrum_text,
)
from tom_tui.processing.plots.thinning import MAX_PLOT_POINTS, thin_indices

__all__ = [
    "BAND_STYLE",
    "LIMIT_MARKER",
    "MARKERS",
    "MAX_PLOT_POINTS",
    "LightCurveData",
    "Series",
    "SpectrumPlotData",
    "band_key",
    "draw_lightcurve",
    "draw_spectrum",
    "mjd_to_date",
    "prepare_lightcurve",
    "prepare_spectrum",
    "render_lightcurve_text",
    "render_spectrum_text",
    "save_lightcurve_png",
    "save_spectrum_png",
    "thin_indices",
]
