"""Inputs that follow the app's low-bandwidth setting (a blinking cursor repaints twice a second)."""

from __future__ import annotations

from textual.widgets import Input


class TomInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
