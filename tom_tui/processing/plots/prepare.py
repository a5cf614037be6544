"""Plot data from stored points and spectra: per-band series, thinned, ready to draw."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.reduction import REDUCTION_SOURCE
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.units import mag_to_flux_array
from tom_tui.processing.plots.styles import (
    BAND_STYLE,
    FALLBACK_STYLE,
    MARKERS,
    REDUCED_LABEL,
    REDUCED_MARKER,
    band_key,
    band_order,
)
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
    reduced: bool = False  # measured by a tom-tui reduction run

    @property
    def label(self) -> str:
        """The legend's name: the band, and for reduced points where they came from."""
        return f"{self.band} {REDUCED_LABEL}" if self.reduced else self.band


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


def _reduced_rows(points: pa.Table) -> np.ndarray:
    """True for points a tom-tui reduction run measured (all False without a ``source`` column)."""
    if "source" not in points.column_names:
        return np.zeros(points.num_rows, dtype=bool)
    matches = pc.fill_null(pc.equal(points.column("source"), REDUCTION_SOURCE), False)
    return np.asarray(matches.to_numpy(zero_copy_only=False), dtype=bool)


def _series(
    values: _Values,
    rows: np.ndarray,
    band: str,
    style: tuple[int, str],
    marker: str,
    budget: int,
    reduced: bool = False,
) -> Series:
    """The thinned points and limits among ``rows`` (a boolean mask) of one band."""
    points = np.flatnonzero(rows & values.is_point)
    keep = points[thin_indices(values.mjd[points], values.value[points], budget)]
    limits = np.flatnonzero(rows & values.is_limit)
    limit_keep = limits[thin_indices(values.mjd[limits], values.limit_value[limits], budget // 2)]
    return Series(
        band=band,
        x=values.mjd[keep],
        y=values.value[keep],
        yerr=np.nan_to_num(values.error[keep], nan=0.0),
        limit_x=values.mjd[limit_keep],
        limit_y=values.limit_value[limit_keep],
        terminal_colour=style[0],
        png_colour=style[1],
        marker=marker,
        reduced=reduced,
    )


def prepare_lightcurve(
    points: pa.Table, *, flux: bool = False, max_points: int = MAX_PLOT_POINTS
) -> LightCurveData:
    """Per-filter series from stored points; limits kept apart and drawn distinctly. Points a
    tom-tui reduction measured (``source`` is :data:`REDUCTION_SOURCE`, when the column is read)
    form a series of their own in the band's colour, with :data:`REDUCED_MARKER`."""
    total = points.num_rows
    if total == 0:
        return LightCurveData([], flux, 0, 0)
    values = _values(points, flux)
    reduced = _reduced_rows(points)
    encoded = pc.dictionary_encode(pc.fill_null(points.column("filter"), "?")).combine_chunks()
    band_names: list[str] = encoded.dictionary.to_pylist()
    band_codes = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
    names = sorted(band_names, key=band_order)
    budget = max(max_points // max(len(names), 1), 50)
    series: list[Series] = []
    fallback = 0
    for position, name in enumerate(names):
        in_band = band_codes == band_names.index(name)
        style = BAND_STYLE.get(band_key(name))
        if style is None:
            style = FALLBACK_STYLE[fallback % len(FALLBACK_STYLE)]
            fallback += 1
        if (in_band & ~reduced).any():
            series.append(
                _series(values, in_band & ~reduced, name, style, MARKERS[position % len(MARKERS)], budget)
            )
        if (in_band & reduced).any():
            series.append(_series(values, in_band & reduced, name, style, REDUCED_MARKER, budget, True))
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
