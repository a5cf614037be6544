"""Small reusable dialogs: confirm, pick one option."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tom_tui.screens.base import TomModal
from tom_tui.screens.formatting import shown


class ConfirmScreen(TomModal):
    """Asks a yes/no question; dismisses with True only on an explicit yes (y or the button)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    PALETTE_NAMESPACE = "confirm"

    def __init__(self, question: str, yes_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            # Questions name what they act on (a target, a file): text from the store.
            yield Static(shown(self.question, lines=True), id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant="error", compact=True)
                yield Button("No (n)", id="confirm-no", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")


class OptionPicker(TomModal):
    """Choose one of ``options`` (value, label); dismisses with the value, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]
    PALETTE_NAMESPACE = "picker"

    def __init__(
        self, title: str, options: list[tuple[str, str]], empty_text: str = "nothing to choose"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.empty_text = empty_text

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Static(shown(f"{self.title_text}  (Enter chooses, Esc cancels)"), classes="dialog-title")
            if self.options:
                yield OptionList(
                    *(Option(shown(label), id=value) for value, label in self.options), id="picker-options"
                )
            else:
                yield Static(self.empty_text, id="picker-empty")

    def on_mount(self) -> None:
        if self.options:
            self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
