"""Key bindings as people read them: the bindings tom-tui declares on a node, and key names."""

from __future__ import annotations

import dataclasses
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


def bindings_of(node: Any) -> list[Binding]:
    """The bindings tom-tui declares on a screen, widget or the app, one per action with all its
    keys (Textual's own scrolling keys for every container are left out: they are the same
    everywhere and would drown the list)."""
    keymap: dict[str, str] = getattr(getattr(node, "app", node), "keymap", {})
    by_action: dict[str, Binding] = {}
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("tom_tui."):
            continue
        for declared in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
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
