"""The dialog that chooses light-curve points to flag as bad (or to unflag): an MJD range, a
filter and, when flagging, the reason. Numbers are checked before it closes."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tom_tui.screens.base import TomModal
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.photometry.flags import PointSelection


class FlagDialog(TomModal):
    """Dismisses with (selection, reason) (reason empty when unflagging), or None on Escape."""

    PALETTE_NAMESPACE = "flag"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "Flag", id="flag.ok"),
        Binding("escape", "cancel", "Cancel", id="flag.cancel"),
    ]

    def __init__(self, unflag: bool = False, mjd_range: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.unflag = unflag
        self.mjd_range = mjd_range

    def compose(self) -> ComposeResult:
        verb = "Unflag" if self.unflag else "Flag as bad"
        low, high = (
            ("", "") if self.mjd_range is None else (f"{self.mjd_range[0]:.5f}", f"{self.mjd_range[1]:.5f}")
        )
        with Vertical(id="flag-dialog", classes="dialog"):
            yield Static(
                f"{verb} the points of a time range  (Enter or ctrl+s, Esc cancels)", classes="dialog-title"
            )
            yield TomInput(placeholder=f"from MJD (light curve starts {low or '?'})", id="flag-from")
            yield TomInput(placeholder=f"to MJD (light curve ends {high or '?'})", id="flag-to")
            yield TomInput(placeholder="filter (empty: every filter)", id="flag-filter")
            if not self.unflag:
                yield TomInput(placeholder="reason (e.g. cosmic ray, bad subtraction)", id="flag-reason")
            with Horizontal(classes="dialog-buttons"):
                yield Button(verb, id="flag-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#flag-from", TomInput).focus()

    def _number(self, field: str, label: str) -> float | None:
        text = self.query_one(f"#flag-{field}", TomInput).value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            self.notify(f"{label}: {text!r} is not an MJD (e.g. 60310.25)", severity="warning")
            raise

    @on(Input.Submitted)
    @on(Button.Pressed, "#flag-ok")
    def action_done(self) -> None:
        try:
            mjd_from, mjd_to = self._number("from", "from MJD"), self._number("to", "to MJD")
        except ValueError:
            return
        band = self.query_one("#flag-filter", TomInput).value.strip()
        selection = PointSelection(mjd_from=mjd_from, mjd_to=mjd_to, filters=(band,) if band else ())
        reason = "" if self.unflag else self.query_one("#flag-reason", TomInput).value.strip()
        if selection.is_empty():
            self.notify("give a time range or a filter", severity="warning")
            return
        if not self.unflag and not reason:
            self.notify("say why the points are bad", severity="warning")
            return
        self.dismiss((selection, reason))
