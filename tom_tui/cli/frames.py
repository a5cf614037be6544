"""`tom-tui frames ...`: the raw frame archive (import, list, show) and the instrument profiles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import AppContext, app_command, emit_json, json_flag
from tom_tui.domain.frames import Frame, ImageType

TYPE_NAMES = [image_type.value for image_type in ImageType]


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pair(pair: tuple[int, int] | None, joiner: str = "x") -> str:
    return "-" if pair is None else f"{pair[0]}{joiner}{pair[1]}"


def _frame_line(frame: Frame) -> str:
    return (
        f"{frame.id or 0:>6}  {frame.night:<8}  {frame.telescope[:14]:<14}  {frame.image_type.value:<8}  "
        f"{(frame.band or '-')[:8]:<8}  {_number(frame.exposure_s, 1):>7}  {_pair(frame.binning):<5}  "
        f"{frame.object_name[:16]:<16}  {frame.original_name or frame.path.rsplit('/', 1)[-1]}"
    )


@click.group("frames")
def frames_group() -> None:
    """Raw frames: import them into the archive, list them, show one."""


@frames_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--telescope", help="Archive folder raw/<telescope>/ (default: the header's TELESCOP).")
@click.option("--profile", help="Instrument profile for every file (default: the one that claims it).")
@json_flag
@app_command
def import_command(
    app: AppContext, paths: tuple[Path, ...], telescope: str | None, profile: str | None, as_json: bool
) -> None:
    """Import frames (files, or folders of FITS files) into raw/<telescope>/<night>/.

    Each is classified (bias, dark, flat, light or unknown with the reason); a file already in
    the archive is not stored again; a file that cannot be read is refused and the rest go on.
    Exit status 1 if any file was refused."""
    from tom_tui.services.reduction.frames import ImportStatus, import_frames, outcome_counts

    outcomes = import_frames(app.store, list(paths), telescope=telescope, profile=profile)
    refused = [item for item in outcomes if item.status is ImportStatus.REFUSED]
    if as_json:
        emit_json({"files": [item.to_json() for item in outcomes], "counts": outcome_counts(outcomes)})
    else:
        for item in outcomes:
            if item.frame is not None:
                note = f" ({item.frame.unknown_reason})" if item.frame.unknown_reason else ""
                click.echo(f"{item.status.value:<13} {item.frame.id or '-':>6}  {item.frame.path}{note}")
        counts = outcome_counts(outcomes)
        click.echo(", ".join(f"{count} {status}" for status, count in counts.items()))
    for item in refused:
        click.echo(f"Refused: {item.reason}", err=True)
    if refused:
        sys.exit(1)


@frames_group.command("list")
@click.option("--telescope", help="Only this telescope (its raw/ folder name).")
@click.option("--night", help="Only this night, YYYYMMDD (the evening's date).")
@click.option("--type", "image_type", type=click.Choice(TYPE_NAMES), help="Only frames of this type.")
@json_flag
@app_command
def list_command(
    app: AppContext, telescope: str | None, night: str | None, image_type: str | None, as_json: bool
) -> None:
    """List archived frames by night and time."""
    from tom_tui.services.reduction.frames import list_frames

    frames = list_frames(app.store, telescope, night, ImageType(image_type) if image_type else None)
    if as_json:
        emit_json([frame.to_record() for frame in frames])
        return
    if not frames:
        click.echo("No frames.")
        return
    click.echo(
        f"{'id':>6}  {'night':<8}  {'telescope':<14}  {'type':<8}  {'filter':<8}  {'exp(s)':>7}  "
        f"{'bin':<5}  {'object':<16}  file"
    )
    for frame in frames:
        click.echo(_frame_line(frame))


@frames_group.command("show")
@click.argument("frame_id", type=int)
@json_flag
@app_command
def show_command(app: AppContext, frame_id: int, as_json: bool) -> None:
    """Show a frame: its classification (with the reason when unknown) and header summary."""
    from tom_tui.services.reduction.frames import frame_detail

    detail = frame_detail(app.store, frame_id)
    if as_json:
        emit_json(detail.to_json())
        return
    frame = detail.frame
    rows: list[tuple[str, Any]] = [
        ("Frame", frame.id),
        ("File", frame.path),
        ("Original name", frame.original_name),
        ("Type", frame.image_type.value),
        ("Why unknown", frame.unknown_reason),
        ("Telescope", frame.telescope),
        ("Instrument", frame.instrument),
        ("Night", frame.night),
        ("Start (MJD, UTC)", _number(frame.mjd, 6)),
        ("Exposure (s)", _number(frame.exposure_s, 3)),
        ("Filter", frame.band or "-"),
        ("Binning", _pair(frame.binning)),
        ("Size (pix)", _pair(frame.size)),
        ("Object", frame.object_name),
        ("Polarizer (deg)", _number(frame.polarizer_deg, 1)),
        ("Half-wave plate (deg)", _number(frame.hwp_deg, 1)),
        ("Profile", frame.profile),
        ("SHA-256", frame.sha256),
    ]
    for label, value in rows:
        if value not in ("", None) and not (label.endswith("(deg)") and value == "-"):
            click.echo(f"{label + ':':<23}{value}")
    detector = detail.detector
    click.echo(
        f"{'Detector:':<23}gain {_number(detector.gain, 2)} e-/ADU, read noise "
        f"{_number(detector.read_noise, 2)} e-, saturation {_number(detector.saturation, 0)} ADU, "
        f"overscan {detector.overscan or '-'}, trim {detector.trim or '-'}"
    )
    if detail.header:
        click.echo("Header:")
        for keyword, value in detail.header.items():
            click.echo(f"  {keyword:<9}= {value!r}")


@frames_group.command("profiles")
@json_flag
@app_command
def profiles_command(app: AppContext, as_json: bool) -> None:
    """List the instrument profiles: installed ones and those of tom-tui.toml [instruments.NAME]."""
    from tom_tui.services.reduction.profiles import profile_summaries

    summaries = profile_summaries(app.store.config)
    if as_json:
        emit_json(summaries)
        return
    for summary in summaries:
        claims = (
            ", ".join([*summary["telescopes"], *summary["instruments"]])
            or "any frame no other profile claims"
        )
        click.echo(f"{summary['name']}: {summary['description']} (for {claims})")


COMMANDS: list[click.Command] = [frames_group]
