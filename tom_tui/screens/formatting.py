"""Turning target values into the short text the TUI shows (no astropy: this runs per visible row)."""

from __future__ import annotations

import math
from typing import Any

SCHEME_SHORT = {
    "MPC_MINOR_PLANET": "minor pl.",
    "MPC_COMET": "comet",
    "JPL_MAJOR_PLANET": "major pl.",
}


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def ra_hms(ra_deg: float | None) -> str:
    """``HH:MM:SS.ss`` from degrees, rounded without ever showing 60 seconds."""
    if ra_deg is None or _missing(ra_deg):
        return ""
    centiseconds = round(ra_deg / 15.0 * 3600.0 * 100.0) % (24 * 3600 * 100)
    hours, rest = divmod(centiseconds, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{hours:02d}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def dec_dms(dec_deg: float | None) -> str:
    """``±DD:MM:SS.s`` from degrees."""
    if dec_deg is None or _missing(dec_deg):
        return ""
    sign = "-" if dec_deg < 0 else "+"
    deciseconds = round(abs(dec_deg) * 36000.0)
    degrees, rest = divmod(deciseconds, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{sign}{degrees:02d}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


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
