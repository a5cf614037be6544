"""The Data products screen: every product of every target in one fast table (only the rows on
screen are drawn), filtered by type and target name and sorted by date, size or target.

``Enter`` opens a product: a photometry file shows its target's light curve, a spectrum its plot,
anything else its FITS header with a picture of the image. ``u`` uploads a file (to the target
under the cursor unless another is typed), ``x`` deletes a product after asking, ``z`` takes a
photometry product's points back out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import Mount
from textual.message import Message
from textual.widgets import Footer, Input, Static

from tom_tui.domain.errors import TomError
from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.dialogs import ConfirmScreen
from tom_tui.screens.formatting import shown
from tom_tui.screens.reduction_views import header_table, scale_text
from tom_tui.screens.target_data import LightCurvePanel, SpectrumPanel
from tom_tui.screens.upload_dialog import UploadDialog
from tom_tui.screens.widgets.frame_picture import FramePicture
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.screens.widgets.target_table import TableColumn, TargetTable
from tom_tui.services.data import products as data_service
from tom_tui.services.data.upload_options import upload_file
from tom_tui.services.photometry.lightcurve import spectrum_records
from tom_tui.services.plugins import PROCESSORS, plugin_names

SORTS = tuple(data_service.PRODUCT_SORTS)


def size_text(size: int | None) -> str:
    """``532 B``, ``10.0 kB``, ``3.4 MB`` (powers of 1000, as file managers show them)."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} B"
    scaled = size / 1000
    for unit in ("kB", "MB"):
        if scaled < 1000:
            return f"{scaled:.1f} {unit}"
        scaled /= 1000
    return f"{scaled:.1f} GB"


def _number(value: int | str | None) -> str:
    return "" if value is None else str(value)


PRODUCT_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("", "Id", 5, lambda row: str(row["id"]), align_right=True),
    TableColumn("", "Type", 11, lambda row: row["type"] or ""),
    TableColumn("target", "Target", 15, lambda row: row["target"] or ""),
    TableColumn("created", "Date", 16, lambda row: (row["created"] or "")[:16].replace("T", " ")),
    TableColumn("size", "Size", 8, lambda row: size_text(row["size"]), align_right=True),
    TableColumn("", "Source", 7, lambda row: row["source"] or ""),
    TableColumn("", "Obs", 5, lambda row: _number(row["observation_id"]), align_right=True),
    TableColumn("", "Run", 4, lambda row: _number(row["run"]), align_right=True),
    TableColumn("", "File", 30, lambda row: row["file"] or ""),
)
NEEDED_COLUMNS = tuple(data_service.PRODUCT_SCHEMA.names)


@dataclass
class ProductsListed(Message):
    table: pa.Table
    generation: int


@dataclass
class ProductsChanged(Message):
    text: str


@dataclass
class ProductOpened(Message):
    row: dict[str, Any]
    spectrum_index: int  # the spectrum's place among its target's spectra (-1: the latest)


class DataProductsScreen(TomScreen):
    """Every data product of the store; see the module docstring for the keys."""

    PALETTE_NAMESPACE = "data"
    DEFAULT_CSS = """
    DataProductsScreen #products-filter-row { height: 1; }
    DataProductsScreen #products-filter { width: 1fr; height: 1; border: none; padding: 0 1; }
    DataProductsScreen #products-table { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Target", id="products.filter", tooltip="filter by target name"),
        Binding("t", "next_type", "Type", id="products.type", tooltip="show the next type of product"),
        Binding("s", "next_sort", "Sort", id="products.sort", tooltip="sort by date, size or target"),
        Binding("r", "reverse", "Reverse", show=False, id="products.reverse", tooltip="reverse the order"),
        Binding("u", "upload", "Upload", id="products.upload", tooltip="upload a file to a target"),
        Binding("x,delete", "delete", "Delete", id="products.delete", tooltip="delete the product (asks)"),
        Binding("z", "undo", "Undo", id="products.undo", tooltip="undo the product's photometry points"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="products.reload", tooltip="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data_type: str | None = None
        self.sort = "date"
        self.descending = True
        self.target_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Data products", classes="screen-title")
        with Horizontal(id="products-filter-row"):
            yield TomInput(placeholder="/ target name contains…", id="products-filter")
        yield StatusLine("loading…", id="products-status")
        yield TargetTable(id="products-table")
        yield Footer()

    @on(Mount)
    def started(self) -> None:
        table = self.query_one("#products-table", TargetTable)
        table.set_columns(PRODUCT_COLUMNS, NEEDED_COLUMNS)
        table.set_sort(data_service.PRODUCT_SORTS[self.sort], self.descending)
        table.focus()
        self.action_reload()

    @property
    def table(self) -> TargetTable:
        return self.query_one("#products-table", TargetTable)

    # -- listing --
    def action_reload(self) -> None:
        self.list_products(self.data_type, self.target_text, self.sort, self.descending)

    @work(thread=True, exclusive=True, group="products", name="list data products")
    def list_products(self, data_type: str | None, target_text: str, sort: str, descending: bool) -> None:
        store = self.tom_app.store
        generation = store.generation()
        table = data_service.product_table(
            store, data_type=data_type, target_text=target_text, sort=sort, descending=descending
        )
        self.post_message(ProductsListed(table, generation))

    @on(ProductsListed)
    def listed(self, message: ProductsListed) -> None:
        table = self.table
        table.set_rows(message.table, keep_target_id=table.cursor_target_id)
        table.set_sort(data_service.PRODUCT_SORTS[self.sort], self.descending)
        count = message.table.num_rows
        what = self.data_type or "all types"
        order = f"{self.sort} {'↓' if self.descending else '↑'}"
        name = f" · target ~ {self.target_text!r}" if self.target_text else ""
        self.query_one("#products-status", StatusLine).text = (
            f"{count} product{'s' if count != 1 else ''} · {what}{name} · by {order}  "
            "(t type, s sort, / target, Enter open)"
        )

    @on(StoreChanged)
    def store_changed(self) -> None:
        self.action_reload()

    def action_focus_filter(self) -> None:
        self.query_one("#products-filter", TomInput).focus()

    @on(Input.Changed, "#products-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.target_text = event.value
        self.action_reload()

    @on(Input.Submitted, "#products-filter")
    def filter_done(self) -> None:
        self.table.focus()

    def action_next_type(self) -> None:
        choices: list[str | None] = [None, *plugin_names(PROCESSORS)]  # every type a file can have
        self.data_type = choices[(choices.index(self.data_type) + 1) % len(choices)]
        self.action_reload()

    def action_next_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = self.sort != "target"  # newest, largest first; names A to Z
        self.action_reload()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.action_reload()

    def selected(self) -> dict[str, Any] | None:
        table = self.table
        if not table.row_count:
            return None
        return table.row_values(table.cursor_row)

    # -- opening --
    @on(TargetTable.Opened)
    def open_product(self, message: TargetTable.Opened) -> None:
        self.find_spectrum(self.table.row_values(message.row))

    @work(thread=True, exclusive=True, group="product-open", name="open data product")
    def find_spectrum(self, row: dict[str, Any]) -> None:
        index = -1
        if row["spectrum_id"] is not None:
            _target, records, _generation = spectrum_records(self.tom_app.store, row["target_id"])
            ids = [record.id for record in records]
            index = ids.index(row["spectrum_id"]) if row["spectrum_id"] in ids else -1
        self.post_message(ProductOpened(row, index))

    @on(ProductOpened)
    def opened(self, message: ProductOpened) -> None:
        self.app.push_screen(ProductScreen(message.row, message.spectrum_index))

    # -- changing --
    def action_upload(self) -> None:
        row = self.selected()
        dialog = ProductUploadDialog(row["target"] if row else "")

        def chosen(choice: tuple[str, dict[str, Any]] | None) -> None:
            if choice is not None:
                self.upload(dialog.target_ref, *choice)

        self.app.push_screen(dialog, chosen)

    @work(thread=True, exclusive=True, group="products-change", name="upload data")
    def upload(self, target_ref: str, path: str, options: dict[str, Any]) -> None:
        outcome = upload_file(self.tom_app.store, target_ref, Path(path).expanduser(), options)
        added = f", {outcome.ingest.added} points" if outcome.ingest is not None else ""
        self.post_message(
            ProductsChanged(f"data product {outcome.product.id} added to {outcome.target.name}{added}")
        )

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            return
        question = (
            f"Delete data product {row['id']} ({row['file']}) of {row['target']} and the data it brought?"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(row["id"])

        self.app.push_screen(ConfirmScreen(question, "Delete"), answered)

    @work(thread=True, exclusive=True, group="products-change", name="delete data product")
    def delete(self, product_id: int) -> None:
        product = data_service.delete_product(self.tom_app.store, product_id)
        self.post_message(ProductsChanged(f"data product {product.id} deleted"))

    def action_undo(self) -> None:
        row = self.selected()
        if row is None or row["upload_id"] is None:
            self.notify("this data product brought no photometry to undo", severity="warning")
            return
        self.undo(row["upload_id"])

    @work(thread=True, exclusive=True, group="products-change", name="undo upload")
    def undo(self, upload_id: int) -> None:
        upload = data_service.undo_photometry_upload(self.tom_app.store, upload_id)
        self.post_message(ProductsChanged(f"upload {upload.id} undone: {upload.rows} points removed"))

    @on(ProductsChanged)
    def changed(self, message: ProductsChanged) -> None:
        self.notify(shown(message.text).plain, title="Data")
        self.action_reload()


class ProductUploadDialog(UploadDialog):
    """The upload dialog with the target to upload to, filled in with the one under the cursor."""

    def __init__(self, target_ref: str) -> None:
        super().__init__()
        self.target_ref = target_ref

    def on_mount(self) -> None:
        field = TomInput(self.target_ref, placeholder="target: name, alias or #id", id="upload-target")
        self.query_one("#upload-dialog").mount(field, before="#upload-path")
        super().on_mount()

    @on(Input.Changed, "#upload-target")
    def target_changed(self, event: Input.Changed) -> None:
        self.target_ref = event.value.strip()


@dataclass
class ProductPreviewed(Message):
    preview: data_service.ProductPreview | None
    cells: tuple[int, int]
    problem: str | None = None


class ProductScreen(TomScreen):
    """One data product: its light curve, its spectrum, or its FITS header and picture."""

    PALETTE_NAMESPACE = "product"
    DEFAULT_CSS = """
    ProductScreen #product-body { height: 1fr; }
    ProductScreen #product-picture { width: 1fr; height: 1fr; }
    ProductScreen #product-side { width: 1fr; height: 1fr; padding: 0 1; }
    ProductScreen #product-header { height: auto; }
    ProductScreen .product-note { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="product.back", tooltip="back to the products"),
    ]

    def __init__(self, row: dict[str, Any], spectrum_index: int = -1) -> None:
        super().__init__()
        self.row = row
        self.spectrum_index = spectrum_index
        self.preview: data_service.ProductPreview | None = None

    @property
    def kind(self) -> str:
        if self.row["upload_id"] is not None or self.row["type"] == "photometry":
            return "photometry"
        if self.row["spectrum_id"] is not None or self.row["type"] == "spectroscopy":
            return "spectrum"
        return "fits"

    def compose(self) -> ComposeResult:
        row = self.row
        title = f"Data product {row['id']} · {row['type']} · {row['target']} · {row['file']}"
        yield Static(shown(title), classes="screen-title", id="product-title")
        if self.kind == "photometry":
            upload = "undone" if row["upload_id"] is None else f"upload {row['upload_id']}"
            note = f"{row['target']}'s whole light curve; this file's points: {upload}"
            yield Static(shown(note), classes="product-note")
            yield LightCurvePanel(row["target_id"])
        elif self.kind == "spectrum":
            panel = SpectrumPanel(row["target_id"])
            panel.index = self.spectrum_index
            yield panel
        else:
            with Horizontal(id="product-body"):
                yield FramePicture(id="product-picture")
                with VerticalScroll(id="product-side"):
                    yield Static("reading the header…", id="product-header", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        panels = self.query("LightCurvePanel, SpectrumPanel, #product-side")
        if panels:
            panels.first().focus()

    @on(FramePicture.Resized)
    def picture_resized(self, message: FramePicture.Resized) -> None:
        self.draw(message.columns, message.rows)

    @work(thread=True, exclusive=True, group="product-preview", name="draw data product")
    def draw(self, columns: int, rows: int) -> None:
        try:
            preview = data_service.product_preview(self.tom_app.store, self.row["id"], columns, rows)
        except TomError as error:  # not a FITS image: said in place, the rest of the screen stays
            self.post_message(ProductPreviewed(None, (columns, rows), str(error)))
            return
        self.post_message(ProductPreviewed(preview, (columns, rows)))

    @on(ProductPreviewed)
    def previewed(self, message: ProductPreviewed) -> None:
        picture = self.query_one(FramePicture)
        header = self.query_one("#product-header", Static)
        if message.preview is None:
            picture.show_text(message.problem or "no picture")
            header.update(shown(f"No FITS image to show: {message.problem}", lines=True))
            return
        if message.cells != picture.cells:
            return  # drawn for a size no longer asked for
        self.preview = message.preview
        picture.show(message.preview.image)
        cards = header_table(message.preview.product.original_name, message.preview.header)
        header.update(Group(scale_text(message.preview.image), Text(""), cards))

    def action_back(self) -> None:
        self.app.pop_screen()
