"""What every tom-tui screen shares: reaching the app and its store, worker errors reported in
one place, and the store-changed notification."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from tom_tui.screens.app import TomApp


class StoreChanged(Message):
    """Another process (or this one) committed to the store; ``generation`` is the new count."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class TomScreenMixin:
    """Send worker failures to :meth:`TomApp.report_error` (Textual does not bubble them)."""

    PALETTE_NAMESPACE: ClassVar[str] = "screen"

    @property
    def tom_app(self) -> TomApp:
        from textual._context import NoActiveAppError

        from tom_tui.screens.app import TomApp

        try:
            app = self.app  # type: ignore[attr-defined]
        except NoActiveAppError:
            # A thread worker can outlive its screen (a dialog closed meanwhile): the app it was
            # started from is still the right one.
            app = self.__dict__.get("_tom_app_seen")
            if app is None:
                raise
        assert isinstance(app, TomApp)
        self.__dict__["_tom_app_seen"] = app
        return app

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.tom_app.report_error(event.worker.error, event.worker.name)


class TomScreen(TomScreenMixin, Screen[Any]):
    """A full screen of the app (registered in ``registry.SCREENS`` or pushed)."""


class TomModal(TomScreenMixin, ModalScreen[Any]):
    """A dialog; Escape cancels (dismisses with None)."""

    def action_cancel(self) -> None:
        self.dismiss(None)
