"""`tom-tui polarimetry TARGET`: a target's linear polarisation, as a table, JSON or a plot."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_json, json_flag
from tom_tui.domain.clock import from_mjd
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.polarimetry import PolarizationMeasurement

HEADER = (
    f"{'MJD':>11}  {'UTC':<16}  {'band':<6}  {'p %':>6}  {'±':>5}  {'p_deb %':>7}  {'χ deg':>6}  {'±':>5}  "
    f"{'q %':>6}  {'u %':>6}  instrument  run"
)


def _in(bands: tuple[str, ...]) -> str:
    return f" in {', '.join(bands)}" if bands else ""


def _line(item: PolarizationMeasurement) -> str:
    return (
        f"{item.mjd:>11.5f}  {from_mjd(item.mjd).strftime('%Y-%m-%d %H:%M'):<16}  {item.band[:6]:<6}  "
        f"{100 * item.p:>6.2f}  {100 * item.p_err:>5.2f}  {100 * item.p_debiased:>7.2f}  "
        f"{item.chi_deg:>6.1f}  {item.chi_err_deg:>5.1f}  {100 * item.q:>6.2f}  {100 * item.u:>6.2f}  "
        f"{(item.instrument or item.telescope or '-')[:10]:<10}  {item.run or '-'}"
    )


@click.command("polarimetry")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--filter", "bands", multiple=True, help="Only this filter (repeatable).")
@click.option("--plot", "as_plot", is_flag=True, help="Draw p and χ against time in the terminal.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Write the plot as a PNG image.")
@click.option("--width", type=int, help="Plot width in characters (default: terminal width).")
@click.option("--height", type=int, help="Plot height in lines.")
@json_flag
@app_command
def polarimetry_command(
    app: AppContext,
    target: str,
    bands: tuple[str, ...],
    as_plot: bool,
    png: Path | None,
    width: int | None,
    height: int | None,
    as_json: bool,
) -> None:
    """Linear polarisation of TARGET, one row per set of frames: degree p (and debiased), angle χ
    east of north, Stokes q and u, all corrected for the instrument."""
    from tom_tui.services.reduction.polarimetry import polarimetry_of, render_polarimetry_text, save_plot

    shown = polarimetry_of(app.store, target, bands)
    if as_json:
        emit_json(
            {
                "target": {"id": shown.target.id, "name": shown.target.name},
                "measurements": [item.to_record() for item in shown.measurements],
            }
        )
        return
    if not shown.measurements:
        if as_plot or png is not None:
            raise NotFoundError(f"{shown.target.name} has no polarimetry{_in(bands)} to plot")
        click.echo(f"{shown.target.name} has no polarimetry{_in(bands)}.")
        return
    if png is not None:
        save_plot(shown, png)
        click.echo(f"Wrote {png}")
    elif as_plot:
        columns, lines = shutil.get_terminal_size((100, 30))
        text = render_polarimetry_text(
            shown.plot_data(),
            width=width or max(columns, 40),
            height=height or max(min(lines - 2, 40), 16),
            title=shown.title,
        )
        if not sys.stdout.isatty():
            import plotext

            text = plotext.uncolorize(text)
        click.echo(text)
    else:
        click.echo(HEADER)
        for item in shown.measurements:
            click.echo(_line(item))


COMMANDS: list[click.Command] = [polarimetry_command]
