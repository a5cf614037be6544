"""`tom-tui plot ...`: light curves and spectra in the terminal (plotext) or as PNG (matplotlib).

The ``plot`` group is importable so other areas can add their plots (e.g. ``plot visibility``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names


def _terminal_size(width: int | None, height: int | None) -> tuple[int, int]:
    columns, lines = shutil.get_terminal_size((100, 30))
    return width or max(columns, 40), height or max(min(lines - 2, 40), 12)


def _show(text: str) -> None:
    if not sys.stdout.isatty():
        import plotext

        text = plotext.uncolorize(text)
    click.echo(text)


@click.group("plot")
def plot() -> None:
    """Plots in the terminal, or as PNG files with --png."""


@plot.command("lightcurve")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--filter", "filters", multiple=True, help="Only this filter (repeatable).")
@click.option("--since", "since_days", type=float, metavar="DAYS", help="Only the last DAYS days.")
@click.option("--flux", is_flag=True, help="Plot flux (µJy) instead of magnitude.")
@click.option("--dates", is_flag=True, help="Label the time axis with dates instead of MJD.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG image instead.")
@click.option("--width", type=int, help="Plot width in characters (default: terminal width).")
@click.option("--height", type=int, help="Plot height in lines.")
@click.option("--show-flagged", is_flag=True, help="Also draw the points flagged as bad, as grey crosses.")
@app_command
def lightcurve_command(
    app: AppContext,
    target: str,
    filters: tuple[str, ...],
    since_days: float | None,
    flux: bool,
    dates: bool,
    png: Path | None,
    width: int | None,
    height: int | None,
    show_flagged: bool,
) -> None:
    """Light curve of TARGET: one colour and marker per filter, ▽ for upper limits."""
    from tom_tui.domain.clock import now_mjd
    from tom_tui.services.photometry import lightcurve

    since = None if since_days is None else now_mjd() - since_days
    curve = lightcurve.require_points(
        lightcurve.lightcurve_of(
            app.store,
            target,
            filters=list(filters) or None,
            since_mjd=since,
            flux=flux,
            show_flagged=show_flagged,
        ),
        filtered=bool(filters) or since is not None,
    )
    if png is not None:
        lightcurve.save_lightcurve_png(curve.data, png, title=curve.target.name, dates=dates)
        click.echo(f"Wrote {png}")
        return
    plot_width, plot_height = _terminal_size(width, height)
    _show(
        lightcurve.render_lightcurve_text(
            curve.data, width=plot_width, height=plot_height, title=curve.title, dates=dates
        )
    )
    for note in curve.data.notes:
        click.echo(note, err=True)


@plot.command("spectrum")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--id", "spectrum_id", type=int, help="Spectrum id (default: the latest).")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG image instead.")
@click.option("--width", type=int)
@click.option("--height", type=int)
@app_command
def spectrum_command(
    app: AppContext,
    target: str,
    spectrum_id: int | None,
    png: Path | None,
    width: int | None,
    height: int | None,
) -> None:
    """A spectrum of TARGET (the latest unless --id)."""
    from tom_tui.services.photometry import lightcurve

    shown = lightcurve.spectrum_plot(app.store, target, spectrum_id)
    if png is not None:
        lightcurve.save_spectrum_png(shown.data, png, title=shown.title)
        click.echo(f"Wrote {png}")
        return
    plot_width, plot_height = _terminal_size(width, height)
    _show(
        lightcurve.render_spectrum_text(shown.data, width=plot_width, height=plot_height, title=shown.title)
    )


COMMANDS: list[click.Command] = [plot]
