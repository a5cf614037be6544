"""What the Reductions screen opens: one night (its frames and masters), one frame (its picture,
header, flags and measurements) and one run (its per-frame outcomes and log)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tom_tui.domain.clock import from_mjd
from tom_tui.domain.errors import TomError
from tom_tui.domain.frames import Frame
from tom_tui.domain.reduction import FrameOutcome, MasterUsed, RunRecord, RunSelection, frames_summary
from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.formatting import cell, shown, visible
from tom_tui.screens.reductions import duration_text, flags_text, number_text, started_text, status_text
from tom_tui.screens.widgets.frame_picture import FramePicture
from tom_tui.screens.widgets.run_launcher import RunEnded, RunLauncher
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.reduction.nights import FrameView, NightDetail, frame_view, night_detail
from tom_tui.services.reduction.preview import FramePreview, HeaderCard, PreviewImage, frame_preview

FRAME_COLUMNS = ("id", "UT", "type", "filter", "exp s", "object", "status", "flags")
MASTER_COLUMNS = ("kind", "key", "night", "from frames", "warning")
OUTCOME_COLUMNS = ("frame", "file", "status", "FWHM", "RMS px", "ZP", "flags", "reason")


def time_text(mjd: float | None) -> str:
    return "" if mjd is None else from_mjd(mjd).strftime("%H:%M:%S")


def frame_ids_text(ids: tuple[int, ...]) -> str:
    """``1-3, 7`` for frames 1, 2, 3 and 7."""
    runs: list[list[int]] = []
    for frame_id in sorted(ids):
        if runs and frame_id == runs[-1][-1] + 1:
            runs[-1].append(frame_id)
        else:
            runs.append([frame_id])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class BackScreen(TomScreen):
    """A pushed screen: Escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="reduction.back", tooltip="go back"),
    ]

    def action_back(self) -> None:
        self.app.pop_screen()


# -- a night --
@dataclass
class NightLoaded(Message):
    detail: NightDetail


class NightScreen(BackScreen):
    """One night of one telescope: its frames with the status of their latest reduction, and
    the masters its frames were calibrated with."""

    PALETTE_NAMESPACE = "night"
    DEFAULT_CSS = """
    NightScreen #night-frames { height: 1fr; }
    NightScreen #night-masters { height: 6; }
    NightScreen .section { height: 1; color: $accent; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,o", "open", "Frame", id="night.open", tooltip="show the frame"),
        Binding("s", "reduce", "Reduce", id="night.reduce", tooltip="reduce this night"),
        Binding("f", "retry_failed", "Retry failed", id="night.retry", tooltip="retry the failed frames"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="night.reload", tooltip="reload"),
    ]

    def __init__(self, telescope: str, night: str) -> None:
        super().__init__()
        self.telescope, self.night = telescope, night
        self.detail: NightDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(shown(f"Night {self.night} · {self.telescope}"), classes="screen-title")
        yield StatusLine("loading…", id="night-status", classes="status-line")
        yield DataTable(id="night-frames", cursor_type="row", zebra_stripes=True)
        yield Static("Masters", classes="section")
        yield DataTable(id="night-masters", cursor_type="row")
        yield RunLauncher(id="run-launcher")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#night-frames", DataTable).add_columns(*FRAME_COLUMNS)
        self.query_one("#night-masters", DataTable).add_columns(*MASTER_COLUMNS)
        self.query_one("#night-frames", DataTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="night-load", name="load night")
    def load(self) -> None:
        self.post_message(NightLoaded(night_detail(self.tom_app.store, self.telescope, self.night)))

    @on(NightLoaded)
    def loaded(self, message: NightLoaded) -> None:
        self.detail = detail = message.detail
        table = self.query_one("#night-frames", DataTable)
        keep = table.cursor_row
        table.clear()
        for frame in detail.frames:
            outcome = detail.outcomes.get(frame.id or 0)
            table.add_row(*self.frame_cells(frame, outcome), key=str(frame.id))
        if detail.frames:
            table.move_cursor(row=max(0, min(keep, len(detail.frames) - 1)))
        self.show_masters(detail.masters)
        self.query_one("#night-status", StatusLine).text = (
            f"{len(detail.frames)} frame(s), "
            f"{frames_summary(list(detail.outcomes.values())) if detail.outcomes else 'none reduced yet'}"
            " · Enter shows a frame · s reduces · f retries failed"
        )

    @staticmethod
    def frame_cells(frame: Frame, outcome: FrameOutcome | None) -> list[str]:
        return [
            str(frame.id),
            time_text(frame.mjd),
            cell(frame.image_type.value),
            cell(frame.band or ""),
            number_text(frame.exposure_s, 1),
            cell(frame.object_name),
            status_text(outcome),
            flags_text(outcome.flags) if outcome else "",
        ]

    def show_masters(self, masters: list[MasterUsed]) -> None:
        table = self.query_one("#night-masters", DataTable)
        table.clear()
        for master in masters:
            table.add_row(
                cell(master.kind),
                cell(master.key),
                cell(master.night),
                frame_ids_text(master.source_frame_ids),
                cell(master.warning or ""),
            )

    def current(self) -> Frame | None:
        frames = self.detail.frames if self.detail else []
        row = self.query_one("#night-frames", DataTable).cursor_row
        return frames[row] if frames and 0 <= row < len(frames) else None

    @on(DataTable.RowSelected, "#night-frames")
    def row_chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        frame = self.current()
        if frame is not None and frame.id is not None:
            self.app.push_screen(FrameDetailScreen(frame.id))

    def action_reduce(self) -> None:
        self.query_one(RunLauncher).start(RunSelection(telescope=self.telescope, night=self.night))

    def action_retry_failed(self) -> None:
        selection = RunSelection(telescope=self.telescope, night=self.night)
        self.query_one(RunLauncher).start(selection, retry_failed=True)

    @on(RunEnded)
    def run_ended(self) -> None:
        self.load()

    def on_store_changed(self, message: StoreChanged) -> None:
        self.load()


# -- a frame --
@dataclass
class FrameLoaded(Message):
    view: FrameView


@dataclass
class PreviewLoaded(Message):
    preview: FramePreview
    cells: tuple[int, int]


def frame_facts(view: FrameView) -> Table:
    """The frame's description and what its latest reduction measured, as label/value lines."""
    frame, outcome = view.detail.frame, view.outcome
    facts = Table(show_header=False, box=None, padding=(0, 1, 0, 0))
    facts.add_column("what", style="bold", no_wrap=True)
    facts.add_column("value", overflow="fold")  # a long path wraps rather than losing its end
    facts.add_row("File", shown(frame.path))
    facts.add_row(
        "Type", shown(frame.image_type.value + (f" ({frame.unknown_reason})" if frame.unknown_reason else ""))
    )
    facts.add_row("Filter", shown(frame.band or "none"))
    facts.add_row("Exposure", number_text(frame.exposure_s, 1, " s"))
    facts.add_row("Object", shown(frame.object_name or "—"))
    facts.add_row("Start", f"{time_text(frame.mjd)} UT" if frame.mjd is not None else "—")
    facts.add_row("MJD", number_text(frame.mjd, 5))
    facts.add_row("Size", "×".join(str(n) for n in frame.size) if frame.size else "—")
    if outcome is None:
        facts.add_row("Reduced", "not yet")
        return facts
    facts.add_row("Reduced", shown(f"{outcome.status.value} (run {outcome.run_id})"))
    facts.add_row("FWHM", number_text(outcome.fwhm_px, 2, " px"))
    facts.add_row("Astrom. RMS", number_text(outcome.astrometric_rms_px, 3, " px"))
    zero_point = number_text(outcome.zero_point, 3)
    if outcome.zero_point_error is not None:
        zero_point += f" ± {outcome.zero_point_error:.3f}"
    facts.add_row("Zero point", zero_point)
    facts.add_row("Stars", "—" if outcome.star_count is None else str(outcome.star_count))
    facts.add_row("On light curves", str(outcome.measurements))
    facts.add_row("Flags", shown(flags_text(outcome.flags) or "none"))
    for reason in outcome.reasons:
        facts.add_row("", shown(reason))
    return facts


def scale_text(image: PreviewImage) -> Text:
    """What the grey levels of a picture mean: the zscale limits and the pixels per cell."""
    return Text(
        f"zscale {image.low:.6g} … {image.high:.6g}, 1 cell pixel = {image.block}×{image.block}", style="dim"
    )


def header_table(file: str, cards: Sequence[HeaderCard]) -> Table:
    """Every header card of the file shown; stored text, so made visible."""
    table = Table(
        title=f"Header of {file_name(file)}",
        title_justify="left",
        show_header=False,
        box=None,
        padding=(0, 1, 0, 0),
    )
    table.add_column("keyword", style="bold", no_wrap=True)
    table.add_column("value / comment", overflow="fold")
    for card in cards:
        value = Text(visible(card.value))
        if card.comment:
            value.append(f" / {visible(card.comment)}", style="dim")
        table.add_row(shown(card.keyword), value)
    return table


class FrameDetailScreen(BackScreen):
    """One frame: its picture (zscale, drawn with half blocks), what the reduction measured, and
    its whole header (scroll with the arrows, PgUp/PgDn)."""

    PALETTE_NAMESPACE = "frame"
    DEFAULT_CSS = """
    FrameDetailScreen #frame-body { height: 1fr; }
    FrameDetailScreen #frame-picture { width: 1fr; height: 1fr; }
    FrameDetailScreen #frame-side { width: 1fr; height: 1fr; padding: 0 1; }
    FrameDetailScreen #frame-facts, FrameDetailScreen #frame-header { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "v", "toggle_reduced", "Raw/reduced", id="frame.reduced", tooltip="show the raw or reduced frame"
        ),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="frame.reload", tooltip="reload"),
    ]

    def __init__(self, frame_id: int) -> None:
        super().__init__()
        self.frame_id = frame_id
        self.view: FrameView | None = None
        self.preview: FramePreview | None = None
        self.reduced = False

    def compose(self) -> ComposeResult:
        yield Static(f"Frame {self.frame_id}", id="frame-title", classes="screen-title", markup=False)
        with Horizontal(id="frame-body"):
            yield FramePicture(id="frame-picture")
            with VerticalScroll(id="frame-side"):
                yield Static("loading…", id="frame-facts")
                yield Static("", id="frame-header")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#frame-side", VerticalScroll).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()
        self.draw(*self.query_one(FramePicture).cells)

    @work(thread=True, exclusive=True, group="frame-load", name="load frame")
    def load(self) -> None:
        self.post_message(FrameLoaded(frame_view(self.tom_app.store, self.frame_id)))

    @on(FrameLoaded)
    def loaded(self, message: FrameLoaded) -> None:
        self.view = message.view
        frame = message.view.detail.frame
        what = "reduced" if self.reduced else "raw"
        self.query_one("#frame-title", Static).update(
            shown(f"Frame {self.frame_id} · {frame.original_name or file_name(frame.path)} · {what}")
        )
        self.query_one("#frame-facts", Static).update(frame_facts(message.view))

    @on(FramePicture.Resized)
    def picture_resized(self, message: FramePicture.Resized) -> None:
        self.draw(message.columns, message.rows)

    def draw(self, columns: int, rows: int) -> None:
        if columns > 0 and rows > 0:
            self.load_preview(columns, rows, self.reduced)

    @work(thread=True, exclusive=True, group="frame-preview", name="draw frame")
    def load_preview(self, columns: int, rows: int, reduced: bool) -> None:
        try:
            preview = frame_preview(self.tom_app.store, self.frame_id, columns, rows, reduced=reduced)
        except TomError as error:
            # Said in place of the picture too; the app shows the error like every worker's.
            self.app.call_from_thread(self.query_one(FramePicture).show_text, str(error))
            raise
        self.post_message(PreviewLoaded(preview, (columns, rows)))

    @on(PreviewLoaded)
    def preview_loaded(self, message: PreviewLoaded) -> None:
        picture = self.query_one(FramePicture)
        if message.cells != picture.cells or message.preview.reduced != self.reduced:
            return  # drawn for a size or a file no longer asked for
        self.preview = message.preview
        picture.show(message.preview.image)
        header = header_table(message.preview.file, message.preview.header)
        scale = scale_text(message.preview.image)
        self.query_one("#frame-header", Static).update(Group(scale, Text(""), header))

    def action_toggle_reduced(self) -> None:
        outcome = self.view.outcome if self.view else None
        if not self.reduced and (outcome is None or not outcome.reduced_path):
            self.notify(
                "this frame has no reduced frame yet: reduce its night first",
                title="Frame",
                severity="warning",
            )
            return
        self.reduced = not self.reduced
        if self.view is not None:
            self.loaded(FrameLoaded(self.view))
        self.draw(*self.query_one(FramePicture).cells)

    def on_store_changed(self, message: StoreChanged) -> None:
        self.load()


# -- a run --
@dataclass
class RunLoaded(Message):
    record: RunRecord


class RunDetailScreen(BackScreen):
    """One run: what happened to each frame (with the first reason), and its log."""

    PALETTE_NAMESPACE = "run"
    DEFAULT_CSS = """
    RunDetailScreen #run-outcomes { height: 1fr; }
    RunDetailScreen #run-log-scroll { height: 7; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,o", "open", "Frame", id="run.open", tooltip="show the frame"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False, id="run.reload", tooltip="reload"),
    ]

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id
        self.record: RunRecord | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Run {self.run_id}", id="run-title", classes="screen-title", markup=False)
        yield StatusLine("loading…", id="run-status", classes="status-line")
        yield DataTable(id="run-outcomes", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="run-log-scroll"):
            yield Static("", id="run-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#run-outcomes", DataTable).add_columns(*OUTCOME_COLUMNS)
        self.query_one("#run-outcomes", DataTable).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="run-load", name="load run")
    def load(self) -> None:
        from tom_tui.services.reduction.runs import run_detail

        self.post_message(RunLoaded(run_detail(self.tom_app.store, self.run_id)))

    @on(RunLoaded)
    def loaded(self, message: RunLoaded) -> None:
        self.record = record = message.record
        self.query_one("#run-title", Static).update(
            shown(f"Run {record.id} · {record.selection.describe()} · {duration_text(record)}")
        )
        self.query_one("#run-status", StatusLine).text = (
            f"started {started_text(record.created)} · {frames_summary(record.outcomes)} · "
            f"{record.scheduler}, {record.workers} worker(s) · configuration {record.config_hash}"
        )
        table = self.query_one("#run-outcomes", DataTable)
        keep = table.cursor_row
        table.clear()
        for outcome in record.outcomes:
            table.add_row(*self.outcome_cells(outcome), key=str(outcome.frame_id))
        if record.outcomes:
            table.move_cursor(row=max(0, min(keep, len(record.outcomes) - 1)))
        self.query_one("#run-log", Static).update(shown("\n".join(record.log), lines=True))
        # The newest lines matter most (how it ended): shown first, older ones above.
        self.query_one("#run-log-scroll", VerticalScroll).scroll_end(animate=False)

    @staticmethod
    def outcome_cells(outcome: FrameOutcome) -> list[Any]:
        return [
            str(outcome.frame_id),
            cell(file_name(outcome.raw_path)),
            outcome.status.value,
            number_text(outcome.fwhm_px, 2),
            number_text(outcome.astrometric_rms_px, 3),
            number_text(outcome.zero_point, 3),
            flags_text(outcome.flags),
            cell(outcome.reasons[0] if outcome.reasons else ""),
        ]

    @on(DataTable.RowSelected, "#run-outcomes")
    def row_chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        outcomes = self.record.outcomes if self.record else []
        row = self.query_one("#run-outcomes", DataTable).cursor_row
        if outcomes and 0 <= row < len(outcomes):
            self.app.push_screen(FrameDetailScreen(outcomes[row].frame_id))

    def on_store_changed(self, message: StoreChanged) -> None:
        self.load()
