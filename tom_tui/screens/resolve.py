"""Resolve a name in the catalogs and preview the target before adding it (a dialog).

Enter looks the name up in a worker (the same :class:`~tom_tui.services.targets.resolve.CatalogService`
as ``tom-tui catalog resolve``) and shows the fields it found; ``ctrl+n`` adds the target (merging
into a known one, as duplicate protection says). Dismisses with the new target's id, or None.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from tom_tui.screens.base import TomModal
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.plugins import CATALOGS, plugin_names
from tom_tui.services.targets.resolve import CatalogService, ResolveOutcome

ANY_CATALOG = "any"


class NameResolved(Message):
    def __init__(self, outcome: ResolveOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class ResolveScreen(TomModal):
    """Look a name up in SIMBAD, NED, TNS, MPC or JPL Horizons, then add it."""

    PALETTE_NAMESPACE = "resolve"
    BINDINGS: ClassVar[list[BindingType]] = [
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

    def on_mount(self) -> None:
        self.query_one("#resolve-name", Input).focus()

    @on(Input.Submitted, "#resolve-name")
    def look_up(self) -> None:
        name = self.query_one("#resolve-name", Input).value.strip()
        if not name:
            return
        catalog = str(self.query_one("#resolve-catalog", Select).value)
        self.outcome = None
        self.query_one("#resolve-preview", Static).update(f"looking up {name}…")
        self.resolve(name, None if catalog == ANY_CATALOG else catalog, add=False)

    @work(thread=True, exclusive=True, group="resolve", name="resolve name")
    def resolve(self, name: str, catalog: str | None, add: bool) -> None:
        self.post_message(
            NameResolved(CatalogService(self.tom_app.store).resolve(name, catalog=catalog, add=add))
        )

    @on(NameResolved)
    def show(self, message: NameResolved) -> None:
        outcome = message.outcome
        if outcome.action != "previewed":
            self.notify(f"{outcome.fields['name']}: {outcome.action} (#{outcome.target_id})", title="Resolve")
            self.dismiss(outcome.target_id)
            return
        self.outcome = outcome
        fields: dict[str, Any] = {k: v for k, v in outcome.fields.items() if v not in (None, [], {})}
        text = orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode()
        self.query_one("#resolve-preview", Static).update(
            f"found in {outcome.catalog}:\n{text}\n\nctrl+n adds it"
        )

    def action_add(self) -> None:
        if self.outcome is None:
            self.notify("look a name up first (Enter)", severity="warning")
            return
        self.resolve(self.outcome.name, self.outcome.catalog, add=True)

    def on_worker_state_changed(self, event: Any) -> None:
        super().on_worker_state_changed(event)
        if getattr(event.worker, "error", None) is not None:
            self.query_one("#resolve-preview", Static).update(str(event.worker.error))
