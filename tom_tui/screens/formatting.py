"""Turning target values into the short text the TUI shows (no astropy: this runs per visible row)."""

from __future__ import annotations

import math
from typing import Any

from tom_tui.domain.angles import dec_sexagesimal, ra_sexagesimal

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
