"""`tom-tui photometry TARGET`: one target's points as a table, CSV or JSON.

Kept apart from the data-product commands so that printing a light curve imports only what
reading one does (a script may run it for every target of a list).
"""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_pieces, json_option
from tom_tui.domain.photometry import JSON_FIELDS

# The CSV keeps what was measured and where; the magnitude system, the detection flag and the
# store's bookkeeping are in the --json output.
JSON_ONLY_FIELDS = ("magsys", "detection", "upload_id", "product_id")
POINT_COLUMNS = [name for name in JSON_FIELDS if name not in JSON_ONLY_FIELDS]


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@click.command("photometry")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--filter", "filters", multiple=True, help="Only this filter (repeatable).")
@click.option("--since", "since_days", type=float, metavar="DAYS", help="Only points of the last DAYS days.")
@json_option("JSON list of points.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@click.option("--include-flagged", is_flag=True, help="Also the points flagged as bad.")
@app_command
def photometry_command(
    app: AppContext,
    target: str,
    filters: tuple[str, ...],
    since_days: float | None,
    as_json: bool,
    as_csv: bool,
    include_flagged: bool,
) -> None:
    """Print the photometry of TARGET."""
    from tom_tui.domain.clock import now_mjd
    from tom_tui.services.photometry.reads import photometry_of, points_json_pieces, points_to_json

    since = None if since_days is None else now_mjd() - since_days
    found, table = photometry_of(
        app.store, target, list(filters) or None, since, include_flagged=include_flagged
    )
    if as_json:
        emit_pieces(points_json_pieces(table))
        return
    rows = points_to_json(table)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(POINT_COLUMNS)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in POINT_COLUMNS])
        return
    if not rows:
        click.echo(f"{found.name}: no photometry.")
        return
    click.echo(f"{found.name}: {len(rows)} points")
    click.echo(
        f"{'MJD':>12} {'filter':<8} {'mag':>7} {'err':>6} {'limit':>7} {'flux µJy':>11} {'err':>9}  source"
    )
    for row in rows:
        origin = " ".join(str(row[c]) for c in ("telescope", "instrument", "source") if row[c])
        click.echo(
            f"{row['mjd']:>12.5f} {row['filter'] or '':<8} {_cell(row['mag'], 3):>7} "
            f"{_cell(row['magerr'], 3):>6} "
            f"{_cell(row['limit'], 2):>7} {_cell(row['flux'], 2):>11} {_cell(row['fluxerr'], 2):>9}  {origin}"
        )


COMMANDS: list[click.Command] = [photometry_command]
