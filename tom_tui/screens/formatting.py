"""Turning values into the text the TUI shows (no astropy: this runs per visible row).

Every text a screen shows that came from the store or from outside (names, tags, extras, alert
ids, a facility's messages, job logs, file names, FITS header values) goes through
:func:`visible`, :func:`shown` or :func:`cell`: a store written by an older version, or a
server's answer, may hold escape sequences that a terminal would obey (set the window title,
write the clipboard with OSC 52). They are shown as visible escapes instead, and square
brackets in them stay text rather than being read as markup.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich.markup import escape as escape_markup
from rich.text import Text

from tom_tui.domain.angles import dec_sexagesimal, ra_sexagesimal
from tom_tui.domain.text import escape_control

_LINE_BREAK = re.compile("\r?\n")

SCHEME_SHORT = {
    "MPC_MINOR_PLANET": "minor pl.",
    "MPC_COMET": "comet",
    "JPL_MAJOR_PLANET": "major pl.",
}


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def ra_hms(ra_deg: float | None) -> str:
    """``HH:MM:SS.ss`` from degrees (the CLI's formatter), empty when unknown."""
    return "" if ra_deg is None or _missing(ra_deg) else ra_sexagesimal(ra_deg)


def dec_dms(dec_deg: float | None) -> str:
    """``±DD:MM:SS.s`` from degrees (the CLI's formatter), empty when unknown."""
    return "" if dec_deg is None or _missing(dec_deg) else dec_sexagesimal(dec_deg)


def degrees(value: float | None, places: int = 5) -> str:
    if value is None or _missing(value):
        return ""
    return f"{value:.{places}f}"


def target_kind(target_type: str | None, scheme: str | None) -> str:
    if target_type == "NON_SIDEREAL":
        return SCHEME_SHORT.get(scheme or "", "orbit")
    return "sidereal"


def joined(values: list[str] | None) -> str:
    return ", ".join(values or [])


def value_text(value: Any) -> str:
    """A field value for the detail screen: numbers without float noise, empty as an em dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def visible(value: object, *, lines: bool = False) -> str:
    r"""``value`` as text a terminal only prints: each control character shown as an escape (ESC
    as ``\x1b``). With ``lines``, line breaks stay line breaks and tabs become spaces (a log, a
    list of problems); otherwise they are escaped too, as a one-line field must stay one line."""
    text = str(value)
    if not lines:
        return escape_control(text)
    return "\n".join(escape_control(line.expandtabs()) for line in _LINE_BREAK.split(text))


def shown(value: object, *, lines: bool = False) -> Text:
    """Stored or remote text for a widget (a Static, a Label, a Rich table cell, an option): made
    :func:`visible`, and never read as markup (``[lco]`` stays ``[lco]``)."""
    return Text(visible(value, lines=lines))


def cell(value: object) -> str:
    """Stored or remote text for a ``DataTable`` cell: made :func:`visible`, with Rich markup
    escaped, since the table reads a text cell as markup (the cell stays a ``str``: code that
    reads cells back compares them with text)."""
    return escape_markup(visible(value))
