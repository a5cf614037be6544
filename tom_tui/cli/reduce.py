"""`tom-tui reduce ...`: reduce raw frames (run), and look at the runs (list, show)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tom_tui.cli.common import AppContext, app_command, emit_json, json_flag
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, RunRecord, RunSelection, frames_summary

if TYPE_CHECKING:  # the run service is imported when a command runs, not when the CLI starts
    from tom_tui.services.reduction.runs import RunProgress


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _outcome_line(outcome: FrameOutcome) -> str:
    zero_point = (
        f"{outcome.zero_point:.3f}±{_number(outcome.zero_point_error, 3)}"
        if outcome.zero_point is not None
        else "-"
    )
    stars = "-" if outcome.star_count is None else str(outcome.star_count)
    band = (outcome.band or "-")[:6]
    return (
        f"{outcome.frame_id:>6}  {outcome.status.value:<7}  {outcome.night:<8}  {band:<6}  "
        f"{_number(outcome.fwhm_px, 2):>5}  {_number(outcome.astrometric_rms_px, 3):>6}  {zero_point:<13}  "
        f"{stars:>5}  {outcome.raw_path.rsplit('/', 1)[-1]}"
    )


def _progress_printer() -> Callable[[RunProgress], None] | None:
    """One line per finished frame on stderr, for a person watching a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(progress: RunProgress) -> None:
        if progress.stage == "masters":
            click.echo(f"masters {progress.done}/{progress.total}", err=True)
        elif progress.outcome is not None:
            reason = (
                f" ({progress.outcome.reasons[-1]})" if progress.outcome.status is FrameStatus.FAILED else ""
            )
            name = progress.outcome.raw_path.rsplit("/", 1)[-1]
            click.echo(
                f"[{progress.done}/{progress.total}] {name} {progress.outcome.status.value}{reason}", err=True
            )

    return show


def _selection(
    telescope: str | None, night: str | None, date_from: str | None, date_to: str | None, target: str | None
) -> RunSelection:
    try:
        return RunSelection.of(telescope, night, date_from, date_to, target)
    except ValidationError as error:
        raise click.UsageError(str(error)) from None


@click.group("reduce")
def reduce_group() -> None:
    """Reduce raw frames to calibrated frames and light-curve points; list and show runs."""


@reduce_group.command("run")
@click.option("--telescope", help="Only frames of this telescope (its raw/ folder name).")
@click.option("--night", help="Only this night (YYYY-MM-DD or YYYYMMDD, the evening's date).")
@click.option("--from", "date_from", help="First night of a range (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Last night of a range (YYYY-MM-DD).")
@click.option("--target", help="Only frames taken for this target or holding it (name or id).")
@click.option("--force", is_flag=True, help="Reduce frames already done with this configuration again.")
@click.option("--retry-failed", is_flag=True, help="Reduce frames that failed with this configuration again.")
@click.option("--scheduler", help="A running Dask scheduler, tcp://HOST:PORT (default: local processes).")
@click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (default: one per core).")
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Reference catalog file (ECSV, CSV, FITS: RA, Dec and magnitudes named after the filter).",
)
@json_flag
@app_command
def run_command(
    app: AppContext,
    telescope: str | None,
    night: str | None,
    date_from: str | None,
    date_to: str | None,
    target: str | None,
    force: bool,
    retry_failed: bool,
    scheduler: str | None,
    workers: int | None,
    catalog: Path | None,
    as_json: bool,
) -> None:
    """Reduce the archive's light frames: masters, calibration, astrometry, photometry, and the
    targets' points onto their light curves. Frames done before with the same configuration are
    skipped. Exit status 1 if any frame failed (the reasons are in `reduce show RUN`)."""
    from tom_tui.services.reduction.executors import check_scheduler_address
    from tom_tui.services.reduction.runs import start_run

    selection = _selection(telescope, night, date_from, date_to, target)
    if scheduler:
        try:
            check_scheduler_address(scheduler)
        except ValidationError as error:
            raise click.UsageError(str(error)) from None
    record = start_run(
        app.store,
        selection,
        force=force,
        retry_failed=retry_failed,
        scheduler=scheduler,
        workers=workers,
        catalog=catalog,
        progress=None if as_json else _progress_printer(),
    )
    if as_json:
        emit_json(record.to_json())
    else:
        click.echo(f"Run {record.id}: {frames_summary(record.outcomes)} ({record.scheduler})")
        for outcome in record.outcomes:
            if outcome.status is FrameStatus.FAILED:
                click.echo(f"  frame {outcome.frame_id} failed: {'; '.join(outcome.reasons)}")
    if record.failed:
        click.echo(f"Error: some frames failed; see `tom-tui reduce show {record.id}`", err=True)
        sys.exit(1)


@reduce_group.command("list")
@json_flag
@app_command
def list_command(app: AppContext, as_json: bool) -> None:
    """List reduction runs, newest first."""
    from tom_tui.services.reduction.runs import list_runs

    runs = list_runs(app.store)
    if as_json:
        emit_json([run.summary_json() for run in runs])
        return
    if not runs:
        click.echo("No reduction runs.")
        return
    click.echo(f"{'run':>5}  {'started (UTC)':<25}  {'frames':<28}  selection")
    for run in runs:
        frames = frames_summary(run.outcomes) + ("" if run.finished else " (running)")
        click.echo(f"{run.id:>5}  {run.created:<25}  {frames:<28}  {run.selection.describe()}")


def _show_record(record: RunRecord) -> None:
    rows = [
        ("Run", str(record.id)),
        ("Started", record.created),
        ("Finished", record.finished or "(running)"),
        ("Selection", record.selection.describe()),
        ("Frames", frames_summary(record.outcomes)),
        ("Ran on", f"{record.scheduler} ({record.workers} worker(s))"),
        ("Configuration", f"{record.config_hash} (tom-tui {record.version})"),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<15}{value}")
    for master in record.masters:
        how = "built" if master.built else "used"
        click.echo(f"Master {master.kind} {how}: {master.path} ({len(master.source_frame_ids)} frames)")
        if master.warning:
            click.echo(f"  warning: {master.warning}")
    if record.outcomes:
        click.echo(
            f"{'frame':>6}  {'status':<7}  {'night':<8}  {'filter':<6}  {'fwhm':>5}  {'rms px':>6}  "
            f"{'zero point':<13}  {'stars':>5}  file"
        )
    for outcome in record.outcomes:
        click.echo(_outcome_line(outcome))
        for reason in outcome.reasons:
            click.echo(f"        {reason}")


@reduce_group.command("show")
@click.argument("run_id")
@click.option("--log", "with_log", is_flag=True, help="Also print the run's log.")
@json_flag
@app_command
def show_command(app: AppContext, run_id: str, with_log: bool, as_json: bool) -> None:
    """Show a run: its configuration, masters, and every frame's outcome with its reasons."""
    from tom_tui.services.reduction.runs import run_detail

    record = run_detail(app.store, run_id)
    if as_json:
        emit_json(record.to_json())
        return
    _show_record(record)
    if with_log:
        click.echo("Log:")
        for line in record.log:
            click.echo(f"  {line}")


COMMANDS: list[click.Command] = [reduce_group]
