"""`tom-tui finder`: a finding chart of a target, drawn in the terminal or written as a PNG."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_json, json_flag

if TYPE_CHECKING:
    from tom_tui.services.observations.finder import FinderChart

TARGET_CELL = "#ff3030"
STAR_CELL = "#40a0ff"


@click.command("finder")
@click.argument("target", shell_complete=complete_target_names)
@click.option(
    "--fov", "fov_arcmin", type=float, default=5.0, show_default=True, help="Field of view, arcminutes."
)
@click.option("--service", help="Image service: simulated (offline), hips2fits (default: [finder] service).")
@click.option(
    "--at", "at_time", help="For a moving target: the time (YYYY-MM-DD[THH:MM] UTC or MJD; default now)."
)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG chart instead.")
@json_flag
@app_command
def finder_command(
    app: AppContext,
    target: str,
    fov_arcmin: float,
    service: str | None,
    at_time: str | None,
    png: Path | None,
    as_json: bool,
) -> None:
    """A finding chart of TARGET: the field's image, the target marked, offset stars A, B, C... with
    the offsets from each to the target (arcsec east and north), scale and orientation."""
    from tom_tui.services.observations.finder import make_finder, save_png
    from tom_tui.services.targets.ephemeris import parse_time

    mjd = parse_time(at_time, "--at") if at_time else None
    chart = make_finder(app.store, target, fov_arcmin=fov_arcmin, service=service, mjd=mjd)
    if as_json:
        emit_json(chart.to_json())
        return
    if png is not None:
        save_png(chart, png)
        click.echo(f"Wrote {png}")
        return
    _draw(chart)


def _orientation(chart: FinderChart) -> str:
    north_x, north_y = chart.direction(0.0, 1.0)
    east_x, _ = chart.direction(1.0, 0.0)
    if north_y > 0.99 and east_x < -0.99:
        return "north up, east left"
    return f"north {_compass(north_x, north_y)}, east {_compass(*chart.direction(1.0, 0.0))}"


def _compass(dx: float, dy: float) -> str:
    import math

    angle = math.degrees(math.atan2(dx, dy)) % 360  # 0 = up, 90 = right
    return ("up", "up-right", "right", "down-right", "down", "down-left", "left", "up-left")[
        round(angle / 45) % 8
    ]


def _draw(chart: FinderChart) -> None:
    from rich.console import Console
    from rich.text import Text

    from tom_tui.services.observations.finder import preview

    columns, rows = shutil.get_terminal_size((80, 24))
    picture, target_cell, stars = preview(chart, min(columns, 100), max(8, min(rows - 8, 40)))
    marks = {target_cell: TARGET_CELL, **{(row, column): STAR_CELL for _, row, column in stars}}
    text = Text()
    for pair in range(0, picture.pixel_rows - 1, 2):
        for column in range(picture.pixel_columns):
            upper = marks.get((pair, column), _grey(int(picture.levels[pair, column])))
            lower = marks.get((pair + 1, column), _grey(int(picture.levels[pair + 1, column])))
            text.append("▀", style=f"{upper} on {lower}")
        text.append("\n")
    console = Console(highlight=False)
    console.print(
        f"{chart.name}: {chart.fov_arcmin:.1f}' field from {chart.source}, {_orientation(chart)}"
        " (red: target, blue: offset stars)"
    )
    console.print(text, end="")
    for star in chart.stars:
        console.print(
            f'  {star.label}: {star.east_arcsec:+8.1f}" E {star.north_arcsec:+8.1f}" N to the target'
            f"  (star at RA {star.ra:.5f} Dec {star.dec:+.5f})"
        )


def _grey(level: int) -> str:
    # Survey plates are shown as the sky looks: stars light on dark.
    return f"#{level:02x}{level:02x}{level:02x}"


COMMANDS = (finder_command,)
