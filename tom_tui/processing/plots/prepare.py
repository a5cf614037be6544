"""Plot data from stored points and spectra: per-band series, thinned, ready to draw."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.units import mag_to_flux_array
from tom_tui.processing.plots.styles import BAND_STYLE, FALLBACK_STYLE, MARKERS, band_key, band_order
from tom_tui.processing.plots.thinning import MAX_PLOT_POINTS, thin_indices


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


@dataclass
class _Values:
    """One light curve's columns as arrays, with the y values chosen (flux or magnitude)."""

    mjd: np.ndarray
    value: np.ndarray
    error: np.ndarray
    limit_value: np.ndarray
    is_point: np.ndarray
    is_limit: np.ndarray


def _values(points: pa.Table, flux: bool) -> _Values:
    def floats(name: str) -> np.ndarray:
        return np.asarray(points.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    mjd = np.asarray(points.column("mjd").to_numpy(), dtype=np.float64)
    limit = floats("limit")
    value, error = (floats("flux"), floats("fluxerr")) if flux else (floats("mag"), floats("magerr"))
    # A limit has no value of its own, only the limiting magnitude (as flux when plotting flux).
    limit_value = mag_to_flux_array(limit) if flux else limit
    is_point = ~np.isnan(value)
    return _Values(mjd, value, error, limit_value, is_point, ~is_point & ~np.isnan(limit))


def prepare_lightcurve(
    points: pa.Table, *, flux: bool = False, max_points: int = MAX_PLOT_POINTS
) -> LightCurveData:
    """Per-filter series from stored points; limits kept apart and drawn distinctly."""
    total = points.num_rows
    if total == 0:
        return LightCurveData([], flux, 0, 0)
    values = _values(points, flux)
    encoded = pc.dictionary_encode(pc.fill_null(points.column("filter"), "?")).combine_chunks()
    band_names: list[str] = encoded.dictionary.to_pylist()
    band_codes = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
    names = sorted(band_names, key=band_order)
    budget = max(max_points // max(len(names), 1), 50)
    series: list[Series] = []
    fallback = 0
    for position, name in enumerate(names):
        in_band = band_codes == band_names.index(name)
        rows = np.flatnonzero(in_band & values.is_point)
        keep = rows[thin_indices(values.mjd[rows], values.value[rows], budget)]
        limit_rows = np.flatnonzero(in_band & values.is_limit)
        limit_keep = limit_rows[
            thin_indices(values.mjd[limit_rows], values.limit_value[limit_rows], budget // 2)
        ]
        style = BAND_STYLE.get(band_key(name))
        if style is None:
            style = FALLBACK_STYLE[fallback % len(FALLBACK_STYLE)]
            fallback += 1
        series.append(
            Series(
                band=name,
                x=values.mjd[keep],
                y=values.value[keep],
                yerr=np.nan_to_num(values.error[keep], nan=0.0),
                limit_x=values.mjd[limit_keep],
                limit_y=values.limit_value[limit_keep],
                terminal_colour=style[0],
                png_colour=style[1],
                marker=MARKERS[position % len(MARKERS)],
            )
        )
    shown = sum(len(item.x) + len(item.limit_x) for item in series)
    data = LightCurveData(series, flux, total, shown, (float(values.mjd.min()), float(values.mjd.max())))
    if shown < total:
        data.notes.append(f"showing {shown} of {total} points (brightest and faintest per time bin)")
    return data


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
    keep = thin_indices(spectrum.wavelength, spectrum.flux, max_points)
    return SpectrumPlotData(
        wavelength=spectrum.wavelength[keep],
        flux=spectrum.flux[keep],
        error=None if spectrum.flux_error is None else spectrum.flux_error[keep],
        wavelength_unit=spectrum.wavelength_unit,
        flux_unit=spectrum.flux_unit,
        label=label,
        total_points=len(spectrum),
    )
