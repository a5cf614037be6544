"""Plots ready to draw: a target's light curve and its spectra, for `tom-tui plot` and the TUI tabs.

Each call reads what the plot needs in one store read and thins it (see
``tom_tui.processing.plots``), so the caller only declares the plot. Drawing and saving are
re-exported here so that the CLI and the screens need nothing below the services.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tom_tui.domain.dataproducts import SpectrumRecord
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.plots import (
    MAX_PLOT_POINTS,
    LightCurveData,
    SpectrumPlotData,
    draw_lightcurve,
    draw_spectrum,
    prepare_lightcurve,
    prepare_spectrum,
    render_lightcurve_text,
    render_spectrum_text,
    save_lightcurve_png,
    save_spectrum_png,
)
from tom_tui.processing.plots.prepare import Series
from tom_tui.processing.plots.styles import FLAGGED_LABEL, FLAGGED_MARKER, FLAGGED_STYLE
from tom_tui.services.data.products import load_spectrum
from tom_tui.services.photometry.reads import PLOT_COLUMNS, target_photometry
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

__all__ = [
    "MAX_PLOT_POINTS",
    "LightCurve",
    "LightCurveData",
    "SpectrumPlot",
    "SpectrumPlotData",
    "draw_lightcurve",
    "draw_spectrum",
    "lightcurve_of",
    "render_lightcurve_text",
    "render_spectrum_text",
    "require_points",
    "save_lightcurve_png",
    "save_spectrum_png",
    "spectrum_plot",
    "spectrum_records",
]


# The plotted columns and where each point came from: reduced points get their own marker.
LIGHTCURVE_COLUMNS = [*PLOT_COLUMNS, "source"]


@dataclass
class LightCurve:
    """A target's light curve, thinned and split by band; ``generation`` is the store's count
    at the time of reading (a screen compares it to know whether to read again)."""

    target: Target
    data: LightCurveData
    generation: int

    @property
    def title(self) -> str:
        return f"{self.target.name} ({self.data.total_points} points)"


def lightcurve_of(
    store: Store,
    target: TargetRef,
    *,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
    flux: bool = False,
    max_points: int = MAX_PLOT_POINTS,
    include_flagged: bool = False,
    show_flagged: bool = False,
) -> LightCurve:
    """The light curve of ``target``: magnitudes (or flux in µJy), limits apart, at most
    ~``max_points`` points. Points flagged as bad are left out; ``include_flagged`` plots them
    as any other, ``show_flagged`` as a series of their own (:data:`FLAGGED_MARKER`). An empty
    light curve is not an error (the TUI shows a hint)."""

    generation = store.generation()
    with store.read() as view:
        found = TargetRepository(view).resolve(target)
        assert found.id is not None
        points = target_photometry(
            view, found.id, filters, since_mjd, columns=LIGHTCURVE_COLUMNS, include_flagged=include_flagged
        )
        flagged = None
        if show_flagged:
            from tom_tui.services.photometry.flags import flagged_points  # only when drawing them

            flagged = flagged_points(view, found.id, LIGHTCURVE_COLUMNS, filters, since_mjd)
    data = prepare_lightcurve(points, flux=flux, max_points=max_points)
    if flagged is not None and flagged.num_rows:
        data = _with_flagged(data, flagged, flux, max_points)
    return LightCurve(found, data, generation)


def _with_flagged(data: LightCurveData, flagged: pa.Table, flux: bool, max_points: int) -> LightCurveData:
    """``data`` with the flagged points added as one grey series of crosses, whatever their band."""
    parts = prepare_lightcurve(flagged, flux=flux, max_points=max_points).series

    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(part, name) for part in parts])

    series = Series(
        band=FLAGGED_LABEL,
        x=joined("x"),
        y=joined("y"),
        yerr=joined("yerr"),
        limit_x=joined("limit_x"),
        limit_y=joined("limit_y"),
        terminal_colour=FLAGGED_STYLE[0],
        png_colour=FLAGGED_STYLE[1],
        marker=FLAGGED_MARKER,
    )
    # Flagged points come in time order: the first and the last widen the time axis.
    first, last = float(flagged.column("mjd")[0].as_py()), float(flagged.column("mjd")[-1].as_py())
    low, high = data.x_range or (first, last)
    return dataclasses.replace(
        data, series=[*data.series, series], x_range=(min(low, first), max(high, last))
    )


def require_points(curve: LightCurve, filtered: bool) -> LightCurve:
    """``curve`` if it has points; otherwise NotFoundError saying so (for the CLI)."""
    if curve.data.total_points == 0:
        raise NotFoundError(
            f"{curve.target.name} has no photometry" + (" matching the filters" if filtered else "")
        )
    return curve


@dataclass
class SpectrumPlot:
    target: Target
    record: SpectrumRecord
    data: SpectrumPlotData

    @property
    def title(self) -> str:
        return f"{self.target.name} spectrum {self.record.id}" + (
            f" ({self.data.label})" if self.data.label else ""
        )


def spectrum_records(store: Store, target: TargetRef) -> tuple[Target, list[SpectrumRecord], int]:
    """The target's spectra, oldest first, and the store's generation at the time of reading."""
    generation = store.generation()
    with store.read() as view:
        found = TargetRepository(view).resolve(target)
        assert found.id is not None
        return found, SpectrumRepository(view).for_target(found.id), generation


def spectrum_plot(
    store: Store, target: TargetRef, spectrum_id: int | None = None, *, with_instrument: bool = True
) -> SpectrumPlot:
    """A spectrum of ``target`` ready to draw (the latest unless ``spectrum_id``), labelled by
    date, telescope and (unless told otherwise) instrument."""
    found, record, spectrum = load_spectrum(store, target, spectrum_id)
    parts = [record.date_obs and record.date_obs[:10], record.telescope]
    if with_instrument:
        parts.append(record.instrument)
    label = " ".join(part for part in parts if part)
    return SpectrumPlot(found, record, prepare_spectrum(spectrum, label=label))
