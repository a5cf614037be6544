"""Resolve a name in the catalogs and preview the target before adding it (a dialog).

Enter looks the name up in a worker (the same :class:`~tom_tui.services.targets.resolve.CatalogService`
as ``tom-tui catalog resolve``) and shows the fields it found; ``ctrl+n`` adds the target (merging
into a known one, as duplicate protection says). Dismisses with the new target's id, or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tom_tui.screens.base import TomModal, user_text
from tom_tui.screens.formatting import shown
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.plugins import CATALOGS, plugin_names
from tom_tui.services.targets.resolve import CatalogService, ResolveOutcome

ANY_CATALOG = "any"


@dataclass
class NameResolved(Message):
    outcome: ResolveOutcome


class ResolveScreen(TomModal):
    """Look a name up in SIMBAD, NED, TNS, MPC or JPL Horizons, then add it."""

    PALETTE_NAMESPACE = "resolve"
    # Escape cancels a running lookup first (it can wait on the network for a long time), and
    # closes the dialog otherwise; the footer shows whichever applies.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_lookup", "Cancel lookup", id="resolve.stop", tooltip="cancel the lookup"),
        Binding("escape", "cancel", "Close", id="resolve.close"),
        Binding("ctrl+n", "add", "Add target", id="resolve.add", tooltip="add the previewed target"),
    ]
    DEFAULT_CSS = """
    ResolveScreen #resolve-dialog { width: 80%; height: 80%; }
    ResolveScreen #resolve-bar { height: 1; }
    ResolveScreen #resolve-bar Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    ResolveScreen #resolve-bar Select { width: 20; }
    ResolveScreen #resolve-preview { height: 1fr; }
    """

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self.initial = name
        self.outcome: ResolveOutcome | None = None
        self.looking_up = False

    def compose(self) -> ComposeResult:
        options = [(ANY_CATALOG, ANY_CATALOG), *((n, n) for n in plugin_names(CATALOGS))]
        with Vertical(id="resolve-dialog", classes="dialog"):
            yield Static("Resolve a name   Enter looks up · ctrl+n adds · Esc closes", classes="dialog-title")
            with Horizontal(id="resolve-bar"):
                yield Label("name ")
                yield TomInput(self.initial, placeholder="e.g. M 31, SN 2024abc, Ceres", id="resolve-name")
                yield Select(
                    options, value=ANY_CATALOG, allow_blank=False, id="resolve-catalog", compact=True
                )
            yield Static("", id="resolve-preview", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resolve-name", Input).focus()

    @on(Input.Submitted, "#resolve-name")
    def look_up(self) -> None:
        name = self.query_one("#resolve-name", Input).value.strip()
        if not name:
            return
        catalog = str(self.query_one("#resolve-catalog", Select).value)
        self.outcome = None
        self.query_one("#resolve-preview", Static).update(shown(f"looking up {name}…  (Esc cancels)"))
        self.resolve(name, None if catalog == ANY_CATALOG else catalog, add=False)

    def resolve(self, name: str, catalog: str | None, add: bool) -> None:
        self.looking_up = True
        self.refresh_bindings()
        self.run_resolve(name, catalog, add)

    @work(thread=True, exclusive=True, group="resolve", name="resolve name")
    def run_resolve(self, name: str, catalog: str | None, add: bool) -> None:
        outcome = CatalogService(self.tom_app.store).resolve(name, catalog=catalog, add=add)
        if not get_current_worker().is_cancelled:
            self.post_message(NameResolved(outcome))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_lookup":
            return self.looking_up
        if action == "cancel":
            return not self.looking_up
        return True

    def action_cancel_lookup(self) -> None:
        """Stop waiting for the catalogs (a request already on the wire finishes; its answer is dropped)."""
        self.workers.cancel_group(self, "resolve")
        self.lookup_finished()
        self.query_one("#resolve-preview", Static).update("lookup cancelled; Enter tries again, Esc closes")

    def lookup_finished(self) -> None:
        self.looking_up = False
        self.refresh_bindings()

    @on(NameResolved)
    def show(self, message: NameResolved) -> None:
        self.lookup_finished()
        outcome = message.outcome
        if outcome.action != "previewed":
            self.notify(f"{outcome.fields['name']}: {outcome.action} (#{outcome.target_id})", title="Resolve")
            self.dismiss(outcome.target_id)
            return
        self.outcome = outcome
        fields: dict[str, Any] = {k: v for k, v in outcome.fields.items() if v not in (None, [], {})}
        text = orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode()
        # A catalog's answer is text from outside.
        self.query_one("#resolve-preview", Static).update(
            shown(f"found in {outcome.catalog}:\n{text}\n\nctrl+n adds it", lines=True)
        )

    def action_add(self) -> None:
        if self.outcome is None:
            self.notify("look a name up first (Enter)", severity="warning")
            return
        self.resolve(self.outcome.name, self.outcome.catalog, add=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.lookup_finished()
            self.query_one("#resolve-preview", Static).update(
                shown(f"{user_text(event.worker.error)}\n\nEnter tries again, Esc closes", lines=True)
            )
