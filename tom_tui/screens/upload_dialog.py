"""The upload dialog: a file's path and every upload option ``tom-tui data upload`` takes.

The fields come from the same declarations as the CLI flags
(:mod:`tom_tui.services.data.upload_options`); values are checked before the dialog closes, so a
bad one is shown under its field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from tom_tui.domain.errors import ValidationError
from tom_tui.screens.base import TomModal
from tom_tui.screens.options_form import OptionsForm
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.data.upload_options import upload_form_options


class UploadDialog(TomModal):
    """Path and options of a file to upload; dismisses with (path, option values) or None."""

    PALETTE_NAMESPACE = "upload"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "upload", "Upload", id="upload.ok"),
        Binding("escape", "cancel", "Cancel", id="upload.cancel"),
    ]
    DEFAULT_CSS = """
    UploadDialog #upload-dialog { height: 90%; }
    UploadDialog #upload-options { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="upload-dialog", classes="dialog"):
            yield Static(
                "Upload a file to this target  (Enter or ctrl+s uploads, Esc cancels)", classes="dialog-title"
            )
            yield TomInput(placeholder="path of the file", id="upload-path")
            with VerticalScroll(id="upload-options"):
                yield OptionsForm(upload_form_options(), field_prefix="upload-", error_prefix="upload-error-")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Upload", id="upload-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#upload-path", TomInput).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#upload-ok")
    def action_upload(self) -> None:
        path = self.query_one("#upload-path", TomInput).value.strip()
        if not path:
            self.notify("give the path of a file", severity="warning")
            return
        form = self.query_one(OptionsForm)
        try:
            form.values()  # shows every problem under its field
        except ValidationError:
            return
        values: dict[str, Any] = form.raw_values()
        self.dismiss((path, values))
