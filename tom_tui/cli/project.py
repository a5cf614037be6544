"""`tom-tui project ...`: bulk survey projects (download, reduce, quality, find, inject, histograms)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import AppContext, app_command, emit_json, fail, json_flag


@click.group("project")
def project_group() -> None:
    """Bulk survey projects: a catalogue through download, light curves, quality, event search,
    injections and histograms, on a Dask cluster."""


def _counts(statuses: dict[str, int]) -> str:
    order = ("downloaded", "known", "empty", "failed", "pending")
    named = [f"{statuses.get(status, 0)} {status}" for status in order if statuses.get(status, 0)]
    return ", ".join(named) or "none yet"


def _print_run(summary: dict[str, Any]) -> None:
    click.echo(f"Project {summary['project']}, version {summary['version']} ({summary['folder']})")
    click.echo(
        f"  {summary['bins_done']} of {summary['bins']} RA bins ({summary['bins_skipped']} already done), "
        f"{summary['sources']} sources, {summary['rejected']} catalogue row(s) rejected"
    )
    click.echo(f"  downloads: {_counts(summary['statuses'])}")
    click.echo(f"  detections: {summary['detections']}")
    for reason, count in sorted(summary["failure_reasons"].items(), key=lambda item: -item[1]):
        click.echo(f"failed {count}×: {reason}", err=True)


@project_group.command("run")
@click.argument("project_file", type=click.Path(path_type=Path))
@click.option(
    "--scheduler", metavar="tcp://HOST:PORT", help="Use this Dask cluster (default: start local workers)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local worker processes (default: one per core; 1 runs in this process).",
)
@json_flag
@app_command
def run_command(
    app: AppContext, project_file: Path, scheduler: str | None, workers: int | None, as_json: bool
) -> None:
    """Run every stage of PROJECT_FILE over every RA bin that is not done yet.

    A killed run resumes where it stopped; downloads already made are never repeated. Exit
    status 1 if the run stopped because downloads kept failing."""
    from tom_tui.services.projects.run import run_project

    def show_progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r… {done}/{total} RA bins", err=True, nl=done == total)

    summary = run_project(
        app.store, project_file, scheduler=scheduler, workers=workers, progress=show_progress
    )
    if as_json:
        emit_json(summary.as_dict())
    else:
        _print_run(summary.as_dict())
    if summary.stopped:
        fail(f"{summary.stopped}; the run stopped, what was downloaded is kept: run it again to resume")


@project_group.command("status")
@click.argument("project_file", type=click.Path(path_type=Path))
@json_flag
@app_command
def status_command(app: AppContext, project_file: Path, as_json: bool) -> None:
    """How far PROJECT_FILE has come: bins done, sources by download status, detections, the
    detection efficiency the injections measured, and the event rates and upper limits."""
    from tom_tui.services.projects.results import project_status, rates

    status = project_status(app.store, project_file)
    table = rates(app.store, status.folder)
    if as_json:
        emit_json({**status.as_dict(), "rates": table.to_dict("records")})
        return
    click.echo(f"Project {status.project}, version {status.version} ({status.folder})")
    click.echo(
        f"  {status.bins_done} of {status.bins} RA bins done, {status.sources} sources, "
        f"{status.rejected} catalogue row(s) rejected"
    )
    click.echo(f"  downloads: {_counts(status.statuses)}")
    click.echo(f"  detections: {status.detections}")
    if len(table):
        click.echo(
            "  filter  amplitude  recovered  efficiency  source-years  detections  rate /src/yr  95% limit"
        )
        for row in table.to_dict("records"):
            click.echo(
                f"  {row['filter']:<7} {row['amplitude']:>9g}  {row['recovered']:>4}/{row['injected']:<4} "
                f"{row['efficiency']:>10.2f}  {row['source_years']:>12.2f}  {row['detections']:>10}  "
                f"{row['rate']:>12.3g}  {row['upper_limit']:>9.3g}"
            )


@project_group.command("promote")
@click.argument("project_file", type=click.Path(path_type=Path))
@click.option("--min-score", type=float, required=True, help="Lowest detection score (peak S/N) to promote.")
@json_flag
@app_command
def promote_command(app: AppContext, project_file: Path, min_score: float, as_json: bool) -> None:
    """Make targets of the detections of PROJECT_FILE scoring at least --min-score (one per
    source; sources already in the store, by name or position, are skipped)."""
    from tom_tui.services.projects.results import promote

    outcome = promote(app.store, project_file, min_score)
    if as_json:
        emit_json({"considered": outcome.considered, "created": outcome.created, "skipped": outcome.skipped})
        return
    for name in outcome.created:
        click.echo(f"created  {name}")
    for name in outcome.skipped:
        click.echo(f"skipped  {name} (already a target)")
    click.echo(f"{len(outcome.created)} target(s) created, {len(outcome.skipped)} skipped")


COMMANDS = [project_group]
