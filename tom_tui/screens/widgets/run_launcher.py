"""Starting a reduction run from a screen and watching it: the run goes in a thread worker, its
progress comes back through ``call_from_thread`` to a progress bar, and the widget posts
:class:`RunEnded` when it is over (the screens reload then). A failure reaches the app's one
error handler like every worker's; the bar is hidden again either way."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tom_tui.domain.reduction import RunRecord, RunSelection, frames_summary
from tom_tui.screens.formatting import shown
from tom_tui.services.session import Store

if TYPE_CHECKING:
    from tom_tui.services.reduction.runs import RunProgress


@dataclass
class RunEnded(Message):
    """A run started here is over: its record, or None when it stopped on an error (reported)."""

    record: RunRecord | None


def progress_text(progress: RunProgress) -> str:
    """``run 3 · frames 2/4 · science1.fits done`` (what the line above the bar says)."""
    text = f"run {progress.run_id} · {progress.stage} {progress.done}/{progress.total}"
    if progress.outcome is not None:
        name = progress.outcome.raw_path.rsplit("/", 1)[-1]
        text += f" · {name} {progress.outcome.status.value}"
    return text


class RunLauncher(Widget):
    """A progress line and bar, shown while a run this widget started goes on."""

    DEFAULT_CSS = """
    RunLauncher { height: auto; display: none; padding: 0 1; background: $panel; }
    RunLauncher.-running { display: block; }
    RunLauncher #run-progress-text { height: 1; color: $text-muted; }
    RunLauncher ProgressBar { height: 1; }
    """
    # Worker processes cannot be started from inside the TUI (starting one needs the file
    # descriptor of stderr, which Textual replaces while it runs), so the TUI reduces in its own
    # process, in a thread; or on the running Dask cluster that `[reduction] scheduler` names in
    # tom-tui.toml. `tom-tui reduce run` uses every core.
    reduction_workers: ClassVar[int | None] = 1

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.running = False
        self.last_progress: RunProgress | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="run-progress-text", markup=False)
        yield ProgressBar(show_eta=False, id="run-progress-bar")

    def start(self, selection: RunSelection, *, retry_failed: bool = False) -> bool:
        """Start reducing ``selection`` (only its failed frames again with ``retry_failed``);
        False when a run started here is still going."""
        if self.running:
            self.notify("a reduction run started here is still going", title="Reductions", severity="warning")
            return False
        self.running = True
        self.last_progress = None
        self.add_class("-running")
        what = "retrying failed frames of" if retry_failed else "reducing"
        self.query_one("#run-progress-text", Static).update(shown(f"{what} {selection.describe()}…"))
        self.query_one(ProgressBar).update(total=None, progress=0)
        store: Store = self.app.store  # type: ignore[attr-defined]
        scheduler = store.config.get("reduction", {}).get("scheduler") or None
        self._run(self.app, store, selection, retry_failed, scheduler)
        return True

    def _run(
        self, app: App[Any], store: Store, selection: RunSelection, retry_failed: bool, scheduler: str | None
    ) -> None:
        def report(progress: RunProgress) -> None:
            if get_current_worker().is_cancelled:
                return
            # The app may have closed meanwhile: the run goes on without a bar to feed.
            with contextlib.suppress(RuntimeError):
                app.call_from_thread(self.progressed, progress)

        def reduce() -> RunRecord:
            # Imported here: the reduction stages load astropy and photutils, which opening the
            # screen does not need.
            from tom_tui.services.reduction.runs import start_run

            return start_run(
                store,
                selection,
                retry_failed=retry_failed,
                scheduler=scheduler,
                workers=self.reduction_workers,
                progress=report,
            )

        self.run_worker(reduce, thread=True, exclusive=False, group="reduction-run", name="reduction run")

    def progressed(self, progress: RunProgress) -> None:
        if not self.is_attached:
            return
        self.last_progress = progress
        self.query_one("#run-progress-text", Static).update(shown(progress_text(progress)))
        self.query_one(ProgressBar).update(total=max(progress.total, 1), progress=progress.done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "reduction-run" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.running = False
        self.remove_class("-running")
        record = event.worker.result if event.state is WorkerState.SUCCESS else None
        if isinstance(record, RunRecord):
            self.notify(
                f"run {record.id}: {frames_summary(record.outcomes)}",
                title="Reductions",
                severity="error" if record.failed else "information",
            )
        self.post_message(RunEnded(record if isinstance(record, RunRecord) else None))
