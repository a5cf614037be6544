"""`tom-tui ingest ...`, `broker ...`, `catalog ...`, `cron` and `jobs ...`.

Broker query flags are derived from each broker's declared options, so
``tom-tui broker query alerce --class-name SNIa`` and the TUI's query form come from one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import (
    AppContext,
    ProgressBar,
    app_command,
    emit_json,
    handle_errors,
    json_flag,
    json_option,
)
from tom_tui.cli.options import click_options, given_values

# -- ingest --


@click.group("ingest")
def ingest() -> None:
    """Ingest alerts from files (Avro packets, YSE-PZ uploads)."""


@ingest.command("alerts")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rules-only", is_flag=True, help="Only alerts matching an [[alert_rules]] rule of the store.")
@click.option("--list", "lists", multiple=True, help="Put the targets in this list (repeatable).")
@click.option(
    "--workers", type=int, default=None, help="Processes decoding files (default: one per CPU, ≤ 4)."
)
@json_option("Print the report as JSON.")
@app_command
def ingest_alerts(
    app: AppContext,
    paths: tuple[Path, ...],
    rules_only: bool,
    lists: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """Ingest ZTF or Rubin/LSST Avro alert files (files or directories)."""
    from tom_tui.services.alerts.ingest import ingest_alert_files

    with ProgressBar("ingesting alerts") as bar:
        report = ingest_alert_files(
            app.store, paths, rules_only=rules_only, lists=lists, workers=workers, progress=bar.stage
        )
    _print_report(report.to_json(), as_json)
    if report.unreadable_files:
        # The readable files are ingested; the exit status tells scripts that some were not.
        raise SystemExit(1)


@ingest.command("yse")
@click.argument("path", type=click.Path(path_type=Path))
@json_option("Print the report as JSON.")
@app_command
def ingest_yse(app: AppContext, path: Path, as_json: bool) -> None:
    """Ingest a YSE-PZ transient upload dictionary (JSON)."""
    from tom_tui.services.alerts.yse import ingest_yse_file

    _print_report(ingest_yse_file(app.store, path).to_json(), as_json)


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"{report['alerts']} alert(s): {report['created']} target(s) created, {report['updated']} updated, "
        f"{report['filtered_out']} filtered out by rules; {report['photometry_stored']} photometry point(s) "
        f"added, {report['photometry_duplicates']} already stored, {report['photometry_replaced']} replaced"
    )
    for rule, count in sorted(report["rule_matches"].items()):
        click.echo(f"  rule {rule}: {count}")
    for reason in report["skipped"]:
        click.echo(f"  skipped: {reason}", err=True)


# -- brokers --


@click.group("broker")
def broker() -> None:
    """Query alert brokers and import their results."""


@broker.command("list")
@json_flag
@handle_errors
def broker_list(as_json: bool) -> None:
    """Installed brokers and their query options."""
    from tom_tui.services.alerts.brokers import BrokerService

    rows = [info.to_json() for info in BrokerService().list_brokers()]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        flags = " ".join(o["flag"] for o in row["options"])
        click.echo(f"{row['name']:<10} {row['label']:<18} {flags}")


QUERY_PREFIX = "query_option__"


class _BrokerCommands(click.Group):
    """One subcommand per installed broker, its flags built from the broker's declared options."""

    def __init__(self, *args: Any, importing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.importing = importing

    def list_commands(self, ctx: click.Context) -> list[str]:
        from tom_tui.services.alerts.brokers import broker_names

        return list(broker_names())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from tom_tui.services.alerts.brokers import BrokerService, broker_names

        if cmd_name not in broker_names():
            return None
        info = BrokerService().describe(cmd_name)
        params: list[click.Parameter] = list(click_options(info.options, QUERY_PREFIX))
        params.append(click.Option(["--json", "as_json"], is_flag=True, help="JSON output."))
        if self.importing:
            params += [
                click.Option(
                    ["--only", "only"], multiple=True, help="Import only this result id (repeatable)."
                ),
                click.Option(["--no-history", "no_history"], is_flag=True, help="Skip light curves."),
                click.Option(["--rules-only"], is_flag=True, help="Only results matching an alert rule."),
                click.Option(["--list", "lists"], multiple=True, help="Put the targets in this list."),
            ]
        else:
            params.append(click.Option(["--dry-run"], is_flag=True, help="Print the request; send nothing."))
        names = [option.name for option in info.options]
        callback = _import_callback(cmd_name, names) if self.importing else _query_callback(cmd_name, names)
        verb = "Import results of" if self.importing else "Query"
        return click.Command(cmd_name, params=params, callback=callback, help=f"{verb} {info.label}.")


def _query_callback(name: str, option_names: list[str]) -> Any:
    @app_command
    def run(app: AppContext, /, as_json: bool, dry_run: bool, **values: Any) -> None:
        from tom_tui.services.alerts.brokers import BrokerService

        service = BrokerService(app.store)
        options = given_values(values, option_names, QUERY_PREFIX)
        if dry_run:
            emit_json(service.request(name, options))
            return
        alerts = service.query(name, options)
        if as_json:
            emit_json([alert.to_json() for alert in alerts])
            return
        for alert in alerts:
            position = "" if alert.ra is None else f"{alert.ra:10.5f} {alert.dec:+10.5f}"
            mag = "" if alert.mag is None else f"{alert.mag:6.2f}"
            click.echo(
                f"{alert.id:<24} {alert.name:<24} {position:<22} {mag:>6} {alert.classification or ''}"
            )
        click.echo(f"{len(alerts)} result(s)", err=True)

    return run


def _import_callback(name: str, option_names: list[str]) -> Any:
    @app_command
    def run(
        app: AppContext,
        /,
        as_json: bool,
        only: tuple[str, ...],
        no_history: bool,
        rules_only: bool,
        lists: tuple[str, ...],
        **values: Any,
    ) -> None:
        from tom_tui.services.alerts.brokers import BrokerService

        service = BrokerService(app.store)
        alerts = service.query(name, given_values(values, option_names, QUERY_PREFIX))
        report = service.import_alerts(
            name, alerts, only=only, with_history=not no_history, rules_only=rules_only, lists=lists
        )
        _print_report(report.to_json(), as_json)

    return run


broker.add_command(_BrokerCommands("query", importing=False, help="Query a broker (flags per broker)."))
broker.add_command(_BrokerCommands("import", importing=True, help="Query a broker and import the results."))

# -- catalogs --


@click.group("catalog")
def catalog() -> None:
    """Resolve names in catalogs (SIMBAD, NED, JPL Horizons, MPC, TNS)."""


@catalog.command("resolve")
@click.argument("name")
@click.option("--catalog", "catalog_name", help="Only this catalog (default: try them in order).")
@click.option("--add", is_flag=True, help="Add the target (or update the one already there).")
@json_flag
@app_command
def catalog_resolve(app: AppContext, name: str, catalog_name: str | None, add: bool, as_json: bool) -> None:
    """Look NAME up and show (or --add) the target it gives."""
    from tom_tui.services.targets.resolve import CatalogService

    outcome = CatalogService(app.store).resolve(name, catalog=catalog_name, add=add)
    if as_json:
        emit_json(outcome.to_json())
        return
    fields = outcome.fields
    click.echo(f"{fields['name']} ({outcome.catalog})")
    for key, value in fields.items():
        if key != "name" and value not in (None, [], {}):
            click.echo(f"  {key}: {value}")
    if add:
        click.echo(f"{outcome.action} target #{outcome.target_id}")


# -- jobs --


@click.command("cron")
@json_flag
@app_command
def cron(app: AppContext, as_json: bool) -> None:
    """Run every due job once (put `*/5 * * * * tom-tui --store DIR cron` in your crontab).

    Exit status 1 when any job failed.
    """
    from tom_tui.services.jobs.scheduler import JobService

    runs = JobService(app.store).run_due()
    if as_json:
        emit_json([run.to_json() for run in runs])
    else:
        for run in runs:
            click.echo(
                f"{run.job}: {run.status} {_counts(run.counts)}{' — ' + run.error if run.error else ''}"
            )
    if any(run.failed for run in runs):
        raise SystemExit(1)


def _counts(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


@click.group("jobs")
def jobs() -> None:
    """Scheduled jobs of the store ([[jobs]] in tom-tui.toml)."""


@jobs.command("list")
@json_flag
@app_command
def jobs_list(app: AppContext, as_json: bool) -> None:
    """Each job with its schedule, last run, status and counts."""
    from tom_tui.services.jobs.scheduler import JobService

    rows = JobService(app.store).status()
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        last = row["last_run"]
        summary = (
            "never run"
            if last is None
            else f"{last['status']} at {last['started']} {_counts(last['counts'])}"
        )
        click.echo(
            f"{row['name']:<20} {row['kind']:<16} {row['schedule']:<22} {summary}  next {row['next_due']}"
        )


@jobs.command("run")
@click.argument("name")
@json_flag
@app_command
def jobs_run(app: AppContext, name: str, as_json: bool) -> None:
    """Run a job now (whether or not it is due)."""
    from tom_tui.domain.errors import TomError
    from tom_tui.services.jobs.scheduler import JobService

    service = JobService(app.store)
    run = service.run(service.job(name), trigger="manual")
    if run is None:
        raise TomError(f"job {name!r} is running in another process; try again when it has finished")
    if as_json:
        emit_json(run.to_json())
    else:
        click.echo(f"{run.job}: {run.status} {_counts(run.counts)}")
        if run.error:
            click.echo(run.error, err=True)
    if run.failed:
        raise SystemExit(1)


@jobs.command("log")
@click.argument("name")
@click.option("--runs", "limit", default=1, show_default=True, help="How many recent runs.")
@json_flag
@app_command
def jobs_log(app: AppContext, name: str, limit: int, as_json: bool) -> None:
    """The log (and error, with traceback) of a job's recent runs."""
    from tom_tui.services.jobs.scheduler import JobService

    runs = JobService(app.store).runs(name, limit)
    if as_json:
        emit_json([run.to_json() for run in runs])
        return
    if not runs:
        click.echo(f"{name}: never run")
    for run in runs:
        click.echo(
            f"== run {run.run_id} ({run.trigger}) {run.started} → {run.ended}: "
            f"{run.status} {_counts(run.counts)}"
        )
        click.echo(run.log.rstrip())
        if run.traceback:
            click.echo(run.traceback.rstrip())


COMMANDS: list[click.Command] = [ingest, broker, catalog, cron, jobs]
