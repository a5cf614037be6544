"""Text from outside (files, brokers, servers, users) made safe to keep and to show in a terminal.

A terminal obeys control characters: ESC starts sequences that can set the window title or write
the clipboard (OSC 52), BEL ends them. Names, tags, extras and broker object ids therefore lose
their control characters when they come in (:func:`strip_control`), and any text shown to a
terminal has the remaining ones made visible (:func:`escape_control`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# C0 controls, DEL and the C1 controls (U+0080..U+009F; U+009B is a one-character CSI).
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def strip_control(text: str) -> str:
    """``text`` without control characters (a tab or newline becomes a space)."""
    return CONTROL_CHARACTERS.sub(lambda match: " " if match.group() in "\t\n\r" else "", text)


def strip_control_in(value: Any) -> Any:
    """A value read from outside with control characters removed from every string in it."""
    if isinstance(value, str):
        return strip_control(value)
    if isinstance(value, Mapping):
        return {strip_control_in(key): strip_control_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(strip_control_in(item) for item in value)
    return value


def escape_control(text: str) -> str:
    r"""``text`` with each control character shown as a visible escape (ESC as ``\x1b``)."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


# Colour and style codes (SGR: ESC [ numbers m) only change how text looks; they are what a
# terminal plot is drawn with, so terminal output keeps them.
_COLOUR_CODE = re.compile("\x1b\\[[0-9;]*m")
# Line ends (CSV writes CR LF) and tabs lay text out; a lone CR could hide what precedes it.
_TERMINAL_LAYOUT = frozenset({"\n", "\r\n", "\t"})
_LAYOUT_OR_CONTROL = re.compile("\r\n|[\x00-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    r"""Text for a terminal: line breaks, tabs and colour codes kept, every other control character
    shown as a visible escape, so no sequence in it can set the title or write the clipboard."""
    pieces: list[str] = []
    position = 0
    for colour in _COLOUR_CODE.finditer(text):
        pieces.append(_escape_all_but_layout(text[position : colour.start()]))
        pieces.append(colour.group())
        position = colour.end()
    pieces.append(_escape_all_but_layout(text[position:]))
    return "".join(pieces)


def _escape_all_but_layout(text: str) -> str:
    return _LAYOUT_OR_CONTROL.sub(
        lambda match: match.group() if match.group() in _TERMINAL_LAYOUT else f"\\x{ord(match.group()):02x}",
        text,
    )
