"""`tom-tui share` and `tom-tui pull`: targets and data to and from a TOM Toolkit."""

from __future__ import annotations

import click

from tom_tui.cli.common import AppContext, app_command, emit_json, fail, json_flag


@click.command("share")
@click.argument("targets", nargs=-1)
@click.option("--list", "list_name", metavar="LIST", help="Share every target of this list.")
@click.option("--to", "to", required=True, metavar="NAME", help="Destination: a [sharing.NAME] table.")
@click.option("--photometry", is_flag=True, help="Send the targets' photometry too.")
@click.option("--spectra", is_flag=True, help="Send the targets' spectra too.")
@click.option("--since", metavar="MJD|DATE", help="Only data from this date on.")
@click.option("--dry-run", is_flag=True, help="Look the targets up and say what would be sent; send nothing.")
@json_flag
@app_command
def share_command(
    app: AppContext,
    targets: tuple[str, ...],
    list_name: str | None,
    to: str,
    photometry: bool,
    spectra: bool,
    since: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Share TARGETS (names, aliases or #ids) or a list with a TOM Toolkit: found there by name,
    alias or position, created when missing, then the data asked for, never sent twice."""
    from tom_tui.domain.errors import ValidationError
    from tom_tui.services.sharing.share import ShareRequest, share_targets
    from tom_tui.services.surveys.fetch import TargetListRef, parse_since

    if bool(targets) == bool(list_name):
        raise ValidationError("share: give target names or #ids, or --list LIST (not both)")
    request = ShareRequest(photometry, spectra, None if since is None else parse_since(since), dry_run)
    summary = share_targets(app.store, TargetListRef(list_name) if list_name else list(targets), to, request)
    if as_json:
        emit_json(summary.to_json())
    else:
        for result in summary.targets:
            there = f"→ {result.remote_name}" if result.remote_name else ""
            counts = (
                f"{result.points_sent} point(s), {result.spectra_sent} spectra; {result.points_skipped} there"
            )
            click.echo(f"{result.name:<24} {result.status:<10} {there} {counts}".rstrip())
            if result.refusals:
                click.echo(f"  refused: {result.reason}")
        click.echo(summary.describe())
    if summary.refused:
        fail(f"{to}: {len(summary.refused)} target(s) refused; the first: {summary.refused[0].reason}")


@click.command("pull")
@click.option("--from", "source", required=True, metavar="NAME", help="Source: a [sharing.NAME] table.")
@click.option("--list", "list_name", metavar="LIST", help="Put the pulled targets in this list here.")
@click.option("--since", metavar="MJD|DATE", help="Only photometry from this date on.")
@json_flag
@app_command
def pull_command(
    app: AppContext, source: str, list_name: str | None, since: str | None, as_json: bool
) -> None:
    """Bring a TOM Toolkit's targets (aliases, extras) and photometry in; targets already here
    are merged, points already here are skipped."""
    from tom_tui.services.sharing.pull import pull_targets
    from tom_tui.services.surveys.fetch import parse_since

    summary = pull_targets(
        app.store, source, into_list=list_name, since_mjd=None if since is None else parse_since(since)
    )
    if as_json:
        emit_json(summary.to_json())
    else:
        for result in summary.targets:
            detail = result.reason or f"{result.points_added} added, {result.points_skipped} already here"
            click.echo(f"{result.name:<24} {result.status:<8} {detail}")
        click.echo(summary.describe())
    if summary.refused:
        fail(f"{source}: {len(summary.refused)} target(s) refused; the first: {summary.refused[0].reason}")


COMMANDS = [share_command, pull_command]
