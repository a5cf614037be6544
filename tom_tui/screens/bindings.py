"""Key bindings as people read them: the bindings tom-tui declares on a node, key names, and
remapped keys (``[tui.keys]`` in ``tom-tui.toml``) that would take a key another binding uses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from textual.binding import Binding

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "colon": ":",
    "escape": "Esc",
    "enter": "Enter",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "delete": "Del",
    "backspace": "Backspace",
    "tab": "Tab",
}


def key_text(keys: str) -> str:
    """``"pageup,ctrl+b"`` → ``"PgUp / ctrl+b"``."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(KEY_NAMES.get(key, key.upper() if len(key) > 1 and key.startswith("f") else key))
    return " / ".join(shown)


def declared_bindings(node: Any) -> list[Binding]:
    """The bindings tom-tui's own classes declare on ``node``, with their declared keys."""
    declared: list[Binding] = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("tom_tui."):
            declared.extend(Binding.make_bindings(cls.__dict__.get("BINDINGS", [])))
    return declared


def _keys(binding: Binding, keymap: dict[str, str]) -> set[str]:
    keys = keymap.get(binding.id or "", binding.key)
    return {key.strip() for key in keys.split(",") if key.strip()}


@dataclasses.dataclass(frozen=True)
class KeyConflict:
    """A remapped binding (``binding_id``) whose new key another binding already uses."""

    binding_id: str
    message: str


def keymap_conflicts(active_together: Iterable[Binding], keymap: dict[str, str]) -> list[KeyConflict]:
    """Each remapped binding whose new key another binding of ``active_together`` (the bindings
    of one screen and of the app) already uses, after the remapping."""
    bindings = list(active_together)
    problems: list[KeyConflict] = []
    for remapped in bindings:
        if remapped.id is None or remapped.id not in keymap:
            continue
        for other in bindings:
            if other.id == remapped.id or other.action == remapped.action:
                continue
            for key in sorted(_keys(remapped, keymap) & _keys(other, keymap)):
                what = other.tooltip or other.description.lower() or other.action
                message = (
                    f'tom-tui.toml: [tui.keys] "{remapped.id}" = "{keymap[remapped.id]}": '
                    f'{key_text(key)} is already the key to {what} ("{other.id or other.action}"); '
                    "the remapping is not applied: choose another key or remap that binding too"
                )
                problems.append(KeyConflict(remapped.id, message))
    return problems


def bindings_of(node: Any) -> list[Binding]:
    """The bindings tom-tui declares on a screen, widget or the app, one per action with all its
    keys (Textual's own scrolling keys for every container are left out: they are the same
    everywhere and would drown the list)."""
    keymap: dict[str, str] = getattr(getattr(node, "app", node), "keymap", {})
    by_action: dict[str, Binding] = {}
    for declared in declared_bindings(node):
        if not declared.description:
            continue
        binding = declared
        if declared.id in keymap:
            binding = dataclasses.replace(declared, key=keymap[declared.id])
        known = by_action.get(binding.action)
        if known is None:
            by_action[binding.action] = binding
        elif binding.key not in known.key.split(","):
            by_action[binding.action] = dataclasses.replace(known, key=f"{known.key},{binding.key}")
    return list(by_action.values())
