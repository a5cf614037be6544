"""Plots ready to draw: a target's light curve and its spectra, for `tom-tui plot` and the TUI tabs.

Each call reads what the plot needs in one store read and thins it (see
``tom_tui.processing.plots``), so the caller only declares the plot. Drawing and saving are
re-exported here so that the CLI and the screens need nothing below the services.
"""

from __future__ import annotations

from dataclasses import dataclass

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
) -> LightCurve:
    """The light curve of ``target``: magnitudes (or flux in µJy), limits apart, at most
    ~``max_points`` points. An empty light curve is not an error (the TUI shows a hint)."""
    generation = store.generation()
    with store.read() as view:
        found = TargetRepository(view).resolve(target)
        assert found.id is not None
        points = target_photometry(view, found.id, filters, since_mjd, columns=PLOT_COLUMNS)
    return LightCurve(found, prepare_lightcurve(points, flux=flux, max_points=max_points), generation)


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
