"""Target detail tabs for data: the light curve, spectra, and data products.

Each panel is a widget taking ``target_id`` (see ``registry.TARGET_TABS``). Loading and plot
preparation (reading Parquet, thinning to a few thousand points) run in thread workers that post
past-tense messages; the event loop only declares the plot. Panels reload when the store's
generation changes (a cron job or another process added data).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from tom_tui.domain.dataproducts import DataProduct, SpectrumRecord
from tom_tui.screens.formatting import cell, shown, visible
from tom_tui.screens.upload_dialog import UploadDialog
from tom_tui.services.data import products as data_service
from tom_tui.services.data.upload_options import upload_file
from tom_tui.services.photometry import flags, lightcurve
from tom_tui.services.photometry.flags import PointSelection
from tom_tui.services.photometry.lightcurve import MAX_PLOT_POINTS, LightCurveData, SpectrumPlotData
from tom_tui.services.session import Store

STORE_POLL_SECONDS = 2.0


# A plot's labels are band names and units read from files and FITS headers. Plotext writes them
# into its drawing, which reaches the terminal with its colour codes: they are made visible first.
def light_curve_labels_visible(data: LightCurveData) -> LightCurveData:
    series = [dataclasses.replace(item, band=visible(item.band)) for item in data.series]
    return dataclasses.replace(data, series=series)


def spectrum_labels_visible(data: SpectrumPlotData) -> SpectrumPlotData:
    return dataclasses.replace(
        data,
        label=visible(data.label),
        wavelength_unit=visible(data.wavelength_unit),
        flux_unit=None if data.flux_unit is None else visible(data.flux_unit),
    )


class StoreWatchingPanel(Widget):
    """A tab's panel that reloads when any process commits to the store (one small file read per
    poll). Its one-line status (a Static with class ``panel-status``) sits above what it shows."""

    DEFAULT_CSS = """
    StoreWatchingPanel { height: 1fr; }
    StoreWatchingPanel .panel-status { height: 1; color: $text-muted; }
    """
    can_focus = True

    def __init__(self, target_id: int) -> None:
        super().__init__()
        self.target_id = target_id
        self.seen_generation = -1

    @property
    def store(self) -> Store:
        """The app's store, remembered on first use: workers may finish after this panel left."""
        store = self.__dict__.get("_store")
        if store is None:
            store = self.__dict__["_store"] = self.app.store  # type: ignore[attr-defined]
        assert isinstance(store, Store)
        return store

    def on_mount(self) -> None:
        assert self.store is not None  # remembered now, on the app's thread
        self.set_interval(STORE_POLL_SECONDS, self._check_store, name="data tab store poll")
        self.reload()

    def _check_store(self) -> None:
        generation = self.store.generation()
        if generation != self.seen_generation:
            self.reload()

    def reload(self) -> None:
        raise NotImplementedError


# -- light curve --
@dataclass
class LightCurvePrepared(Message):
    data: LightCurveData
    generation: int


class LightCurvePanel(StoreWatchingPanel):
    """The target's light curve: magnitudes (inverted axis) or flux, ▽ for upper limits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_flux", "Flux/mag", id="lightcurve.flux", tooltip="plot flux or magnitude"),
        Binding(
            "t", "toggle_dates", "Dates/MJD", id="lightcurve.dates", tooltip="label time as dates or MJD"
        ),
        Binding(
            "b", "flag", "Flag bad", id="lightcurve.flag", tooltip="flag the points of a time range as bad"
        ),
        Binding("n", "unflag", "Unflag", id="lightcurve.unflag", tooltip="unflag the points of a time range"),
        Binding(
            "v",
            "toggle_flagged",
            "Show flagged",
            id="lightcurve.flagged",
            tooltip="show or hide flagged points",
        ),
    ]

    def __init__(self, target_id: int) -> None:
        super().__init__(target_id)
        self.flux = False
        self.dates = False
        self.show_flagged = False
        self.data: LightCurveData | None = None

    def compose(self) -> ComposeResult:
        yield Static("loading photometry…", id="lightcurve-status", classes="panel-status", markup=False)
        yield PlotextPlot(id="lightcurve-plot")

    def reload(self) -> None:
        self._prepare(self.flux, self.point_budget())

    def point_budget(self) -> int:
        # A terminal cell holds one marker: ~12 points per column keeps every bin's extremes
        # visible while plotext stays fast (its cost grows with points, not with the data).
        return max(600, min(MAX_PLOT_POINTS, 12 * max(self.size.width, 80)))

    @work(thread=True, exclusive=True, group="lightcurve", exit_on_error=False, name="prepare light curve")
    def _prepare(self, flux: bool, point_budget: int) -> None:
        curve = lightcurve.lightcurve_of(
            self.store, self.target_id, flux=flux, max_points=point_budget, show_flagged=self.show_flagged
        )
        self.post_message(LightCurvePrepared(curve.data, curve.generation))

    @on(LightCurvePrepared)
    def prepared(self, message: LightCurvePrepared) -> None:
        self.seen_generation = message.generation
        self.data = light_curve_labels_visible(message.data)
        self.draw()

    def draw(self) -> None:
        data = self.data
        if data is None:
            return
        status = self.query_one("#lightcurve-status", Static)
        plot = self.query_one(PlotextPlot)
        plot.plt.clear_figure()
        if data.total_points == 0:
            status.update(
                "No photometry yet: upload with `tom-tui data upload TARGET FILE --type photometry`."
            )
            plot.refresh()
            return
        bands = ", ".join(series.label for series in data.series)
        note = f" · {data.notes[0]}" if data.notes else ""
        keys = "f flux/mag, t dates, b flag, n unflag, v show flagged"
        status.update(shown(f"{data.total_points} points in {bands}{note}  ({keys})"))
        lightcurve.draw_lightcurve(plot.plt, data, dates=self.dates)
        plot.refresh()

    def action_toggle_flux(self) -> None:
        self.flux = not self.flux
        self._prepare(self.flux, self.point_budget())

    def action_toggle_dates(self) -> None:
        self.dates = not self.dates
        self.draw()

    def action_toggle_flagged(self) -> None:
        self.show_flagged = not self.show_flagged
        self.reload()

    def action_flag(self, unflag: bool = False) -> None:
        from tom_tui.screens.flag_dialog import FlagDialog

        x_range = None if self.data is None else self.data.x_range
        self.app.push_screen(FlagDialog(unflag, x_range), lambda choice: self._chosen(choice, unflag))

    def action_unflag(self) -> None:
        self.action_flag(unflag=True)

    def _chosen(self, choice: tuple[PointSelection, str] | None, unflag: bool) -> None:
        if choice is not None:
            self._change_flags(*choice, unflag)

    @work(thread=True, exclusive=True, group="lightcurve-flags", exit_on_error=False, name="flag points")
    def _change_flags(self, selection: PointSelection, reason: str, unflag: bool) -> None:
        if unflag:
            report = flags.unflag_points(self.store, self.target_id, selection)
            text = f"{report.changed} points unflagged"
        else:
            report = flags.flag_points(self.store, self.target_id, selection, reason)
            text = f"{report.changed} points flagged as bad"
        self.app.call_from_thread(self.app.notify, text, title="Light curve")
        self.app.call_from_thread(self.reload)


# -- spectra --
@dataclass
class SpectraLoaded(Message):
    records: list[SpectrumRecord]
    shown: SpectrumPlotData | None
    index: int
    generation: int


class SpectrumPanel(StoreWatchingPanel):
    """One spectrum at a time; [ and ] step through the target's spectra."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left_square_bracket,comma",
            "step(-1)",
            "Previous",
            id="spectrum.previous",
            tooltip="previous spectrum",
        ),
        Binding(
            "right_square_bracket,full_stop", "step(1)", "Next", id="spectrum.next", tooltip="next spectrum"
        ),
    ]

    def __init__(self, target_id: int) -> None:
        super().__init__(target_id)
        self.index = -1  # the latest
        self.records: list[SpectrumRecord] = []

    def compose(self) -> ComposeResult:
        yield Static("loading spectra…", id="spectrum-status", classes="panel-status", markup=False)
        yield PlotextPlot(id="spectrum-plot")

    def reload(self) -> None:
        self._load(self.index)

    @work(thread=True, exclusive=True, group="spectrum", exit_on_error=False, name="load spectrum")
    def _load(self, index: int) -> None:
        _target, records, generation = lightcurve.spectrum_records(self.store, self.target_id)
        shown = None
        if records:
            index = index % len(records)
            plot = lightcurve.spectrum_plot(
                self.store, self.target_id, records[index].id, with_instrument=False
            )
            shown = plot.data
        self.post_message(SpectraLoaded(records, shown, index, generation))

    @on(SpectraLoaded)
    def loaded(self, message: SpectraLoaded) -> None:
        self.seen_generation = message.generation
        self.records = message.records
        self.index = message.index
        status = self.query_one("#spectrum-status", Static)
        plot = self.query_one(PlotextPlot)
        plot.plt.clear_figure()
        if message.shown is None:
            status.update(
                "No spectra yet: upload with `tom-tui data upload TARGET FILE --type spectroscopy`."
            )
        else:
            record = self.records[self.index]
            # DATE-OBS is a FITS header value: text from outside.
            status.update(
                shown(
                    f"spectrum {self.index + 1} of {len(self.records)} (id {record.id}, "
                    f"{record.points} points, {record.date_obs or 'date unknown'})  ([ ] to step)"
                )
            )
            lightcurve.draw_spectrum(plot.plt, spectrum_labels_visible(message.shown))
        plot.refresh()

    def action_step(self, step: int) -> None:
        if self.records:
            self._load((self.index + step) % len(self.records))


# -- data products --
@dataclass
class ProductsLoaded(Message):
    products: list[DataProduct]
    generation: int


@dataclass
class DataChanged(Message):
    text: str


PRODUCT_COLUMNS = ("id", "type", "file", "bytes", "created", "photometry/spectrum")


class DataProductsPanel(StoreWatchingPanel):
    """The target's data products: u uploads a file, d deletes one, z undoes its photometry."""

    DEFAULT_CSS = """
    DataProductsPanel DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "upload", "Upload", id="data.upload", tooltip="upload a file to this target"),
        Binding("x,delete", "delete_product", "Delete", id="data.delete", tooltip="delete the data product"),
        Binding("z", "undo_upload", "Undo", id="data.undo", tooltip="undo the product's photometry upload"),
    ]

    def __init__(self, target_id: int) -> None:
        super().__init__(target_id)
        self.products: list[DataProduct] = []

    def compose(self) -> ComposeResult:
        yield Static("loading data products…", id="products-status", markup=False)
        table: DataTable[str] = DataTable(id="products-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*PRODUCT_COLUMNS)
        super().on_mount()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="products", exit_on_error=False, name="load data products")
    def _load(self) -> None:
        store = self.store
        generation = store.generation()
        self.post_message(ProductsLoaded(data_service.list_products(store, self.target_id), generation))

    @on(ProductsLoaded)
    def loaded(self, message: ProductsLoaded) -> None:
        self.seen_generation = message.generation
        self.products = message.products
        table = self.query_one(DataTable)
        table.clear()
        for product in message.products:
            brought = (
                f"upload {product.upload_id}"
                if product.upload_id is not None
                else f"spectrum {product.spectrum_id}"
                if product.spectrum_id is not None
                else ""
            )
            table.add_row(
                str(product.id),
                cell(product.type),
                cell(product.original_name),
                str(product.size),
                cell(product.created[:16].replace("T", " ")),
                brought,
                key=str(product.id),
            )
        count = len(message.products)
        self.query_one("#products-status", Static).update(
            f"{count} data product{'s' if count != 1 else ''}  (u upload, x delete, z undo photometry)"
        )

    def selected(self) -> DataProduct | None:
        table = self.query_one(DataTable)
        if not self.products or table.cursor_row < 0 or table.cursor_row >= len(self.products):
            return None
        return self.products[table.cursor_row]

    def action_upload(self) -> None:
        self.app.push_screen(UploadDialog(), self._upload_chosen)

    def _upload_chosen(self, choice: tuple[str, dict[str, Any]] | None) -> None:
        if choice is not None:
            self._upload(*choice)

    @work(thread=True, exclusive=True, group="products-change", exit_on_error=False, name="upload data")
    def _upload(self, path: str, options: dict[str, Any]) -> None:
        outcome = upload_file(self.store, self.target_id, Path(path).expanduser(), options)
        added = f", {outcome.ingest.added} points" if outcome.ingest is not None else ""
        self.post_message(DataChanged(f"data product {outcome.product.id} added{added}"))

    def action_delete_product(self) -> None:
        product = self.selected()
        if product is None:
            return
        from tom_tui.screens.dialogs import ConfirmScreen

        question = f"Delete data product {product.id} ({product.original_name}) and the data it brought?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(product.id)

        self.app.push_screen(ConfirmScreen(question, "Delete"), answered)

    @work(
        thread=True, exclusive=True, group="products-change", exit_on_error=False, name="delete data product"
    )
    def _delete(self, product_id: int) -> None:
        product = data_service.delete_product(self.store, product_id)
        self.post_message(DataChanged(f"data product {product.id} deleted"))

    def action_undo_upload(self) -> None:
        product = self.selected()
        if product is None or product.upload_id is None:
            self.app.notify("this data product brought no photometry to undo", severity="warning")
            return
        self._undo(product.upload_id)

    @work(thread=True, exclusive=True, group="products-change", exit_on_error=False, name="undo upload")
    def _undo(self, upload_id: int) -> None:
        upload = data_service.undo_photometry_upload(self.store, upload_id)
        self.post_message(DataChanged(f"upload {upload.id} undone: {upload.rows} points removed"))

    @on(DataChanged)
    def changed(self, message: DataChanged) -> None:
        self.app.notify(message.text, title="Data")
        self.reload()
