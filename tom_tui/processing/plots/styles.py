"""How a band looks in every plot: colour (xterm-256 for the terminal, hex for PNG) and marker,
so a filter looks the same everywhere; and how an MJD reads as a date on an axis."""

from __future__ import annotations

import re

from tom_tui.domain.clock import from_mjd

# Keys are simplified band names: "ztfg", "ps1::g", "sdssg" -> "g".
BAND_STYLE: dict[str, tuple[int, str]] = {
    "u": (129, "#7b3294"),
    "b": (33, "#1f78b4"),
    "g": (34, "#2ca02c"),
    "v": (106, "#78a22f"),
    "c": (51, "#17becf"),
    "r": (196, "#d62728"),
    "o": (208, "#ff7f0e"),
    "i": (166, "#8c564b"),
    "z": (245, "#7f7f7f"),
    "y": (226, "#bcbd22"),
    "j": (95, "#a05d56"),
    "h": (131, "#8c2d04"),
    "k": (88, "#67000d"),
    "w": (141, "#9467bd"),
}
FALLBACK_STYLE = [(39, "#1f77b4"), (201, "#e377c2"), (220, "#d4a017"), (75, "#4a90d9"), (160, "#b22222")]
MARKERS = ["●", "■", "◆", "▲", "✚", "✱", "◉", "▣"]
LIMIT_MARKER = "▽"
# Points measured by a tom-tui reduction run: a marker no band uses, in the band's colour.
REDUCED_MARKER = "◇"
REDUCED_PNG_MARKER = "D"  # an open diamond in PNG images
REDUCED_LABEL = "(reduced here)"
# Points flagged as bad, drawn only when asked for: one grey cross whatever their band.
FLAGGED_MARKER = "✗"
FLAGGED_LABEL = "flagged"
FLAGGED_STYLE = (244, "#8c8c8c")
SPECTRUM_TERMINAL_COLOUR = 39
SPECTRUM_PNG_COLOUR = "#1f4e79"


def band_key(name: str) -> str:
    simplified = re.sub(r"^(ztf|atlas|ps1::|ps1|sdss|2mass|decam|lsst|swift|uvot)", "", name.strip().lower())
    simplified = simplified.strip(":_- ") or name.lower()
    return simplified[-1] if simplified[-1] in BAND_STYLE and len(simplified) <= 2 else simplified


def band_order(name: str) -> tuple[int, str]:
    """Sort key: known bands from blue to red, then the others by name."""
    key = band_key(name)
    return (list(BAND_STYLE).index(key) if key in BAND_STYLE else 99, name)


def mjd_to_date(mjd: float) -> str:
    return from_mjd(float(mjd)).strftime("%Y-%m-%d")
