"""The Reductions screen: the raw archive's nights by telescope and the reduction runs.

Enter on a night shows its frames and masters (:class:`NightScreen`), on a frame its detail with
a picture drawn in the terminal (:class:`FrameDetailScreen`), on a run its per-frame outcomes
and log (:class:`RunDetailScreen`). ``s`` reduces the highlighted night, ``t`` every night of its
telescope, ``f`` retries the night's failed frames; the run goes on in a worker with a progress
bar, and the lists reload when it ends (or when any process commits to the store).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from tom_tui.domain.reduction import FrameOutcome, RunRecord, RunSelection, flag_names
from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.formatting import cell
from tom_tui.screens.widgets.run_launcher import RunEnded, RunLauncher
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.reduction.nights import NightSummary, night_summaries

NIGHT_COLUMNS = ("telescope", "night", "frames", "by type", "reduced", "failed")
# The selection last: it can be long, and the counts must stay in view at 80 columns.
RUN_COLUMNS = ("run", "started (UTC)", "done", "failed", "skipped", "took", "selection")


@dataclass
class NightsLoaded(Message):
    nights: list[NightSummary]


@dataclass
class RunsLoaded(Message):
    runs: list[RunRecord]


def number_text(value: float | None, places: int = 2, unit: str = "") -> str:
    """A measured value for a table or a detail line, ``—`` when not measured."""
    return "—" if value is None else f"{value:.{places}f}{unit}"


def flags_text(flags: int) -> str:
    return ", ".join(flag_names(flags))


def status_text(outcome: FrameOutcome | None) -> str:
    """What the latest reduction of a frame did: ``done``, ``failed``, or ``—`` (never reduced)."""
    return "—" if outcome is None else outcome.status.value


def duration_text(record: RunRecord) -> str:
    """How long a run took (``1m05s``), ``running`` while it goes on."""
    if not record.finished:
        return "running"
    try:
        seconds = (
            dt.datetime.fromisoformat(record.finished) - dt.datetime.fromisoformat(record.created)
        ).total_seconds()
    except ValueError:
        return "—"
    minutes, rest = divmod(max(0, round(seconds)), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def started_text(iso: str) -> str:
    return iso[:16].replace("T", " ")


class ReductionsScreen(TomScreen):
    """Nights by telescope, and the runs; a run can be started or retried from here."""

    PALETTE_NAMESPACE = "reductions"
    DEFAULT_CSS = """
    ReductionsScreen #reduction-tabs { height: 1fr; }
    ReductionsScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,o", "open", "Open", id="reductions.open", tooltip="open the night or run"),
        Binding("s", "reduce_night", "Reduce night", id="reductions.night", tooltip="reduce this night"),
        Binding(
            "t",
            "reduce_telescope",
            "Reduce telescope",
            id="reductions.telescope",
            tooltip="reduce every night of this telescope",
        ),
        Binding(
            "f",
            "retry_failed",
            "Retry failed",
            id="reductions.retry",
            tooltip="retry the night's failed frames",
        ),
        Binding(
            "1", "show_tab('nights')", "Nights", show=False, id="reductions.nights", tooltip="show the nights"
        ),
        Binding("2", "show_tab('runs')", "Runs", show=False, id="reductions.runs", tooltip="show the runs"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="reductions.reload", tooltip="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.nights: list[NightSummary] = []
        self.runs: list[RunRecord] = []

    def compose(self) -> ComposeResult:
        yield Static("Reductions", classes="screen-title")
        yield StatusLine("loading…", id="reductions-status", classes="status-line")
        with TabbedContent(id="reduction-tabs"):
            with TabPane("Nights", id="nights"):
                yield DataTable(id="nights-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Runs", id="runs"):
                yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield RunLauncher(id="run-launcher")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#nights-table", DataTable).add_columns(*NIGHT_COLUMNS)
        self.query_one("#runs-table", DataTable).add_columns(*RUN_COLUMNS)
        self.query_one("#nights-table", DataTable).focus()
        self.action_reload()

    # -- loading --
    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="reductions-load", name="load reductions")
    def load(self) -> None:
        from tom_tui.services.reduction.runs import list_runs

        store = self.tom_app.store
        self.post_message(NightsLoaded(night_summaries(store)))
        self.post_message(RunsLoaded(list_runs(store)))

    @on(NightsLoaded)
    def show_nights(self, message: NightsLoaded) -> None:
        self.nights = message.nights
        table = self.query_one("#nights-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for night in self.nights:
            table.add_row(
                cell(night.telescope),
                cell(night.night),
                str(night.frame_count),
                cell(night.types_text()),
                str(night.reduced),
                str(night.failed),
                key=f"{night.telescope}\n{night.night}",
            )
        if self.nights:
            table.move_cursor(row=max(0, min(keep, len(self.nights) - 1)))
        self.show_status()

    @on(RunsLoaded)
    def show_runs(self, message: RunsLoaded) -> None:
        self.runs = message.runs
        table = self.query_one("#runs-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for record in self.runs:
            counts = record.counts
            table.add_row(
                str(record.id),
                cell(started_text(record.created)),
                str(counts["done"]),
                str(counts["failed"]),
                str(counts["skipped"]),
                duration_text(record),
                cell(record.selection.describe()),
                key=str(record.id),
            )
        if self.runs:
            table.move_cursor(row=max(0, min(keep, len(self.runs) - 1)))
        self.show_status()

    def show_status(self) -> None:
        if not self.nights:
            text = "no frames yet: tom-tui frames import DIR (or obs update) brings them in"
        else:
            telescopes = len({night.telescope for night in self.nights})
            text = (
                f"{len(self.nights)} night(s) of {telescopes} telescope(s), {len(self.runs)} run(s)"
                " · Enter opens · s reduces the night · f retries failed"
            )
        self.query_one("#reductions-status", StatusLine).text = text

    def on_store_changed(self, message: StoreChanged) -> None:
        self.load()

    @on(RunEnded)
    def run_ended(self) -> None:
        self.load()

    # -- what is highlighted --
    def on_tab(self) -> str:
        return self.query_one("#reduction-tabs", TabbedContent).active or "nights"

    def current_night(self) -> NightSummary | None:
        table = self.query_one("#nights-table", DataTable)
        row = table.cursor_row
        return self.nights[row] if self.nights and 0 <= row < len(self.nights) else None

    def current_run(self) -> RunRecord | None:
        table = self.query_one("#runs-table", DataTable)
        row = table.cursor_row
        return self.runs[row] if self.runs and 0 <= row < len(self.runs) else None

    # -- actions --
    def action_show_tab(self, tab: str) -> None:
        self.query_one("#reduction-tabs", TabbedContent).active = tab
        self.query_one(f"#{tab}-table", DataTable).focus()

    @on(DataTable.RowSelected)
    def row_chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        from tom_tui.screens.reduction_views import NightScreen, RunDetailScreen

        if self.on_tab() == "runs":
            record = self.current_run()
            if record is not None:
                self.app.push_screen(RunDetailScreen(record.id))
            return
        night = self.current_night()
        if night is not None:
            self.app.push_screen(NightScreen(night.telescope, night.night))

    def selection_here(self, *, whole_telescope: bool = False) -> RunSelection | None:
        """What ``s``, ``t`` and ``f`` reduce: the highlighted night (or its telescope), or on the
        Runs tab what the highlighted run selected."""
        if self.on_tab() == "runs":
            record = self.current_run()
            if record is None:
                return None
            if whole_telescope:
                return RunSelection(telescope=record.selection.telescope)
            return record.selection
        night = self.current_night()
        if night is None:
            return None
        return RunSelection(telescope=night.telescope, night=None if whole_telescope else night.night)

    def action_reduce_night(self) -> None:
        selection = self.selection_here()
        if selection is not None:
            self.query_one(RunLauncher).start(selection)

    def action_reduce_telescope(self) -> None:
        selection = self.selection_here(whole_telescope=True)
        if selection is not None:
            self.query_one(RunLauncher).start(selection)

    def action_retry_failed(self) -> None:
        selection = self.selection_here()
        if selection is not None:
            self.query_one(RunLauncher).start(selection, retry_failed=True)
