"""The command palette: every key binding of the current screen, of each tom-tui widget on it
(the light curve, spectra and data panels of a target, the target table) and of the app, as
namespaced commands ("targets: add", "data: upload a file to this target", "app: quit"), plus
"go: <screen>" and any extra commands a screen offers through ``palette_commands()``.

Commands come from the bindings themselves, so a new binding is in the palette without anyone
having to remember to add it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tom_tui.screens.bindings import bindings_of, key_text
from tom_tui.screens.registry import SCREENS

__all__ = ["PaletteCommand", "TomCommands", "bindings_of", "commands_for", "key_help"]

PaletteCommand = tuple[str, str, Callable[[], Any]]  # title, help, callback


def key_help(binding: Binding) -> str:
    return f"key: {key_text(binding.key)}"


def commands_for(screen: Any, app: Any) -> list[PaletteCommand]:
    commands: list[PaletteCommand] = []
    screen_namespace = getattr(screen, "PALETTE_NAMESPACE", "screen")
    for binding in bindings_of(screen):
        if binding.action in {"command_palette"}:
            continue
        title = f"{screen_namespace}: {binding.tooltip or binding.description.lower()}"
        commands.append((title, key_help(binding), partial(screen.run_action, binding.action)))
    commands.extend(widget_commands(screen))
    extra = getattr(screen, "palette_commands", None)
    if callable(extra):
        commands.extend(extra())
    for entry in SCREENS:
        commands.append(
            (
                f"go: {entry.title.lower()}",
                f"open the {entry.title} screen",
                partial(app.action_switch_screen_to, entry.name),
            )
        )
    for binding in bindings_of(app):
        if binding.action.startswith(("switch_screen_to", "command_palette")):
            continue
        title = f"app: {binding.tooltip or binding.description.lower()}"
        commands.append((title, key_help(binding), partial(app.run_action, binding.action)))
    return commands


def widget_commands(screen: Any) -> list[PaletteCommand]:
    """The bindings of every tom-tui widget on ``screen``, run on that widget (a panel in a tab
    that is not showing included: the palette reaches what no key reaches from here)."""
    commands: list[PaletteCommand] = []
    for widget in screen.query("*"):
        for binding in bindings_of(widget) if type(widget).__module__.startswith("tom_tui.") else []:
            namespace = getattr(widget, "PALETTE_NAMESPACE", None) or (binding.id or "panel").split(".")[0]
            title = f"{namespace}: {binding.tooltip or binding.description.lower()}"
            commands.append((title, key_help(binding), partial(widget.run_action, binding.action)))
    return commands


class TomCommands(Provider):
    """Namespaced commands for the screen the palette was opened from."""

    def _commands(self) -> Iterator[PaletteCommand]:
        yield from commands_for(self.screen, self.app)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
