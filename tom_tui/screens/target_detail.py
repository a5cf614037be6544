"""One target: every field, aliases, typed extras, tags and lists, with edit, delete, merge and
survey photometry.

The "Overview" tab is ours; other tabs (light curve, spectra, data products...) come from
``registry.TARGET_TABS`` and are mounted after it, one per entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static, TabbedContent, TabPane

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.target import ORBITAL_FIELDS, SIDEREAL_FIELDS, Target, extra_type
from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.formatting import dec_dms, degrees, ra_hms, shown, target_kind, value_text
from tom_tui.screens.registry import TARGET_TABS, load_class
from tom_tui.screens.widgets.observing_summary import ObservingSummary
from tom_tui.services.targets.operations import TargetService


@dataclass
class TargetFetched(Message):
    target: Target | None  # None: it no longer exists


def overview(target: Target) -> Group:
    """The Overview tab's content as Rich renderables (what the user reads). Every stored value
    goes through ``shown``: a store written by an older version may hold escape sequences."""
    fields = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    fields.add_column("field", style="bold", no_wrap=True)
    fields.add_column("value")
    fields.add_row("Name", shown(target.name))
    fields.add_row("Type", shown(f"{target.type} ({target_kind(target.type, target.scheme)})"))
    if target.ra is not None or target.is_sidereal:
        fields.add_row("RA", f"{ra_hms(target.ra)}   {degrees(target.ra, 6)}°")
        fields.add_row("Dec", f"{dec_dms(target.dec)}   {degrees(target.dec, 6)}°")
    names = SIDEREAL_FIELDS[2:] if target.is_sidereal else ("scheme", *ORBITAL_FIELDS)
    for name in names:
        value = getattr(target, name)
        if value is not None:
            fields.add_row(name, shown(value_text(value)))
    fields.add_row("Aliases", shown(value_text(target.aliases)))
    fields.add_row("Tags", shown(value_text(target.tags)))
    fields.add_row("Lists", shown(value_text(target.lists)))
    fields.add_row("Created", shown(value_text(target.created)))
    fields.add_row("Modified", shown(value_text(target.modified)))
    fields.add_row("Id", f"#{target.id}")
    parts: list[Any] = [fields]
    if target.extra:
        extras = Table(title="Extras", title_justify="left", box=None, padding=(0, 2, 0, 0))
        extras.add_column("key", style="bold")
        extras.add_column("value")
        extras.add_column("type", style="dim")
        for key, value in sorted(target.extra.items()):
            extras.add_row(shown(key), shown(value_text(value)), extra_type(value))
        parts += [Text(""), extras]
    else:
        parts.append(Text("\nNo extras.", style="dim"))
    return Group(*parts)


def tab_id(title: str) -> str:
    return "tab-" + "".join(c if c.isalnum() else "-" for c in title.lower())


class TargetDetailScreen(TomScreen):
    PALETTE_NAMESPACE = "target"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="target.back", tooltip="back to the list"),
        Binding("e", "edit", "Edit", id="target.edit", tooltip="edit this target"),
        Binding("d,delete", "delete", "Delete", id="target.delete", tooltip="delete this target"),
        Binding("m", "merge", "Merge", id="target.merge", tooltip="merge another target into this one"),
        Binding("o", "request", "Observe", id="target.request", tooltip="request an observation of it"),
        Binding(
            "s",
            "survey",
            "Survey",
            show=False,
            id="target.survey",
            tooltip="fetch survey photometry of this target",
        ),
        Binding(
            "ctrl+r,f5", "reload", "Reload", show=False, id="target.reload", tooltip="reload from the store"
        ),
        # One digit per tab: 1 is the Overview, then the registered tabs in order.
        *(
            Binding(
                str(number),
                f"show_tab({number - 1})",
                f"Tab {number}",
                show=False,
                id=f"target.tab{number}",
                tooltip=f"show the {title} tab",
            )
            for number, title in enumerate(["Overview", *(entry.title for entry in TARGET_TABS)], start=1)
            if number <= 9
        ),
    ]

    def __init__(self, target_id: int) -> None:
        super().__init__()
        self.target_id = target_id
        self.target: Target | None = None

    def compose(self) -> ComposeResult:
        yield Static("Target", id="screen-title", classes="screen-title", markup=False)
        with TabbedContent(id="target-tabs"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll():
                yield ObservingSummary(self.target_id, id="target-observing")
                yield Static("loading…", id="target-overview")
            # Other developers' tabs: one entry each in registry.TARGET_TABS.
            for entry in TARGET_TABS:
                with TabPane(entry.title, id=tab_id(entry.title)):
                    yield load_class(entry.import_path)(target_id=self.target_id)
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._fetch_worker()
        self.query_one(ObservingSummary).reload()

    @work(thread=True, exclusive=True, group="target", exit_on_error=False, name="load target")
    def _fetch_worker(self) -> None:
        try:
            target: Target | None = TargetService(self.tom_app.store).get(self.target_id)
        except NotFoundError:
            target = None
        self.post_message(TargetFetched(target))

    @on(TargetFetched)
    def fetched(self, message: TargetFetched) -> None:
        if message.target is None:
            self.app.notify(f"target #{self.target_id} no longer exists", title="Targets", severity="warning")
            self.dismiss_if_active()
            return
        self.target = message.target
        self.query_one("#screen-title", Static).update(shown(f"Target  ·  {message.target.name}"))
        self.query_one("#target-overview", Static).update(overview(message.target))

    def action_show_tab(self, position: int) -> None:
        pane_ids = ["tab-overview", *(tab_id(entry.title) for entry in TARGET_TABS)]
        if 0 <= position < len(pane_ids):
            self.query_one("#target-tabs", TabbedContent).active = pane_ids[position]

    def dismiss_if_active(self) -> None:
        if self.is_current:
            self.app.pop_screen()

    @on(StoreChanged)
    def store_changed(self) -> None:
        self.action_reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_edit(self) -> None:
        from tom_tui.screens.target_forms import TargetFormScreen

        self.app.push_screen(TargetFormScreen(self.target_id), lambda _saved: self.action_reload())

    def action_delete(self) -> None:
        from tom_tui.screens.target_actions import confirm_and_delete

        name = self.target.name if self.target else f"#{self.target_id}"
        confirm_and_delete(self, self.target_id, name, self.dismiss_if_active)

    def action_merge(self) -> None:
        from tom_tui.screens.target_forms import MergeScreen

        name = self.target.name if self.target else f"#{self.target_id}"
        self.app.push_screen(MergeScreen(self.target_id, name, None), lambda _kept: self.action_reload())

    def action_survey(self) -> None:
        from tom_tui.screens.target_actions import choose_survey_and_fetch

        name = self.target.name if self.target else f"#{self.target_id}"
        choose_survey_and_fetch(self, self.target_id, name, self.action_reload)

    def action_request(self) -> None:
        from tom_tui.screens.observations import RequestFormScreen

        reference = self.target.name if self.target else f"#{self.target_id}"
        self.app.push_screen(RequestFormScreen(reference), lambda _record_id: self.action_reload())
