"""A target's altitude through one night, drawn with plotext: the same plot for ``tom-tui plot
visibility`` and the night plan's track view.

plotext fails (IndexError in its legend) on a labelled series with no point inside the y range,
so a series that stays below the horizon all night (a target that never rises, a Moon that is
down) is drawn without a label; :func:`horizon_note` says so in words, outside the plot (plotext
drops a title wider than the plot).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tom_tui.domain.clock import from_mjd
from tom_tui.processing.visibility import NightGrid

ALTITUDE_RANGE = (0.0, 90.0)  # degrees: the plot shows the sky above the horizon only
TARGET_COLOUR = "cyan"
MOON_COLOUR = "gray"
AIRMASS_COLOUR = "red"
TWILIGHT_COLOURS = {"sun": "orange", "nautical": "blue"}
# The same meanings in the PNG (matplotlib colour names; the target's track a strong cyan).
PNG_COLOURS = {"target": "#00a0c0", "moon": "grey", "airmass": "red", "sun": "orange", "nautical": "blue"}


def ever_above_horizon(altitude: npt.NDArray[np.float64]) -> bool:
    """Whether any finite altitude is inside the plotted range."""
    low, high = ALTITUDE_RANGE
    finite = altitude[np.isfinite(altitude)]
    return bool(np.any((finite >= low) & (finite <= high)))


def airmass_altitude(airmass_limit: float) -> float:
    """The altitude (degrees) at which the plane-parallel airmass sec(z) equals ``airmass_limit``."""
    return math.degrees(math.asin(1.0 / airmass_limit))


def track_title(target_name: str, grid: NightGrid) -> str:
    return f"{target_name} from {grid.site.name}, night of {grid.night}"


def horizon_note(target_name: str, altitude: npt.NDArray[np.float64]) -> str:
    """A sentence when the target stays below the horizon all night (the plot then shows no track)."""
    if ever_above_horizon(altitude):
        return ""
    return f"{target_name} never rises above the horizon this night"


def draw_altitude_track(
    plt: Any,
    grid: NightGrid,
    altitude: npt.NDArray[np.float64],
    target_name: str,
    airmass_limit: float,
    *,
    title: str | None = None,
) -> None:
    """Declare the plot on ``plt`` (the plotext module or a textual-plotext widget's ``plt``)."""
    midnight = grid.mid_mjd
    # Hours from local (mean solar) midnight keep the night in the middle of the plot anywhere on Earth.
    hours: list[float] = ((grid.mjd - midnight) * 24.0).tolist()
    target_label = target_name if ever_above_horizon(altitude) else None
    plt.plot(hours, altitude.tolist(), label=target_label, color=TARGET_COLOUR)
    moon_label = f"Moon ({grid.moon_illumination:.0%})" if ever_above_horizon(grid.moon_alt) else None
    plt.plot(hours, grid.moon_alt.tolist(), label=moon_label, color=MOON_COLOUR)
    plt.hline(airmass_altitude(airmass_limit), AIRMASS_COLOUR)
    for name, mjd in grid.twilights().items():
        for kind, colour in TWILIGHT_COLOURS.items():
            if mjd is not None and kind in name:
                plt.vline(float((mjd - midnight) * 24.0), colour)
    plt.ylim(*ALTITUDE_RANGE)
    plt.xlim(hours[0], hours[-1])
    plt.xlabel(f"hours from local midnight ({from_mjd(midnight).strftime('%H:%M')} UTC)")
    plt.ylabel("altitude (deg)")
    plt.title(title if title is not None else track_title(target_name, grid))


def render_altitude_track_text(
    grid: NightGrid,
    altitude: npt.NDArray[np.float64],
    target_name: str,
    airmass_limit: float,
    *,
    width: int = 100,
    height: int = 28,
    title: str | None = None,
) -> str:
    """The finished plot as text (what ``tom-tui plot visibility`` prints)."""
    import plotext

    plotext.clf()
    plotext.plotsize(width, height)
    draw_altitude_track(plotext, grid, altitude, target_name, airmass_limit, title=title)
    text: str = plotext.build()
    plotext.clf()
    return text


def save_altitude_track_png(
    grid: NightGrid,
    altitude: npt.NDArray[np.float64],
    target_name: str,
    airmass_limit: float,
    path: Path,
    *,
    title: str | None = None,
) -> None:
    """The same plot as :func:`draw_altitude_track`, as a PNG image (``plot visibility --png``)."""
    from tom_tui.processing.plots.png import pyplot_for_files

    pyplot = pyplot_for_files()
    midnight = grid.mid_mjd
    hours = (grid.mjd - midnight) * 24.0
    figure, axes = pyplot.subplots(figsize=(7.0, 4.0), dpi=150)
    axes.plot(hours, altitude, color=PNG_COLOURS["target"], lw=1.6, label=target_name)
    axes.plot(
        hours,
        grid.moon_alt,
        color=PNG_COLOURS["moon"],
        lw=1.0,
        ls="--",
        label=f"Moon ({grid.moon_illumination:.0%})",
    )
    axes.axhline(
        airmass_altitude(airmass_limit),
        color=PNG_COLOURS["airmass"],
        lw=0.8,
        label=f"airmass {airmass_limit:g}",
    )
    for name, mjd in grid.twilights().items():
        for kind in ("sun", "nautical"):
            if mjd is not None and kind in name:
                axes.axvline(float((mjd - midnight) * 24.0), color=PNG_COLOURS[kind], lw=0.6)
    axes.set_ylim(*ALTITUDE_RANGE)
    axes.set_xlim(float(hours[0]), float(hours[-1]))
    axes.set_xlabel(f"hours from local midnight ({from_mjd(midnight).strftime('%H:%M')} UTC)")
    axes.set_ylabel("altitude (deg)")
    axes.set_title(title if title is not None else track_title(target_name, grid), fontsize=9)
    note = horizon_note(target_name, altitude)
    if note:
        axes.text(0.5, 0.5, note, transform=axes.transAxes, ha="center", fontsize=9)
    axes.legend(fontsize=7, frameon=False, loc="upper right")
    axes.grid(alpha=0.2)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
