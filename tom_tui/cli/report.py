"""`tom-tui report ...`: publish to Hermes, report discoveries and classifications to TNS."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_json, fail, json_flag

if TYPE_CHECKING:
    from tom_tui.services.sharing.reports import TnsOutcome


@click.group("report")
def report() -> None:
    """Publish photometry and spectra to Hermes; send AT and classification reports to TNS."""


@report.command("hermes")
@click.argument("target", shell_complete=complete_target_names)
@click.option(
    "--to", "to", required=True, metavar="NAME", help='Destination: a [sharing.NAME] table, kind "hermes".'
)
@click.option("--photometry", is_flag=True, help="Publish the photometry (with neither flag: both).")
@click.option("--spectra", is_flag=True, help="Publish the spectra (with neither flag: both).")
@click.option("--since", metavar="MJD|DATE", help="Only data from this date on.")
@click.option("--title", metavar="TEXT", help="The message's title (default: the target and what it holds).")
@click.option("--message", "message_text", default="", metavar="TEXT", help="The message's text.")
@click.option("--dry-run", is_flag=True, help="Print the message; send nothing.")
@json_flag
@app_command
def hermes_command(
    app: AppContext,
    target: str,
    to: str,
    photometry: bool,
    spectra: bool,
    since: str | None,
    title: str | None,
    message_text: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Publish TARGET's photometry and spectra as a Hermes message; what was published on the
    destination's topic before is not sent again."""
    from tom_tui.services.sharing.reports import HermesRequest, publish_to_hermes
    from tom_tui.services.surveys.fetch import parse_since

    request = HermesRequest(
        photometry, spectra, None if since is None else parse_since(since), dry_run, title, message_text
    )
    outcome = publish_to_hermes(app.store, target, to, request)
    if as_json:
        emit_json(outcome.to_json())
        return
    if dry_run and outcome.message is not None:
        click.echo(json.dumps(outcome.message, indent=2, ensure_ascii=False))
    for reason in outcome.refused:
        click.echo(f"left out: {reason}", err=True)
    click.echo(outcome.describe(), err=dry_run)


@report.command("tns-at")
@click.argument("target", shell_complete=complete_target_names)
@click.option(
    "--to", "to", required=True, metavar="NAME", help='Destination: a [sharing.NAME] table, kind "tns".'
)
@click.option("--position-error", type=float, metavar="ARCSEC", help="The position's uncertainty.")
@click.option("--dry-run", is_flag=True, help="Print the report's JSON; send nothing.")
@json_flag
@app_command
def tns_at_command(
    app: AppContext, target: str, to: str, position_error: float | None, dry_run: bool, as_json: bool
) -> None:
    """Report TARGET to TNS as a new transient (an AT report from its photometry: discovery at the
    first detection, the last non-detection before it). Never sent twice: run again, it asks TNS
    for the reply of the report already sent."""
    from tom_tui.services.sharing.reports import report_at

    outcome = report_at(app.store, target, to, dry_run=dry_run, position_error_arcsec=position_error)
    _show_tns(outcome, as_json)


@report.command("tns-class")
@click.argument("target", shell_complete=complete_target_names)
@click.option(
    "--to", "to", required=True, metavar="NAME", help='Destination: a [sharing.NAME] table, kind "tns".'
)
@click.option(
    "--type", "object_type", required=True, metavar="TYPE", help='TNS object type: "SN Ia", "SN II", "TDE"...'
)
@click.option("--redshift", type=float, metavar="Z", help="The redshift measured.")
@click.option(
    "--spectrum",
    "spectrum_ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="A spectrum of TARGET (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Print the report's JSON; send nothing.")
@json_flag
@app_command
def tns_class_command(
    app: AppContext,
    target: str,
    to: str,
    object_type: str,
    redshift: float | None,
    spectrum_ids: tuple[int, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Report TARGET's classification to TNS (TARGET needs its TNS name as its name or an alias)."""
    from tom_tui.services.sharing.reports import report_classification

    outcome = report_classification(
        app.store, target, to, object_type, redshift=redshift, spectrum_ids=spectrum_ids, dry_run=dry_run
    )
    _show_tns(outcome, as_json)


def _show_tns(outcome: TnsOutcome, as_json: bool) -> None:
    from tom_tui.services.sharing.reports import REJECTED

    if as_json:
        emit_json(outcome.to_json())
    elif outcome.dry_run:
        click.echo(json.dumps(outcome.report, indent=2, ensure_ascii=False))
        click.echo(outcome.describe(), err=True)
    else:
        click.echo(outcome.describe())
    if outcome.status == REJECTED:
        fail(outcome.describe())


COMMANDS: list[click.Command] = [report]
