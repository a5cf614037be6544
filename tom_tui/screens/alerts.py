"""The Alerts screen: pick a broker, fill its query form (one field per declared option), see the
results arrive from a worker, inspect one, select some and import them as targets with their
light curves.

The query runs in a thread worker that posts :class:`AlertsFetched` batches; ``c`` cancels it (a
request already on the wire finishes, but its results are dropped). Import runs in another worker
through :class:`tom_tui.services.alerts.brokers.BrokerService`, the same code as
``tom-tui broker import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tom_tui.domain.errors import ValidationError
from tom_tui.screens.base import TomModal, TomScreen, user_text
from tom_tui.screens.formatting import cell, shown
from tom_tui.screens.options_form import OptionsForm
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.alerts.brokers import BrokerService, GenericAlert, IngestReport, broker_names

COLUMNS = ("✓", "id", "name", "RA", "Dec", "mag", "class", "MJD")
BATCH = 25


@dataclass
class AlertsFetched(Message):
    """A batch of results of query number ``query``; ``done`` on the last one."""

    query: int
    alerts: list[GenericAlert]
    done: bool


@dataclass
class AlertsImported(Message):
    report: IngestReport


class AlertsScreen(TomScreen):
    """Query a broker and import what it answers."""

    PALETTE_NAMESPACE = "alerts"
    DEFAULT_CSS = """
    AlertsScreen #alerts-bar { height: 1; padding: 0 1; }
    AlertsScreen #alerts-bar Label { width: auto; padding: 0 1 0 0; color: $text-muted; }
    AlertsScreen #alerts-bar Select { width: 28; }
    AlertsScreen #alerts-form { height: auto; max-height: 8; padding: 0 1; }
    AlertsScreen #alerts-table { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r,f5", "query", "Query", id="alerts.query", tooltip="run the query"),
        Binding("c", "cancel_query", "Cancel", id="alerts.cancel", tooltip="cancel the running query"),
        Binding(
            "space", "toggle_selected", "Select", id="alerts.select", tooltip="select or unselect a result"
        ),
        Binding("a", "select_all", "All", show=False, id="alerts.all", tooltip="select every result"),
        Binding("i", "import_selected", "Import", id="alerts.import", tooltip="import the selected results"),
        Binding("b", "focus_broker", "Broker", id="alerts.broker", tooltip="choose the broker"),
        Binding("f", "focus_form", "Form", show=False, id="alerts.form", tooltip="go to the query form"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.brokers: BrokerService | None = None
        self.broker_name: str | None = None
        self.results: list[GenericAlert] = []
        self.selected: set[str] = set()
        self.query_number = 0
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("Alerts", classes="screen-title")
        names = list(broker_names())
        with Horizontal(id="alerts-bar"):
            yield Label("broker")
            yield Select(
                [(n, n) for n in names],
                # The simulated broker works offline; real brokers are one keypress away.
                value="simulated" if "simulated" in names else (names[0] if names else Select.BLANK),
                allow_blank=False,
                id="alerts-broker",
                compact=True,
            )
        yield VerticalScroll(id="alerts-form")
        yield StatusLine("fill the form, then ctrl+r queries", id="alerts-status", classes="status-line")
        table: DataTable[str] = DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        await self.use_broker(str(self.query_one("#alerts-broker", Select).value))

    @property
    def broker_label(self) -> str:
        if self.brokers is None or self.broker_name is None:
            return ""
        return self.brokers.broker(self.broker_name).label

    async def use_broker(self, name: str) -> None:
        if self.brokers is None:
            self.brokers = BrokerService(self.tom_app.store)
        self.broker_name = name
        container = self.query_one("#alerts-form", VerticalScroll)
        await container.remove_children()
        # Empty fields mean the broker's default (shown as the hint), as a left-out flag does.
        await container.mount(
            OptionsForm(
                self.brokers.options(name), field_prefix="opt-", error_prefix="opt-error-", prefill=False
            )
        )

    @on(Select.Changed, "#alerts-broker")
    async def broker_changed(self, event: Select.Changed) -> None:
        await self.use_broker(str(event.value))
        self.clear_results(f"{self.broker_label}: fill the form, then ctrl+r queries")

    def form_values(self) -> dict[str, Any]:
        """The query options: typed, defaults filled in (raises ValidationError naming each problem)."""
        return self.query_one(OptionsForm).values()

    def clear_results(self, status: str) -> None:
        self.results, self.selected = [], set()
        self.query_one(DataTable).clear()
        self.query_one("#alerts-status", StatusLine).text = status

    # -- query --
    def action_query(self) -> None:
        if self.brokers is None or self.broker_name is None:
            return
        try:
            options = self.form_values()
        except ValidationError as error:
            self.tom_app.report_error(error, "query form")
            return
        self.query_number += 1
        self.running = True
        self.clear_results(f"querying {self.broker_label}… (c cancels)")
        self.run_query(self.brokers, self.broker_name, self.query_number, options)
        self.query_one(DataTable).focus()

    @work(thread=True, exclusive=True, group="alerts-query", name="query broker")
    def run_query(self, brokers: BrokerService, name: str, number: int, options: dict[str, Any]) -> None:
        worker = get_current_worker()
        alerts = brokers.query(name, options)
        for start in range(0, len(alerts), BATCH):
            if worker.is_cancelled:
                return
            self.post_message(
                AlertsFetched(number, alerts[start : start + BATCH], start + BATCH >= len(alerts))
            )
        if not alerts:
            self.post_message(AlertsFetched(number, [], True))

    def action_cancel_query(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "alerts-query")
            self.query_number += 1  # results still on their way belong to the cancelled query
            self.running = False
            self.query_one(
                "#alerts-status", StatusLine
            ).text = f"cancelled; {len(self.results)} result(s) kept"

    @on(AlertsFetched)
    def show_results(self, message: AlertsFetched) -> None:
        if message.query != self.query_number:
            return
        table = self.query_one(DataTable)
        for alert in message.alerts:
            self.results.append(alert)
            table.add_row(*self.cells(alert), key=alert.id)
        if message.done:
            self.running = False
        state = "" if message.done else " (more coming; c cancels)"
        self.query_one(
            "#alerts-status", StatusLine
        ).text = f"{len(self.results)} result(s){state} · space selects · i imports · Enter shows one"

    def cells(self, alert: GenericAlert) -> tuple[str, ...]:
        return (
            "✓" if alert.id in self.selected else " ",
            cell(alert.id),
            cell(alert.name),
            "" if alert.ra is None else f"{alert.ra:.5f}",
            "" if alert.dec is None else f"{alert.dec:+.5f}",
            "" if alert.mag is None else f"{alert.mag:.2f}",
            cell(alert.classification or ""),
            "" if alert.mjd is None else f"{alert.mjd:.3f}",
        )

    # -- selection and import --
    def current(self) -> GenericAlert | None:
        table = self.query_one(DataTable)
        if not self.results or table.cursor_row < 0 or table.cursor_row >= len(self.results):
            return None
        return self.results[table.cursor_row]

    def action_toggle_selected(self) -> None:
        alert = self.current()
        if alert is None:
            return
        self.selected.symmetric_difference_update({alert.id})
        table = self.query_one(DataTable)
        table.update_cell(alert.id, table.ordered_columns[0].key, "✓" if alert.id in self.selected else " ")
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def action_select_all(self) -> None:
        table = self.query_one(DataTable)
        self.selected = {alert.id for alert in self.results}
        for alert in self.results:
            table.update_cell(alert.id, table.ordered_columns[0].key, "✓")

    def action_import_selected(self) -> None:
        chosen = [alert for alert in self.results if alert.id in self.selected]
        if not chosen or self.brokers is None or self.broker_name is None:
            self.notify("select results with space first (a selects all)", severity="warning")
            return
        self.query_one("#alerts-status", StatusLine).text = f"importing {len(chosen)} result(s)…"
        self.import_alerts(self.brokers, self.broker_name, chosen)

    @work(thread=True, exclusive=True, group="alerts-import", name="import alerts")
    def import_alerts(self, brokers: BrokerService, name: str, alerts: list[GenericAlert]) -> None:
        self.post_message(AlertsImported(brokers.import_alerts(name, alerts)))

    @on(AlertsImported)
    def imported(self, message: AlertsImported) -> None:
        report = message.report
        text = (
            f"imported: {report.created} target(s) created, {report.updated} updated, "
            f"{report.photometry_stored} photometry point(s)"
        )
        self.query_one("#alerts-status", StatusLine).text = text
        self.notify(text, title="Alerts")

    # -- inspect --
    @on(DataTable.RowSelected)
    def inspect(self, event: DataTable.RowSelected) -> None:
        alert = self.current()
        if alert is not None:
            self.app.push_screen(AlertDetail(alert))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.running = False
            self.query_one(
                "#alerts-status", StatusLine
            ).text = f"{event.worker.name} failed: {user_text(event.worker.error)}"

    def action_focus_broker(self) -> None:
        self.query_one("#alerts-broker", Select).focus()

    def action_focus_form(self) -> None:
        self.query_one(OptionsForm).focus_first()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_query()


class AlertDetail(TomModal):
    """Every field of one result, as the broker sent it."""

    PALETTE_NAMESPACE = "alert"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close", id="alert.close")]
    DEFAULT_CSS = """
    AlertDetail #alert-dialog { width: 90%; height: 90%; }
    """

    def __init__(self, alert: GenericAlert) -> None:
        super().__init__()
        self.alert = alert

    def compose(self) -> ComposeResult:
        summary = orjson.dumps(self.alert.to_json(), option=orjson.OPT_INDENT_2).decode()
        raw = orjson.dumps(
            self.alert.raw, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
        ).decode()
        with Vertical(id="alert-dialog", classes="dialog"):
            yield Static(
                shown(f"{self.alert.name} ({self.alert.broker})   Esc closes"), classes="dialog-title"
            )
            with VerticalScroll():
                # JSON escapes control characters in strings; shown guards the rest of the text.
                yield Static(shown(summary, lines=True), id="alert-summary")
                yield Static(shown(raw, lines=True), id="alert-raw")
