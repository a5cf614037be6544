"""The Projects screen: every bulk survey project in the store, how far its runs have come
(RA bins done, sources downloaded, empty and failed, detections), why downloads failed, and the
distribution of light-curve scores, real and injected, as a plot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.formatting import cell, shown
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.projects.results import ProjectOverview, project_overviews

COLUMNS = ("project", "version", "bins", "sources", "downloaded", "empty", "failed", "detections", "last run")


@dataclass
class ProjectsLoaded(Message):
    overviews: list[ProjectOverview]


def overview_row(overview: ProjectOverview) -> list[str]:
    statuses = overview.statuses
    return [
        cell(overview.project),
        cell(overview.version),
        f"{overview.bins_done}/{overview.bins}",
        str(overview.sources),
        str(statuses.get("downloaded", 0) + statuses.get("known", 0)),
        str(statuses.get("empty", 0)),
        str(statuses.get("failed", 0) + statuses.get("pending", 0)),
        str(overview.detections),
        cell(str(overview.last_run.get("finished", "never"))[:16]),
    ]


def detail_text(overview: ProjectOverview) -> str:
    """The stages and the last run's problems, in plain lines."""
    run = overview.last_run
    lines = [
        f"{overview.project} {overview.version}: STORE/{overview.folder}",
        f"download + analysis: {overview.bins_done} of {overview.bins} RA bins done",
        f"last run: {run.get('bins_done', 0)} bins, {run.get('bins_skipped', 0)} already done"
        + (" (cut short)" if run.get("interrupted") else ""),
    ]
    if run.get("stopped"):
        lines.append(f"stopped: {run['stopped']}")
    for reason, count in sorted(run.get("failure_reasons", {}).items(), key=lambda item: -item[1])[:3]:
        lines.append(f"failed {count}×: {reason}")
    return "\n".join(lines)


class ProjectsScreen(TomScreen):
    """Bulk survey projects (``tom-tui project run``) and their results."""

    PALETTE_NAMESPACE = "projects"
    DEFAULT_CSS = """
    ProjectsScreen #projects-table { height: 1fr; }
    ProjectsScreen #projects-lower { height: 2fr; }
    ProjectsScreen #projects-detail { width: 1fr; }
    ProjectsScreen #projects-plot { width: 2fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r,f5", "reload", "Reload", id="projects.reload", tooltip="read the projects again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overviews: list[ProjectOverview] = []

    def compose(self) -> ComposeResult:
        yield Static("Projects", classes="screen-title")
        yield StatusLine("loading…", id="projects-status", classes="status-line")
        table: DataTable[str] = DataTable(id="projects-table", cursor_type="row", zebra_stripes=True)
        yield table
        with Horizontal(id="projects-lower"):
            yield Static("", id="projects-detail")
            yield PlotextPlot(id="projects-plot")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one(DataTable).focus()
        self.action_reload()

    def on_store_changed(self, message: StoreChanged) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="projects-load", name="load projects")
    def load(self) -> None:
        self.post_message(ProjectsLoaded(project_overviews(self.tom_app.store)))

    @on(ProjectsLoaded)
    def show(self, message: ProjectsLoaded) -> None:
        self.overviews = message.overviews
        table = self.query_one(DataTable)
        table.clear()
        for overview in self.overviews:
            table.add_row(*overview_row(overview), key=overview.folder)
        self.query_one("#projects-status", StatusLine).text = (
            f"{len(self.overviews)} project version(s) · ↑↓ picks one"
            if self.overviews
            else "no projects yet: run one with `tom-tui project run FILE` (see the README)"
        )
        self.show_current()

    @on(DataTable.RowHighlighted)
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_current()

    def current(self) -> ProjectOverview | None:
        row = self.query_one(DataTable).cursor_row
        return self.overviews[row] if 0 <= row < len(self.overviews) else None

    def show_current(self) -> None:
        overview = self.current()
        detail = self.query_one("#projects-detail", Static)
        detail.update(shown(detail_text(overview), lines=True) if overview else "")
        plot_widget = self.query_one(PlotextPlot)
        plot: Any = plot_widget.plt
        plot.clear_figure()
        if overview is not None and len(overview.score_edges) > 1:
            centres = [
                (low + high) / 2
                for low, high in zip(overview.score_edges, overview.score_edges[1:], strict=False)
            ]
            plot.plot(centres, overview.score_counts("real"), label="light curves")
            plot.plot(centres, overview.score_counts("injected"), label="with an injected event")
            plot.title("score (peak S/N) of every light curve")
            plot.xlabel("score")
        plot_widget.refresh()
