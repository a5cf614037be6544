"""Sky positions as sexagesimal text: the one formatter behind the CLI and the TUI.

The value is rounded once, to the last shown digit, and then split into fields, so a carry
moves into the minutes and hours and no field ever shows 60 (``30.5°`` is ``02:02:00.00``, not
``02:01:60.00``). No astropy here: the TUI formats every visible row with it.
"""

from __future__ import annotations

import math

RA_SECOND_DECIMALS = 2  # 0.01 s of time is 0.15″ at the equator
DEC_SECOND_DECIMALS = 1
SECONDS_PER_DAY = 24 * 3600


def _fields(total_seconds: float, decimals: int) -> tuple[int, int, int, int]:
    """Whole units, minutes, seconds and the second's fraction (as an integer of ``decimals``
    digits) of a non-negative number of seconds, rounded to ``decimals`` first."""
    scale = 10**decimals
    ticks = round(total_seconds * scale)
    whole, fraction = divmod(ticks, scale)
    units, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return units, minutes, seconds, fraction


def _text(units: int, minutes: int, seconds: int, fraction: int, decimals: int) -> str:
    text = f"{units:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{fraction:0{decimals}d}" if decimals else text


def ra_sexagesimal(ra_deg: float, decimals: int = RA_SECOND_DECIMALS) -> str:
    """``HH:MM:SS.ss`` for a right ascension in degrees; 360° and what rounds to 24h wrap to 00h."""
    if not math.isfinite(ra_deg):
        raise ValueError(f"right ascension {ra_deg!r} is not a finite number of degrees")
    seconds_of_time = (ra_deg % 360.0) / 15.0 * 3600.0
    hours, minutes, seconds, fraction = _fields(seconds_of_time, decimals)
    return _text(hours % 24, minutes, seconds, fraction, decimals)


def dec_sexagesimal(dec_deg: float, decimals: int = DEC_SECOND_DECIMALS) -> str:
    """``±DD:MM:SS.s`` for a declination in degrees (the sign always shown)."""
    if not math.isfinite(dec_deg):
        raise ValueError(f"declination {dec_deg!r} is not a finite number of degrees")
    sign = "-" if math.copysign(1.0, dec_deg) < 0 and dec_deg != 0 else "+"
    degrees, minutes, seconds, fraction = _fields(abs(dec_deg) * 3600.0, decimals)
    return sign + _text(degrees, minutes, seconds, fraction, decimals)
