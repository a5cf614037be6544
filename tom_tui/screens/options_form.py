"""Declared options (:class:`~tom_tui.domain.options.Option`) as form fields, and back.

:class:`OptionsForm` shows one row per option: a text field for text, numbers and times (a
repeatable option takes comma-separated values), a drop-down for a ``choice``, a checkbox for a
``bool``. Under each row is a line for that field's problem. :meth:`OptionsForm.raw_values` gives
what the user entered; :meth:`OptionsForm.values` reads it back through :meth:`Option.convert`,
raising one :class:`~tom_tui.domain.errors.ValidationError` that lists every problem, each
starting with the option's name (``exposure_time: '-3' is below the minimum 0.001``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.options import Option, convert_options
from tom_tui.screens.formatting import shown
from tom_tui.screens.widgets.inputs import TomInput


def field_hint(option: Option) -> str:
    """The placeholder of a text field: the help, the default and the accepted values."""
    hint = option.help
    if option.default not in (None, ""):
        hint += f" (default {option.default})"
    if option.choices:
        hint += f" [{'|'.join(option.choices)}]"
    if option.multiple:
        hint += " (comma-separated)"
    return hint


class OptionsForm(Vertical):
    """Form fields for a list of options.

    ``field_prefix`` and ``error_prefix`` make the widget ids (``field-exposure_time``,
    ``error-exposure_time``); ``prefill`` puts each default in its field, otherwise the default
    is only shown as a hint and an empty field means "the default".
    """

    # Rows, labels and errors take the app's form styles (field-row, field-label, field-error).
    DEFAULT_CSS = "OptionsForm { height: auto; }"

    def __init__(
        self,
        options: Sequence[Option],
        *,
        field_prefix: str = "field-",
        error_prefix: str = "error-",
        prefill: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.options = tuple(options)
        self.field_prefix = field_prefix
        self.error_prefix = error_prefix
        self.prefill = prefill

    def compose(self) -> ComposeResult:
        for option in self.options:
            label = option.label + (" *" if option.required else "")
            with Horizontal(classes="option-row field-row"):
                yield Label(label, classes="option-label field-label")
                yield self._field(option)
            yield Static("", id=f"{self.error_prefix}{option.name}", classes="field-error", markup=False)

    def _field(self, option: Option) -> Widget:
        widget_id = f"{self.field_prefix}{option.name}"
        default = option.default if self.prefill else None
        if option.type == "bool" and not option.multiple:
            return Checkbox(option.help, value=bool(option.default), id=widget_id, compact=True)
        if option.choices and not option.multiple:
            chosen = default in option.choices
            return Select(
                [(choice, choice) for choice in option.choices],
                value=str(default) if chosen else Select.NULL,
                allow_blank=not (option.required and chosen),
                prompt=field_hint(option),
                id=widget_id,
                compact=True,
            )
        text = "" if default in (None, "") else _as_text(default)
        return TomInput(text, placeholder=field_hint(option), id=widget_id, classes="field-input")

    def raw_values(self) -> dict[str, Any]:
        """What the user entered, by option name; empty fields are left out."""
        raw: dict[str, Any] = {}
        for option in self.options:
            widget = self.query_one(f"#{self.field_prefix}{option.name}")
            value: Any
            if isinstance(widget, Checkbox):
                value = widget.value
            elif isinstance(widget, Select):
                value = None if widget.is_blank() else str(widget.value)
            else:
                assert isinstance(widget, Input)
                text = widget.value.strip()
                value = (
                    [part.strip() for part in text.split(",") if part.strip()] if option.multiple else text
                )
            if value not in (None, "", []):
                raw[option.name] = value
        return raw

    def values(self) -> dict[str, Any]:
        """Typed values of every option (defaults filled in); problems are shown and raised."""
        values, problems = convert_options(self.options, self.raw_values(), "this form")
        self.show_problems(problems)
        if problems:
            raise ValidationError(problems[0], problems)
        return values

    def show_problems(self, problems: Sequence[str]) -> list[str]:
        """Show each ``name: problem`` under its field; returns the problems of no field here."""
        for error in self.query(".field-error"):
            assert isinstance(error, Static)
            error.update("")
            error.remove_class("-shown")
        names = {option.name for option in self.options}
        elsewhere: list[str] = []
        for problem in problems:
            name, _, text = problem.partition(":")
            if name.strip() in names:
                widget = self.query_one(f"#{self.error_prefix}{name.strip()}", Static)
                widget.update(shown(text.strip(), lines=True))
                widget.add_class("-shown")
            else:
                elsewhere.append(problem)
        return elsewhere

    def focus_first(self) -> None:
        fields = self.query(".option-row > *").exclude(".option-label")
        if fields:
            fields.first().focus()


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)
