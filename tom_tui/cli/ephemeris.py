"""`tom-tui ephemeris`: where a target is over a time range, from the observatory or the geocentre."""

from __future__ import annotations

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_json, json_flag
from tom_tui.domain.angles import dec_sexagesimal, ra_sexagesimal


@click.command("ephemeris")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--start", help="First time: YYYY-MM-DD[THH:MM] UTC or an MJD (default: now).")
@click.option("--end", help="Last time (default: a day after --start).")
@click.option("--step", default="1h", show_default=True, help="Between rows: 10m, 1h, 1d...")
@click.option("--site", help="Observatory name or LAT,LON,HEIGHT (default: [observatory] site).")
@click.option("--geocentric", is_flag=True, help="From the Earth's centre instead of the site.")
@json_flag
@app_command
def ephemeris_command(
    app: AppContext,
    target: str,
    start: str | None,
    end: str | None,
    step: str,
    site: str | None,
    geocentric: bool,
    as_json: bool,
) -> None:
    """RA and Dec of TARGET at each step (ICRS, light-time corrected); for a moving target also
    its rates (arcsec/hour, dRA·cos Dec) and distances (AU) from the observer and the Sun.
    Sidereal targets move by their proper motion."""
    from tom_tui.services.targets.ephemeris import ephemeris_for

    table = ephemeris_for(
        app.store, target, start=start, end=end, step=step, site_text=site, geocentric=geocentric
    )
    if as_json:
        emit_json(table.to_json())
        return
    observer = table.site.name if table.site else "the geocentre"
    click.echo(f"{table.target} from {observer} (RA/Dec ICRS, astrometric; times UTC)")
    header = f"{'UTC':<19}  {'RA':>12}  {'Dec':>12}"
    if table.moving:
        header += f"  {'dRA*cosD':>9}  {'dDec':>9}  {'delta AU':>10}  {'r AU':>8}"
    click.echo(header)
    for row in table.rows:
        line = f"{row['utc']:<19}  {ra_sexagesimal(row['ra']):>12}  {dec_sexagesimal(row['dec']):>12}"
        if table.moving:
            line += (
                f"  {row['ra_rate']:>9.2f}  {row['dec_rate']:>9.2f}  {row['delta']:>10.6f}  {row['r']:>8.5f}"
            )
        click.echo(line)


COMMANDS = (ephemeris_command,)
