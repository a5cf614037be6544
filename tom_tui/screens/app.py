"""The tom-tui terminal app: screens from the registry, keys, the command palette, store polling.

Designed for SSH: keyboard only, 80x24 and up, 256 colours; ``low_bandwidth`` turns off
animations, smooth scrolling and cursor blinking so that only real changes cross the wire.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState
from textual.worker_manager import WorkerManager

from tom_tui.domain.errors import ValidationError, user_message
from tom_tui.screens.base import StoreChanged, user_text
from tom_tui.screens.bindings import declared_bindings, keymap_conflicts
from tom_tui.screens.formatting import visible
from tom_tui.screens.host import TomHost
from tom_tui.screens.registry import SCREENS, ScreenEntry, load_class, screen_entry
from tom_tui.services.session import Store, store_label, tui_keymap

LOW_BANDWIDTH_ENV = "TOM_TUI_LOW_BANDWIDTH"
# Benchmarks only: when set to a file path, the app writes the wall-clock time at which the
# target list was first painted into that file and exits.
PAINT_PROBE_ENV = "TOM_TUI_PAINT_PROBE"
STORE_POLL_SECONDS = 1.5


def _tom_commands() -> Any:
    # Textual accepts a callable here; importing the palette only when it opens saves ~60 ms of
    # start-up (textual.command pulls in most of the widget library).
    from tom_tui.screens.commands import TomCommands

    return TomCommands


def _screen_factory(entry: ScreenEntry) -> Callable[[], Screen[Any]]:
    def build() -> Screen[Any]:
        screen_class = load_class(entry.import_path)
        screen: Screen[Any] = screen_class()
        return screen

    return build


class ReportingWorkerManager(WorkerManager):
    """Workers of every screen, dialog, panel and widget: each failure goes to ``report_error``.

    Textual posts a worker's state only to the node that started it and does not bubble it, so
    watching from the app is the one place that sees them all. A failed worker never stops the
    app: the user sees the error and can go on (Textual's default would quit on it).
    """

    def __init__(self, app: TomApp) -> None:
        super().__init__(app)
        self._tom_app = app

    def add_worker(self, worker: Worker[Any], start: bool = True, exclusive: bool = True) -> None:
        worker.exit_on_error = False
        super().add_worker(worker, start=start, exclusive=exclusive)

    def _remove_worker(self, worker: Worker[Any]) -> None:
        # Called on the event loop when the worker's task has finished, its error already set.
        super()._remove_worker(worker)
        if worker.state is WorkerState.ERROR and worker.error is not None:
            self._tom_app.report_error(worker.error, worker.name)


class TomApp(TomHost):
    """tom-tui's app. One instance per store; screens reach it as ``self.app``."""

    TITLE = "tom-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar[set[Any]] = {*App.COMMANDS, _tom_commands}
    MODES: ClassVar[dict[str, Any]] = {entry.name: _screen_factory(entry) for entry in SCREENS}
    DEFAULT_MODE: ClassVar[str] = SCREENS[0].name
    PALETTE_NAMESPACE: ClassVar[str] = "app"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "show_keys", "Keys", id="app.keys", tooltip="show the keys"),
        Binding("g", "pick_screen", "Go to", show=False, id="app.go", tooltip="go to another screen"),
        Binding("ctrl+p,colon", "command_palette", "Commands", show=False, id="app.palette"),
        Binding("q", "quit_from_key", "Quit", id="app.quit", tooltip="quit tom-tui (ctrl+q too)"),
        *(
            Binding(
                entry.key,
                f"switch_screen_to('{entry.name}')",
                entry.title,
                show=False,
                id=f"app.go.{entry.name}",
            )
            for entry in SCREENS
            if entry.key
        ),
    ]

    def __init__(
        self, store: Store, low_bandwidth: bool = False, poll_seconds: float = STORE_POLL_SECONDS
    ) -> None:
        super().__init__()
        self._workers = ReportingWorkerManager(self)
        self.store = store
        self.low_bandwidth = low_bandwidth or os.environ.get(LOW_BANDWIDTH_ENV, "") not in {"", "0"}
        self.cursor_blink = not self.low_bandwidth
        if self.low_bandwidth:
            self.animation_level = "none"
        self.poll_seconds = poll_seconds
        self.store_generation = store.generation()
        self.keymap: dict[str, str] = {}  # binding id -> key, from the store and user configs
        self.errors: list[str] = []  # every error shown to the user, newest last (for tests, too)
        self._paint_probe = os.environ.get(PAINT_PROBE_ENV)

    @property
    def store_label(self) -> str:
        return store_label(self.store)

    def on_mount(self) -> None:
        self.sub_title = self.store_label
        # Remapped keys by binding id, from the store's tom-tui.toml and the user's own file:
        #   [tui.keys]
        #   "targets.add" = "n"
        self.keymap, problem = tui_keymap(self.store)
        if problem:  # a broken personal file must not keep the TUI closed
            self.report_error(ValidationError(problem), "Keys")
        if self.keymap:
            self.set_keymap(self.keymap)
            # The first screen is mounted before this runs: check it here, later ones on mount.
            self.check_keymap(self.screen)
        self.set_interval(self.poll_seconds, self.check_store, name="store poll")

    def check_keymap(self, node: Any) -> None:
        """Report each remapped key that would take a key another binding of ``node`` (a screen,
        checked when it is mounted) or of the app uses, and keep the default for it instead."""
        declared = declared_bindings(self)
        if node is not self:
            declared = [*declared_bindings(node), *declared]
        conflicts = keymap_conflicts(declared, self.keymap)
        for conflict in conflicts:
            self.report_error(ValidationError(conflict.message), "Keys")
        if conflicts:
            dropped = {conflict.binding_id for conflict in conflicts}
            self.keymap = {k: v for k, v in self.keymap.items() if k not in dropped}
            self.set_keymap(self.keymap)

    # -- store changes --
    def check_store(self) -> None:
        """Tell the screens when any process committed to the store (one small file read)."""
        generation = self.store.generation()
        if generation != self.store_generation:
            self.store_generation = generation
            for screen in self.screen_stack:
                screen.post_message(StoreChanged(generation))

    # -- errors: the one place worker failures end up --
    def report_error(self, error: BaseException, where: str = "") -> None:
        """The one sentence the CLI would print: a TomError's text, else "unexpected ..." (logged)."""
        if user_message(error) is None:
            self.log.error("".join(traceback.format_exception(error)))
        message = user_text(error)
        self.errors.append(message)
        self.notify(message, title=where or "Error", severity="error", timeout=8)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # Every notification is built from data (names, paths, a server's error), where square
        # brackets are text: "add a token under [lco]" must not lose "[lco]" to markup.
        # A server's words or a stored name may hold escape sequences: shown, never obeyed.
        super().notify(
            visible(message),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    async def _dispatch_message(self, message: Message) -> None:
        # Keys run their actions here: Textual would end the app on an exception in one (see
        # TomScreenMixin._dispatch_message). Shown instead, and the app goes on.
        try:
            await super()._dispatch_message(message)
        except Exception as error:  # every failure is shown; bugs are logged too
            self.report_error(error, "tom-tui")

    # -- actions --
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A stray `q` in a dialog (focus on a button or a list) must not throw away a half-filled
        # form; ctrl+q still quits from anywhere.
        return not (action in {"quit_from_key", "pick_screen"} and isinstance(self.screen, ModalScreen))

    async def action_quit_from_key(self) -> None:
        await self.action_quit()

    def action_show_keys(self) -> None:
        from tom_tui.screens.keys import KeysScreen

        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(self.screen))

    def action_pick_screen(self) -> None:
        from tom_tui.screens.dialogs import OptionPicker

        options = [
            (entry.name, f"{entry.title}  ({entry.key})" if entry.key else entry.title) for entry in SCREENS
        ]

        def chosen(name: str | None) -> None:
            if name:
                self.action_switch_screen_to(name)

        self.push_screen(OptionPicker("Go to screen", options), chosen)

    def action_switch_screen_to(self, name: str) -> None:
        screen_entry(name)  # a clear KeyError for a typo in a binding
        self.switch_mode(name)

    # -- benchmarks --
    def target_list_painted(self) -> None:
        """Called by the targets screen once its first rows are on screen."""
        if self._paint_probe:
            probe = Path(self._paint_probe)

            def write_and_exit() -> None:
                probe.write_text(f"{time.time():.6f}\n")
                self.exit()

            self.call_after_refresh(write_and_exit)


def run_app(store: Store, low_bandwidth: bool = False) -> None:
    """Open the TUI on ``store`` (what ``tom-tui`` with no subcommand does)."""
    TomApp(store, low_bandwidth=low_bandwidth).run()
