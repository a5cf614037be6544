"""What screens, dialogs and panels rely on from the app that hosts them.

Screens type "the app" as :class:`TomHost` rather than importing the concrete app module, so
the app can import its screens without an import cycle.
"""

from __future__ import annotations

from textual.app import App

from tom_tui.services.session import Store


class TomHost(App[None]):
    """The app as screens see it: one store, one place errors go, store-change checks."""

    store: Store
    errors: list[str]  # every error shown to the user, newest last
    keymap: dict[str, str]  # binding id -> key, from [tui.keys] in the store config

    @property
    def store_label(self) -> str:
        """The store's directory as shown in titles."""
        raise NotImplementedError

    def report_error(self, error: BaseException, where: str = "") -> None:
        """Show ``error`` to the user as one sentence; log anything that is not a TomError."""
        raise NotImplementedError

    def check_keymap(self, node: object) -> None:
        """Report remapped keys that take a key another binding of ``node`` or the app uses."""
        raise NotImplementedError

    def check_store(self) -> None:
        """Tell the screens now if any process committed to the store."""
        raise NotImplementedError

    def target_list_painted(self) -> None:
        """Called by the targets screen once its first rows are on screen."""
