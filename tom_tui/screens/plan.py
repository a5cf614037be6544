"""The night plan: every target of a list for one night at one site, most observable first, and
the altitude track of the highlighted target with the twilights and the Moon.

The plan is computed in a thread worker by :func:`tom_tui.services.observations.planning.plan_list` (the same
code as ``tom-tui plan``); ``[`` and ``]`` move a night back and forth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual_plotext import PlotextPlot

from tom_tui.domain.target import TargetRef
from tom_tui.screens.base import StoreChanged, TomModal, TomScreen
from tom_tui.screens.formatting import cell, shown
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.observations.planning import (
    NightPlan,
    Track,
    draw_track,
    plan_list,
    target_track_for,
    track_note,
)

COLUMNS = ("target", "rise", "set", "best", "airmass", "hours", "moon°")
ALL_TARGETS = ""  # the list "name" that stands for every target of the store
ALL_TARGETS_LABEL = "all targets"
MOST_ROWS = 1000  # a planned store shows its best targets; the CLI's --json has them all


def hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "-"


@dataclass
class PlanComputed(Message):
    plan: NightPlan


class PlanScreen(TomScreen):
    """Which targets of a list to observe tonight, and when."""

    PALETTE_NAMESPACE = "plan"
    DEFAULT_CSS = """
    PlanScreen #plan-table { height: 1fr; }
    PlanScreen #plan-bar { height: 1; padding: 0 1; }
    PlanScreen #plan-bar Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    PlanScreen #plan-bar Label { width: auto; padding: 0 1 0 0; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "pick_list", "List", id="plan.list", tooltip="choose the target list"),
        Binding(
            "left_square_bracket", "shift_night(-1)", "Night −", id="plan.previous", tooltip="previous night"
        ),
        Binding("right_square_bracket", "shift_night(1)", "Night +", id="plan.next", tooltip="next night"),
        Binding("s", "focus_site", "Site", id="plan.site", tooltip="change the site"),
        Binding("ctrl+r,f5", "compute", "Recompute", show=False, id="plan.recompute", tooltip="recompute"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.list_name: str | None = None  # ALL_TARGETS plans the whole store
        self.night: dt.date | None = None
        self.plan: NightPlan | None = None

    def compose(self) -> ComposeResult:
        yield Static("Night plan", classes="screen-title")
        with Horizontal(id="plan-bar"):
            yield Label("site")
            yield TomInput(placeholder="observatory or LAT,LON,HEIGHT (Enter applies)", id="plan-site")
            yield Label("airmass ≤")
            yield TomInput("2.0", id="plan-airmass")
        yield StatusLine("l chooses a target list", id="plan-summary", classes="status-line")
        table: DataTable[str] = DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one(DataTable).focus()
        lists = self.list_names()
        self.list_name = lists[0] if lists else ALL_TARGETS
        self.action_compute()

    def list_names(self) -> list[str]:
        from tom_tui.services.targets.lists import ListService

        return [target_list.name for target_list in ListService(self.tom_app.store).all()]

    def action_pick_list(self) -> None:
        from tom_tui.screens.dialogs import OptionPicker

        def chosen(name: str | None) -> None:
            if name:
                self.list_name = name
                self.action_compute()

        choices = [(ALL_TARGETS_LABEL, ALL_TARGETS), *((n, n) for n in self.list_names())]
        self.app.push_screen(OptionPicker("Target list", choices, "no targets yet"), chosen)

    def action_shift_night(self, days: int) -> None:
        if self.plan is not None:
            self.night = self.plan.night + dt.timedelta(days=days)
            self.action_compute()

    def action_focus_site(self) -> None:
        self.query_one("#plan-site", Input).focus()

    @on(Input.Submitted)
    def settings_changed(self) -> None:
        self.query_one(DataTable).focus()
        self.action_compute()

    def on_store_changed(self, message: StoreChanged) -> None:
        if self.list_name is not None:
            self.action_compute()

    def action_compute(self) -> None:
        if self.list_name is None:
            return
        site = self.query_one("#plan-site", Input).value.strip() or None
        try:
            airmass = float(self.query_one("#plan-airmass", Input).value)
        except ValueError:
            self.notify("airmass: expected a number such as 2.0", severity="error")
            return
        self.query_one("#plan-summary", StatusLine).text = f"planning {self.planned_label}…"
        self.compute(self.list_name, site, self.night.isoformat() if self.night else None, airmass)

    @property
    def planned_label(self) -> str:
        return ALL_TARGETS_LABEL if self.list_name == ALL_TARGETS else f"list {self.list_name}"

    @work(thread=True, exclusive=True, group="plan", name="compute night plan")
    def compute(self, list_name: str, site: str | None, night: str | None, airmass: float) -> None:
        chosen = None if list_name == ALL_TARGETS else list_name
        self.post_message(PlanComputed(plan_list(self.tom_app.store, chosen, site, night, airmass)))

    @on(PlanComputed)
    def show_plan(self, message: PlanComputed) -> None:
        plan = self.plan = message.plan
        self.night = plan.night
        table = self.query_one(DataTable)
        table.clear()
        rows = plan.rows
        if self.list_name == ALL_TARGETS:
            # The whole store: what can be observed, best first, as many as a table can hold.
            rows = [row for row in rows if row["hours_observable"] > 0][:MOST_ROWS]
        for row in rows:
            airmass = f"{row['min_airmass']:.2f}" if row["min_airmass"] else "-"
            table.add_row(
                cell(row["name"]),
                hhmm(row["rise"]),
                hhmm(row["set"]),
                hhmm(row["best_time"]),
                airmass,
                f"{row['hours_observable']:.1f}",
                f"{row['moon_separation']:.0f}",
                key=str(row["id"]),
            )
        t = plan.twilights
        # What matters most first, so an 80-column terminal still shows the dark window and the Moon.
        shown_count = f"{len(rows)} of {len(plan.rows)}" if len(rows) != len(plan.rows) else f"{len(rows)}"
        self.query_one("#plan-summary", StatusLine).text = (
            f"dark {hhmm(t[plan.twilight + '_dusk'])}–{hhmm(t[plan.twilight + '_dawn'])} UTC · "
            f"Moon {plan.moon_illumination:.0%} · {shown_count} targets of {self.planned_label} · "
            f"night of {plan.night} · {plan.site.name} · Enter: track"
        )

    @on(DataTable.RowSelected)
    def open_track(self, event: DataTable.RowSelected) -> None:
        if self.plan is None or event.row_key.value is None:
            return
        site = self.query_one("#plan-site", Input).value.strip() or None
        self.app.push_screen(
            TrackScreen(int(str(event.row_key.value)), site, self.plan.night, self.plan.airmass_limit)
        )


@dataclass
class TrackComputed(Message):
    track: Track


class TrackScreen(TomModal):
    """Altitude of one target through the night, with the Moon, twilights and airmass limit."""

    PALETTE_NAMESPACE = "track"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close", id="track.close")]
    DEFAULT_CSS = """
    TrackScreen #track-dialog { width: 100%; height: 100%; }
    TrackScreen PlotextPlot { height: 1fr; }
    """

    def __init__(self, reference: TargetRef, site: str | None, night: dt.date, airmass_limit: float) -> None:
        super().__init__()
        self.reference, self.site, self.night, self.airmass_limit = reference, site, night, airmass_limit

    def compose(self) -> ComposeResult:
        with Vertical(id="track-dialog", classes="dialog"):
            yield Static("computing…   (Esc closes)", classes="dialog-title", id="track-title")
            yield PlotextPlot()

    def on_mount(self) -> None:
        self.compute()

    @work(thread=True, exclusive=True, group="track", name="track")
    def compute(self) -> None:
        track = target_track_for(self.tom_app.store, self.reference, self.site, self.night.isoformat())
        self.post_message(TrackComputed(track))

    @on(TrackComputed)
    def draw(self, message: TrackComputed) -> None:
        track = message.track
        plot = self.query_one(PlotextPlot).plt
        plot.clear_figure()
        draw_track(plot, track, self.airmass_limit)
        note = track_note(track)
        self.query_one("#track-title", Static).update(
            shown(
                f"{track.target.name} from {track.grid.site.name}, night of {track.grid.night}"
                f"{': ' + note if note else ''}   (Esc closes)"
            )
        )
        self.query_one(PlotextPlot).refresh()
