"""`tom-tui survey ...`: fetch survey photometry of targets; list the survey services."""

from __future__ import annotations

import click

from tom_tui.cli.common import (
    AppContext,
    ProgressBar,
    app_command,
    complete_target_names,
    emit_json,
    fail,
    handle_errors,
    json_flag,
    pass_app,
)


@click.group("survey")
def survey() -> None:
    """Survey photometry (ZTF, ATLAS, Pan-STARRS, Gaia, the simulated survey) of targets."""


@survey.command("fetch")
@click.argument("targets", nargs=-1)
@click.option("--list", "list_name", metavar="LIST", help="Fetch every target of this list.")
@click.option(
    "--survey",
    "survey_name",
    default="simulated",
    show_default=True,
    metavar="NAME",
    help="Survey service (see `tom-tui survey list`).",
)
@click.option("--force", is_flag=True, help="Fetch again targets fetched before.")
@click.option("--new", "new_only", is_flag=True, help="Fetch only data newer than the last fetch.")
@click.option("--since", metavar="MJD|DATE", help="Only measurements from this date on.")
@click.option("--radius", type=float, metavar="ARCSEC", help="Match radius (default: the survey's).")
@json_flag
@app_command
def survey_fetch(
    app: AppContext,
    targets: tuple[str, ...],
    list_name: str | None,
    survey_name: str,
    force: bool,
    new_only: bool,
    since: str | None,
    radius: float | None,
    as_json: bool,
) -> None:
    """Fetch a survey's photometry of TARGETS (names, aliases or #ids) or of a list, and store it."""
    from tom_tui.domain.errors import ValidationError
    from tom_tui.services.surveys.fetch import TargetListRef, fetch_survey, parse_since

    if bool(targets) == bool(list_name):
        raise ValidationError("survey fetch: give target names or #ids, or --list LIST (not both)")
    chosen = TargetListRef(list_name) if list_name else list(targets)
    with ProgressBar(f"{survey_name} photometry") as bar:
        summary = fetch_survey(
            app.store,
            chosen,
            survey_name,
            force=force,
            new=new_only,
            since_mjd=None if since is None else parse_since(since),
            radius_arcsec=radius,
            progress=bar.update,
        )
    if as_json:
        emit_json(summary.to_json())
    else:
        for result in summary.targets:
            detail = f"{result.added} added, {result.duplicates} already stored"
            if result.status in {"failed", "skipped", "pending", "empty"}:
                detail = result.reason or result.status
            click.echo(f"{result.name:<24} {result.status:<8} {detail}")
        click.echo(summary.describe())
    if summary.failed and len(summary.failed) == len(summary.targets):
        fail(f"{survey_name}: every target failed; the first: {summary.failed[0].reason}")


@survey.command("status")
@click.argument("target", required=False, shell_complete=complete_target_names)
@json_flag
@app_command
def survey_status(app: AppContext, target: str | None, as_json: bool) -> None:
    """What each survey answered for TARGET (or every target): when, how many points, empty or
    not; and the tasks still queued at a service."""
    from tom_tui.services.surveys.fetch import fetch_records

    rows = fetch_records(app.store, target)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no survey has been asked yet; see `tom-tui survey fetch --help`")
    for row in rows:
        if row["target_id"] is None:
            click.echo(f"{'(queued)':<24} {row['survey']:<10} {row['pending_task']}")
            continue
        found = "nothing there" if row.get("empty") else f"{row.get('rows', 0)} point(s)"
        click.echo(f"{row.get('name', ''):<24} {row['survey']:<10} {row.get('fetched', '')}  {found}")


@survey.command("list")
@json_flag
@pass_app
@handle_errors
def survey_list(app: AppContext, as_json: bool) -> None:
    """Survey services, their base URLs, settings and the credentials they need."""
    from tom_tui.services.surveys.fetch import describe_surveys

    store = app.store if app.store_path.exists() else None
    rows = describe_surveys(store)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        if "error" in row:
            click.echo(f"{row['name']:<10} {row['error']}")
            continue
        needs = f" needs {', '.join(row['credentials'])}" if row["credentials"] else ""
        click.echo(f"{row['name']:<10} {row['label']:<34} {row['base_url']}{needs}")


COMMANDS: list[click.Command] = [survey]
