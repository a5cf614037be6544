"""What every tom-tui screen shares: reaching the app and its store, and the store-changed
notification. Worker failures need nothing here: the app reports every failed worker itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.events import Mount
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from tom_tui.domain.errors import user_message
from tom_tui.screens.host import TomHost


def user_text(error: BaseException) -> str:
    """The sentence the CLI prints for ``error``; a bug shows as "unexpected <type>: <text>"."""
    message = user_message(error)
    return message if message is not None else f"unexpected {type(error).__name__}: {error}"


@dataclass
class StoreChanged(Message):
    """Another process (or this one) committed to the store; ``generation`` is the new count."""

    generation: int


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

    @on(Mount)
    def check_remapped_keys(self) -> None:
        if self.tom_app.keymap:
            self.tom_app.check_keymap(self)

    async def _dispatch_message(self, message: Message) -> None:
        # Textual ends the app on an exception in a message handler or a key's action, and stops
        # the failing screen's message loop. A user action must never end tom-tui: the failure is
        # shown as the sentence the CLI prints and the screen goes on handling keys.
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except Exception as error:  # every failure is shown; bugs are logged too
            self.tom_app.report_error(error, type(self).__name__)


class TomScreen(TomScreenMixin, Screen[Any]):
    """A full screen of the app (registered in ``registry.SCREENS`` or pushed)."""


class TomModal(TomScreenMixin, ModalScreen[Any]):
    """A dialog; Escape cancels (dismisses with None)."""

    def action_cancel(self) -> None:
        self.dismiss(None)
