"""The `?` screen: every key of the screen underneath, of its focused widget, and of the app."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tom_tui.screens.base import TomModal
from tom_tui.screens.bindings import bindings_of, key_text


def keys_table(title: str, bindings: list[Binding]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column("key", style="bold", no_wrap=True, min_width=16)
    table.add_column("action")
    for binding in bindings:
        what = binding.tooltip or binding.description
        table.add_row(key_text(binding.key), what[:1].upper() + what[1:])
    return table


class KeysScreen(TomModal):
    """Lists keys in groups; Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "cancel", "Close", id="keys.close"),
    ]
    PALETTE_NAMESPACE = "keys"

    def __init__(self, underneath: Screen[Any]) -> None:
        super().__init__()
        self.underneath = underneath

    def groups(self) -> list[tuple[str, list[Binding]]]:
        groups: list[tuple[str, list[Binding]]] = []
        focused = self.underneath.focused
        if focused is not None:
            widget_bindings = bindings_of(focused)
            if widget_bindings:
                title = getattr(focused, "KEYS_TITLE", type(focused).__name__)
                groups.append((f"{title} (focused)", widget_bindings))
        namespace = getattr(self.underneath, "PALETTE_NAMESPACE", "screen")
        groups.append((f"{namespace.capitalize()} screen", bindings_of(self.underneath)))
        groups.append(("Everywhere", bindings_of(self.app)))
        return groups

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-dialog", classes="dialog"):
            yield Static("Keys  (ctrl+p or : opens the command palette; Esc closes)", classes="dialog-title")
            with VerticalScroll():
                for title, bindings in self.groups():
                    yield Static(keys_table(title, bindings), classes="keys-group")
