"""The Jobs screen: every job of the store with its schedule, last run, status and counts; open a
job's log, or run it now (in a worker, through the same runner as ``tom-tui jobs run``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tom_tui.domain.errors import TomError
from tom_tui.domain.jobs import JobRun
from tom_tui.screens.base import StoreChanged, TomModal, TomScreen
from tom_tui.screens.formatting import cell, shown
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.jobs.scheduler import JobService

COLUMNS = ("job", "kind", "schedule", "last run", "status", "counts", "next due")


@dataclass
class JobsLoaded(Message):
    rows: list[dict[str, Any]]


@dataclass
class JobFinished(Message):
    name: str
    run: JobRun | None


def counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


class JobsScreen(TomScreen):
    """Scheduled jobs ([[jobs]] in tom-tui.toml) and what their last runs did."""

    PALETTE_NAMESPACE = "jobs"
    DEFAULT_CSS = """
    JobsScreen #jobs-table { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_job", "Run now", id="jobs.run", tooltip="run the highlighted job now"),
        Binding("l,enter", "open_log", "Log", id="jobs.log", tooltip="show the job's last runs"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="jobs.reload", tooltip="reload the jobs"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static("Jobs", classes="screen-title")
        yield StatusLine("loading…", id="jobs-status", classes="status-line")
        table: DataTable[str] = DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one(DataTable).focus()
        self.action_reload()

    def on_store_changed(self, message: StoreChanged) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="jobs-load", name="load jobs")
    def load(self) -> None:
        self.post_message(JobsLoaded(JobService(self.tom_app.store).status()))

    @on(JobsLoaded)
    def show(self, message: JobsLoaded) -> None:
        self.rows = message.rows
        table = self.query_one(DataTable)
        row_before = table.cursor_row
        table.clear()
        for row in self.rows:
            last = row["last_run"] or {}
            table.add_row(
                cell(row["name"]),
                cell(row["kind"]),
                cell(row["schedule"]),
                cell((last.get("started") or "never")[:16]),
                cell(last.get("status", "-")),
                cell(counts_text(last.get("counts") or {})),
                cell(row["next_due"][:16]),
                key=row["name"],
            )
        if self.rows:
            table.move_cursor(row=max(0, min(row_before, len(self.rows) - 1)))
        failed = sum(1 for r in self.rows if (r["last_run"] or {}).get("status") in {"failed", "timeout"})
        self.query_one("#jobs-status", StatusLine).text = (
            f"{len(self.rows)} job(s), {failed} failed last time · r runs now · l shows the log"
            if self.rows
            else "no jobs: declare [[jobs]] in tom-tui.toml (see the README)"
        )

    def current(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return str(self.rows[table.cursor_row]["name"])

    def action_run_job(self) -> None:
        name = self.current()
        if name is None:
            return
        self.query_one("#jobs-status", StatusLine).text = f"running {name}…"
        self.run_now(name)

    @work(thread=True, group="jobs-run", name="run job")
    def run_now(self, name: str) -> None:
        service = JobService(self.tom_app.store)
        self.post_message(JobFinished(name, service.run(service.job(name), trigger="manual")))

    @on(JobFinished)
    def finished(self, message: JobFinished) -> None:
        if message.run is None:
            self.tom_app.report_error(TomError(f"job {message.name!r} is already running elsewhere"), "jobs")
        else:
            self.notify(
                f"{message.name}: {message.run.status} {counts_text(message.run.counts)}",
                title="Jobs",
                severity="error" if message.run.failed else "information",
            )
        self.action_reload()

    def action_open_log(self) -> None:
        name = self.current()
        if name is not None:
            self.app.push_screen(JobLog(name, JobService(self.tom_app.store).runs(name, 5)))


class JobLog(TomModal):
    """The last runs of one job: status, counts, log and traceback."""

    PALETTE_NAMESPACE = "job-log"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close", id="job-log.close")]
    DEFAULT_CSS = """
    JobLog #job-log-dialog { width: 95%; height: 90%; }
    """

    def __init__(self, name: str, runs: list[JobRun]) -> None:
        super().__init__()
        self.job_name, self.runs = name, runs

    def compose(self) -> ComposeResult:
        parts = []
        for run in reversed(self.runs):
            parts.append(
                f"== run {run.run_id} ({run.trigger}) {run.started} → {run.ended}: {run.status} "
                f"{counts_text(run.counts)}"
            )
            if run.error:
                parts.append(f"error: {run.error}")
            parts.append(run.log.rstrip())
            if run.traceback:
                parts.append(run.traceback.rstrip())
        with Vertical(id="job-log-dialog", classes="dialog"):
            yield Static(
                shown(f"{self.job_name}: last {len(self.runs)} run(s)   Esc closes"), classes="dialog-title"
            )
            with VerticalScroll():
                # A job's log holds what its commands and servers printed: text from outside.
                yield Static(shown("\n".join(parts) or "never run", lines=True), id="job-log-text")
