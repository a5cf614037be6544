"""The observations screen: every request, filtered by status, facility and target; request,
cancel, poll now, and look at a request's history and data.

Reading and polling run in thread workers through :class:`ObservationService`; status changes
seen on reload (made here, by ``obs update`` or by a cron job) pop up as notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static

from tom_tui.domain.errors import NotFoundError, TomError, ValidationError
from tom_tui.domain.observations import ObservationRecord
from tom_tui.domain.text import has_control
from tom_tui.screens.base import StoreChanged, TomModal, TomScreen
from tom_tui.screens.formatting import cell, shown
from tom_tui.screens.options_form import OptionsForm
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.data import products as data_service
from tom_tui.services.observations.requests import ObservationService, UpdateSummary

STATUS_FILTERS = ("all", "open", "completed", "failed")
COLUMNS = ("id", "target", "facility", "status", "scheduled (UTC)", "data")


@dataclass
class ObservationsLoaded(Message):
    records: list[ObservationRecord]


@dataclass
class ObservationDataLoaded(Message):
    """The lines saying where a request's data products are, ready to show."""

    text: str


@dataclass
class ObservationsPolled(Message):
    summary: UpdateSummary


def matches(record: ObservationRecord, status: str, facility: str | None, text: str) -> bool:
    if status == "open" and not record.is_open:
        return False
    if status == "completed" and record.status != "COMPLETED":
        return False
    if status == "failed" and not record.failed:
        return False
    if facility and record.facility != facility:
        return False
    return not text or text.lower() in record.target_name.lower()


def request_target(record: ObservationRecord | None) -> str:
    """What the request form starts with: the selected request's target by name, or by id when
    its stored name holds control characters (the form field could not show it as it is)."""
    if record is None:
        return ""
    return f"#{record.target_id}" if has_control(record.target_name) else record.target_name


class ObservationsScreen(TomScreen):
    """All observation requests. Enter shows one; n requests a new one."""

    PALETTE_NAMESPACE = "observations"
    DEFAULT_CSS = """
    ObservationsScreen #observations-table { height: 1fr; }
    ObservationsScreen #observations-filter { border: none; height: 1; padding: 0; width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_request", "Request", id="observations.request", tooltip="request an observation"),
        Binding("c", "cancel_request", "Cancel", id="observations.cancel", tooltip="cancel the request"),
        Binding("u", "poll", "Update", id="observations.update", tooltip="poll the facilities now"),
        Binding("f", "cycle_status", "Status", id="observations.status", tooltip="filter by status"),
        Binding("a", "pick_facility", "Facility", id="observations.facility", tooltip="filter by facility"),
        Binding("slash", "focus_filter", "Filter", id="observations.filter", tooltip="filter by target"),
        Binding("x", "clear_filters", "Clear", id="observations.clear", tooltip="clear all filters"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="observations.reload", tooltip="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[ObservationRecord] = []
        self.status_filter = "all"
        self.facility_filter: str | None = None
        self.loaded = False

    @property
    def service(self) -> ObservationService:
        return ObservationService(self.tom_app.store)

    def compose(self) -> ComposeResult:
        yield Static("Observations", classes="screen-title")
        with Horizontal(id="filter-bar"):
            yield Label("/ ", id="filter-label")
            yield TomInput(placeholder="target name", id="observations-filter")
        yield StatusLine("loading…", id="observations-summary", classes="status-line")
        table: DataTable[str] = DataTable(id="observations-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load()

    # -- loading --
    @work(thread=True, exclusive=True, group="observations-load", name="load observations")
    def load(self) -> None:
        self.post_message(ObservationsLoaded(self.service.records()))

    @on(ObservationsLoaded)
    def loaded_records(self, message: ObservationsLoaded) -> None:
        before = {record.id: record.status for record in self.records}
        if self.loaded:
            for record in message.records:
                old = before.get(record.id)
                if old is not None and old != record.status:
                    self.notify(
                        f"{record.target_name} at {record.facility}: {old} → {record.status}",
                        title=f"Observation {record.id}",
                    )
        self.records = message.records
        self.loaded = True
        self.refill()

    def refill(self) -> None:
        table = self.query_one(DataTable)
        text = self.query_one("#observations-filter", Input).value.strip()
        shown = [r for r in self.records if matches(r, self.status_filter, self.facility_filter, text)]
        keep = table.cursor_row
        table.clear()
        for record in reversed(shown):  # newest first
            start = (record.scheduled_start or "")[:16].replace("T", " ")
            table.add_row(
                str(record.id),
                cell(record.target_name),
                cell(record.facility),
                cell(record.status),
                cell(start),
                str(len(record.data_products)),
                key=str(record.id),
            )
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1))
        facility = self.facility_filter or "all facilities"
        self.query_one(
            "#observations-summary", StatusLine
        ).text = f"{len(shown)} of {len(self.records)} requests · status: {self.status_filter} · {facility}"

    def on_store_changed(self, message: StoreChanged) -> None:
        self.load()

    @on(Input.Changed, "#observations-filter")
    def filter_changed(self) -> None:
        self.refill()

    @on(Input.Submitted, "#observations-filter")
    def filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def selected(self) -> ObservationRecord | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.records if str(r.id) == key), None)

    # -- actions --
    def action_reload(self) -> None:
        self.load()

    def action_focus_filter(self) -> None:
        self.query_one("#observations-filter", Input).focus()

    def action_cycle_status(self) -> None:
        position = STATUS_FILTERS.index(self.status_filter)
        self.status_filter = STATUS_FILTERS[(position + 1) % len(STATUS_FILTERS)]
        self.refill()

    def action_clear_filters(self) -> None:
        self.status_filter, self.facility_filter = "all", None
        self.query_one("#observations-filter", Input).value = ""
        self.refill()

    def action_pick_facility(self) -> None:
        from tom_tui.screens.dialogs import OptionPicker
        from tom_tui.services.plugins import FACILITIES, plugin_names

        options = [("", "all facilities"), *((name, name) for name in plugin_names(FACILITIES))]

        def chosen(name: str | None) -> None:
            if name is not None:
                self.facility_filter = name or None
                self.refill()

        self.app.push_screen(OptionPicker("Facility", options), chosen)

    def action_new_request(self) -> None:
        record = self.selected()

        def submitted(_: int | None) -> None:
            self.load()

        self.app.push_screen(RequestFormScreen(request_target(record)), submitted)

    @on(DataTable.RowSelected)
    def show(self, event: DataTable.RowSelected) -> None:
        record = self.selected()
        if record is not None:
            self.app.push_screen(ObservationDetailScreen(record))

    def action_cancel_request(self) -> None:
        from tom_tui.screens.dialogs import ConfirmScreen

        record = self.selected()
        if record is None or record.terminal:
            self.notify("choose a request that has not finished", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel_worker(record.id)

        self.app.push_screen(
            ConfirmScreen(f"Cancel observation {record.id} of {record.target_name}?", "Cancel it"), answered
        )

    @work(thread=True, exclusive=True, group="observations-write", name="cancel observation")
    def cancel_worker(self, record_id: int) -> None:
        self.service.cancel(record_id)
        self.load()

    def action_poll(self) -> None:
        self.query_one("#observations-summary", StatusLine).text = "polling the facilities…"
        self.poll_worker()

    @work(thread=True, exclusive=True, group="observations-poll", name="poll facilities")
    def poll_worker(self) -> None:
        self.post_message(ObservationsPolled(self.service.update()))

    @on(ObservationsPolled)
    def polled(self, message: ObservationsPolled) -> None:
        summary = message.summary
        for error in summary.errors:
            self.notify(error, severity="warning", timeout=8)
        self.notify(
            f"polled {summary.polled}, {len(summary.notices)} changed, {summary.downloaded} file(s) fetched"
        )
        self.load()


class ObservationDetailScreen(TomModal):
    """One request: parameters, status history, and where its data are in the store."""

    PALETTE_NAMESPACE = "observation"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close", id="observation.close")]

    def __init__(self, record: ObservationRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        record = self.record
        lines = [
            f"{record.target_name} at {record.facility} ({record.facility_id})",
            f"status {record.status}" + (f"   last error: {record.last_error}" if record.last_error else ""),
            f"scheduled {record.scheduled_start or '-'} → {record.scheduled_end or '-'}",
            "",
            "parameters:",
            *(f"  {key} = {value}" for key, value in record.parameters.items() if value is not None),
            "",
            "history:",
            *(f"  {change.time}  {change.status}  {change.detail}" for change in record.history),
            "",
            "data:",
        ]
        with Vertical(id="observation-detail", classes="dialog"):
            yield Static(f"Observation {record.id}   (Esc closes)", classes="dialog-title")
            with VerticalScroll():
                # A facility's messages, errors and parameters are text from outside.
                yield Static(shown("\n".join(lines), lines=True), id="observation-text")
                yield Static("  loading…", markup=False, id="observation-data")

    def on_mount(self) -> None:
        self.load_data_lines()

    @work(thread=True, exclusive=True, group="observation-data", exit_on_error=False, name="load frames")
    def load_data_lines(self) -> None:
        """Where each of the request's data products is in the store (read off the event loop)."""
        store = self.tom_app.store
        lines = []
        for product_id in self.record.data_products:
            try:
                product = data_service.get_product(store, product_id)
            except TomError:
                continue  # deleted since the request recorded it
            details = product.details
            path = data_service.product_file(store, product)
            lines.append(f"  {details.get('imagetyp', ''):<6} {details.get('filter', ''):<5} {path}")
        self.post_message(
            ObservationDataLoaded("\n".join(lines) if self.record.data_products else "  none yet")
        )

    @on(ObservationDataLoaded)
    def data_loaded(self, message: ObservationDataLoaded) -> None:
        # File names and FITS header values (IMAGETYP, FILTER): text from outside.
        self.query_one("#observation-data", Static).update(shown(message.text, lines=True))


class RequestFormScreen(TomModal):
    """Request an observation. The fields are the chosen facility's declared options; every
    problem validation finds is shown under its field. Dismisses with the new record's id."""

    PALETTE_NAMESPACE = "request"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Submit", id="request.submit"),
        Binding("escape", "cancel", "Cancel", id="request.cancel"),
    ]

    def __init__(self, target_ref: str = "") -> None:
        super().__init__()
        self.target_ref = target_ref
        self.facility_shown: str | None = None

    def compose(self) -> ComposeResult:
        from tom_tui.services.plugins import FACILITIES, plugin_names

        default = ObservationService(self.tom_app.store).default_facility
        names = list(plugin_names(FACILITIES))
        with Vertical(id="target-form", classes="dialog"):
            yield Static("Request an observation   (ctrl+s submits, Esc cancels)", classes="dialog-title")
            yield Static("", id="form-error", classes="field-error", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("target", classes="field-label")
                yield TomInput(self.target_ref, placeholder="name, alias or #id", id="field-target")
            yield Static("", id="error-target", classes="field-error", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("facility", classes="field-label")
                yield Select(
                    [(n, n) for n in names],
                    value=default if default in names else names[0],
                    allow_blank=False,
                    id="field-facility",
                    compact=True,
                )
            yield VerticalScroll(id="form-fields")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Submit (ctrl+s)", id="form-save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="form-cancel", compact=True)

    async def on_mount(self) -> None:
        await self.build_fields(str(self.query_one("#field-facility", Select).value))
        self.query_one("#field-target", Input).focus()

    @on(Select.Changed, "#field-facility")
    async def facility_changed(self, event: Select.Changed) -> None:
        await self.build_fields(str(event.value))

    async def build_fields(self, facility_name: str) -> None:
        if facility_name == self.facility_shown:
            return
        self.facility_shown = facility_name
        container = self.query_one("#form-fields", VerticalScroll)
        await container.remove_children()
        options = ObservationService(self.tom_app.store).facility(facility_name).options
        await container.mount(OptionsForm(options))

    def show_problems(self, problems: list[str]) -> None:
        for error in self.query(".field-error"):
            assert isinstance(error, Static)
            error.update("")
            error.remove_class("-shown")
        general: list[str] = []
        for problem in self.query_one(OptionsForm).show_problems(problems):
            name, _, text = problem.partition(":")
            if name.strip() == "target":
                widget = self.query_one("#error-target", Static)
                widget.update(shown(text.strip(), lines=True))
                widget.add_class("-shown")
            else:
                general.append(problem)
        if general:
            form_error = self.query_one("#form-error", Static)
            form_error.update(shown("\n".join(general), lines=True))
            form_error.add_class("-shown")

    @on(Button.Pressed, "#form-save")
    def action_submit(self) -> None:
        raw = self.query_one(OptionsForm).raw_values()
        target = self.query_one("#field-target", Input).value.strip()
        facility = str(self.query_one("#field-facility", Select).value)
        if not target:
            self.show_problems(["target: missing; give a name, alias or #id"])
            return
        self.submit_worker(target, facility, raw)

    @on(Button.Pressed, "#form-cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="request-submit", name="submit request")
    def submit_worker(self, target: str, facility: str, raw: dict[str, Any]) -> None:
        try:
            record = ObservationService(self.tom_app.store).request(target, facility, raw)
        except ValidationError as error:
            self.app.call_from_thread(self.show_problems, error.problems)
            return
        except NotFoundError as error:
            self.app.call_from_thread(self.show_problems, [f"target: {error}"])
            return
        except TomError as error:
            self.app.call_from_thread(self.show_problems, [f"request: {error}"])
            return
        self.app.call_from_thread(self.dismiss, record.id)
