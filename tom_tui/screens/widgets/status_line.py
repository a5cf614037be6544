"""A one-line text that repaints without a layout pass (``Static.update`` re-lays out the screen,
which costs tens of milliseconds on every cursor move). Status texts are built from data (list
names, filters, a server's error), so it is drawn through :func:`formatting.shown`."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tom_tui.screens.formatting import shown


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    text: reactive[str] = reactive("", layout=False)

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.set_reactive(StatusLine.text, text)

    def render(self) -> Text:
        return shown(self.text)
