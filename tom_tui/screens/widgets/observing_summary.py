"""The top of a target's Overview tab: what an observer looks at first (latest and peak
magnitude, points, tonight's visibility, observation requests, reduction runs that measured it,
and where a moving target is now). Loaded in a worker; the lines wrap, so nothing is cut off
at 80 columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Static

from tom_tui.domain.errors import NotFoundError
from tom_tui.screens.formatting import dec_dms, ra_hms, shown
from tom_tui.screens.host import TomHost
from tom_tui.services.session import Store
from tom_tui.services.targets.overview import Magnitude, TargetOverview, Visibility, target_overview

MAX_REQUESTS = 5
MAX_RUNS = 5


@dataclass
class OverviewLoaded(Message):
    overview: TargetOverview


def _magnitude_text(what: str, magnitude: Magnitude | None) -> str:
    if magnitude is None:
        return f"{what} —"
    return f"{what} {magnitude.mag:.2f} {magnitude.band} on {magnitude.date}"


def _clock(iso: str | None) -> str:
    return "—" if iso is None else iso[11:16]


def visibility_text(visibility: Visibility) -> str:
    """``rises 19:02 · best 23:40 at 71.2° · sets 04:18 UTC · 6.3 h below airmass 2 (site, night)``."""
    if visibility.max_altitude is None or visibility.max_altitude <= 0:
        return f"never rises above the horizon ({visibility.site}, night of {visibility.night})"
    return (
        f"rises {_clock(visibility.rise)} · best {_clock(visibility.best_time)} at "
        f"{visibility.max_altitude:.1f}° · sets {_clock(visibility.set)} UTC · "
        f"{visibility.hours_observable:.1f} h dark below airmass {visibility.airmass_limit:g} "
        f"({visibility.site}, night of {visibility.night})"
    )


def _requests_text(overview: TargetOverview) -> str:
    if not overview.requests:
        return "none (o requests one)"
    shown_requests = [
        f"#{record.id} {record.facility} {record.status} ({record.created[:10]})"
        for record in overview.requests[:MAX_REQUESTS]
    ]
    more = len(overview.requests) - MAX_REQUESTS
    return " · ".join(shown_requests) + (f" · {more} more" if more > 0 else "") + "  (o requests one)"


def _reductions_text(overview: TargetOverview) -> str:
    if not overview.reductions:
        return "no reduction run measured it"
    runs = [
        f"run {result.run}: {result.points} point{'s' if result.points != 1 else ''} on "
        f"{result.frames} frame{'s' if result.frames != 1 else ''} ({', '.join(result.bands)})"
        for result in overview.reductions[:MAX_RUNS]
    ]
    return " · ".join(runs)


def _position_text(now: dict[str, Any]) -> str:
    here, there = now["geocentric"], now["topocentric"]
    return (
        f"{ra_hms(there['ra'])} {dec_dms(there['dec'])} from {now['site']} ({here['utc']} UTC) · "
        f"rate {here['ra_rate']:+.2f} {here['dec_rate']:+.2f} ″/h · {here['delta']:.4f} AU away"
    )


def observing_table(overview: TargetOverview) -> Table:
    """The summary as a two-column table; every stored text goes through ``shown``."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    points = f"{overview.points} point{'s' if overview.points != 1 else ''}"
    photometry = (
        f"{points} · {_magnitude_text('latest', overview.latest)} · {_magnitude_text('peak', overview.peak)}"
    )
    table.add_row("Photometry", shown(photometry))
    if overview.visibility is not None:
        table.add_row("Tonight", shown(visibility_text(overview.visibility)))
    elif overview.visibility_problem:
        table.add_row("Tonight", shown(overview.visibility_problem))
    table.add_row("Requests", shown(_requests_text(overview)))
    table.add_row("Reduced", shown(_reductions_text(overview)))
    if overview.position_now is not None:
        table.add_row("Now", shown(_position_text(overview.position_now)))
    return table


class ObservingSummary(Static):
    """What an observer looks at first about one target; the screen holding it calls
    ``reload()`` to read it (on mount and whenever the store changed)."""

    DEFAULT_CSS = """
    ObservingSummary { height: auto; margin-bottom: 1; }
    """

    def __init__(self, target_id: int, *, id: str | None = None) -> None:
        super().__init__(Text("loading photometry, visibility and requests…", style="dim"), id=id)
        self.target_id = target_id
        self.overview: TargetOverview | None = None

    def reload(self) -> None:
        host = self.app
        assert isinstance(host, TomHost)
        self._load(host.store)

    @work(thread=True, exclusive=True, group="observing-summary", name="load target overview")
    def _load(self, store: Store) -> None:
        try:
            overview = target_overview(store, self.target_id)
        except NotFoundError:
            return  # deleted meanwhile: the detail screen says so and closes
        self.post_message(OverviewLoaded(overview))

    @on(OverviewLoaded)
    def loaded(self, message: OverviewLoaded) -> None:
        self.overview = message.overview
        self.update(observing_table(message.overview))
