"""What every tom-tui screen shares: reaching the app and its store, and the store-changed
notification. Worker failures need nothing here: the app reports every failed worker itself."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from tom_tui.screens.host import TomHost


class StoreChanged(Message):
    """Another process (or this one) committed to the store; ``generation`` is the new count."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class TomScreenMixin:
    """The app as :class:`TomHost`, remembered for workers that outlive their screen."""

    PALETTE_NAMESPACE: ClassVar[str] = "screen"

    @property
    def tom_app(self) -> TomHost:
        from textual._context import NoActiveAppError

        try:
            app = self.app  # type: ignore[attr-defined]
        except NoActiveAppError:
            # A thread worker can outlive its screen (a dialog closed meanwhile): the app it was
            # started from is still the right one.
            app = self.__dict__.get("_tom_app_seen")
            if app is None:
                raise
        assert isinstance(app, TomHost)
        self.__dict__["_tom_app_seen"] = app
        return app

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Screens may react to their workers' states; failures are already reported by the app."""


class TomScreen(TomScreenMixin, Screen[Any]):
    """A full screen of the app (registered in ``registry.SCREENS`` or pushed)."""


class TomModal(TomScreenMixin, ModalScreen[Any]):
    """A dialog; Escape cancels (dismisses with None)."""

    def action_cancel(self) -> None:
        self.dismiss(None)
