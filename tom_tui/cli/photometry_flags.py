"""`tom-tui photometry`: a target's points (`photometry TARGET`), and flagging bad ones
(`photometry flag`, `unflag`, `flags`).

`photometry TARGET` stays the short way to print a light curve: a first word that is not one of
the subcommands is taken as the target of `photometry show`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tom_tui.cli.common import AppContext, app_command, complete_target_names, emit_json, json_option
from tom_tui.cli.photometry import photometry_command

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from tom_tui.services.photometry.flags import PointSelection

F = TypeVar("F", bound=Callable[..., Any])
SHOW = "show"


class PhotometryGroup(click.Group):
    """Subcommands, with `photometry TARGET ...` meaning `photometry show TARGET ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [SHOW, *args]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # The first word is a subcommand or, more often, a target.
        target = photometry_command.params[0]
        return [*super().shell_complete(ctx, incomplete), *complete_target_names(ctx, target, incomplete)]


@click.group("photometry", cls=PhotometryGroup)
def photometry_group() -> None:
    """A target's photometry: print it (`photometry TARGET`), flag bad points, list the flags."""


photometry_group.add_command(photometry_command, SHOW)


def selection_options(function: F) -> F:
    """The options that choose points (every one given must hold)."""
    options = [
        click.option(
            "--ids",
            "point_ids",
            metavar="N[,N...]",
            help="Point ids: 1 is the earliest of all the points (--dry-run lists the chosen ones with ids).",
        ),
        click.option("--from", "mjd_from", type=float, metavar="MJD", help="Points from this MJD on."),
        click.option("--to", "mjd_to", type=float, metavar="MJD", help="Points up to this MJD."),
        click.option("--filter", "filters", multiple=True, help="Points in this filter (repeatable)."),
        click.option("--upload", "upload_id", type=int, metavar="N", help="Points that upload N brought."),
        click.option("--where", metavar="SQL", help='A SQL condition over the points\' columns: "mag > 21".'),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _point_ids(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a list of point ids like 3,7,12", param_hint="--ids"
        ) from None


def _selection(values: dict[str, Any]) -> PointSelection:
    from tom_tui.services.photometry.flags import PointSelection

    return PointSelection(
        point_ids=_point_ids(values["point_ids"]),
        mjd_from=values["mjd_from"],
        mjd_to=values["mjd_to"],
        filters=tuple(values["filters"]),
        upload_id=values["upload_id"],
        where=values["where"],
    )


dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Only list the chosen points with their ids; change nothing."
)
# What a dry run shows of each chosen point.
CHOSEN_COLUMNS = ["point_id", "mjd", "filter", "mag", "magerr", "limit", "telescope", "source", "flagged"]


def _show_chosen(app: AppContext, target: str, selection: PointSelection, as_json: bool) -> None:
    from tom_tui.services.photometry.flags import chosen_points

    found, chosen = chosen_points(app.store, target, selection)
    rows = chosen.select(CHOSEN_COLUMNS).to_pylist()
    if as_json:
        emit_json(rows)
        return
    click.echo(f"{found.name}: {len(rows)} points chosen (nothing changed)")
    click.echo(f"{'id':>6} {'MJD':>12} {'filter':<8} {'mag':>7} {'err':>6} {'limit':>7}  flagged")
    for row in rows:
        numbers = [_number(row[name], width) for name, width in (("mag", 7), ("magerr", 6), ("limit", 7))]
        click.echo(
            f"{row['point_id']:>6} {row['mjd']:>12.5f} {row['filter'] or '':<8} {' '.join(numbers)}  "
            + ("yes" if row["flagged"] else "")
        )


def _number(value: float | None, width: int) -> str:
    return " " * width if value is None else f"{value:>{width}.3f}"


@photometry_group.command("flag")
@click.argument("target", shell_complete=complete_target_names)
@selection_options
@click.option("--reason", help="Why the points are bad (kept with the flag; required).")
@dry_run_option
@json_option("Print what was flagged as JSON.")
@app_command
def flag_command(
    app: AppContext, /, target: str, reason: str | None, dry_run: bool, as_json: bool, **values: Any
) -> None:
    """Flag points of TARGET as bad: hidden from plots, summaries and exports, kept in the store."""
    from tom_tui.services.photometry.flags import flag_points

    if dry_run:
        _show_chosen(app, target, _selection(values), as_json)
        return
    report = flag_points(app.store, target, _selection(values), reason or "")
    if as_json:
        emit_json(report.to_json())
        return
    already = report.selected - report.changed
    click.echo(
        f"Flagged {report.changed} points of {report.target.name}"
        + (f" ({already} were already flagged)" if already else "")
        + "."
    )


@photometry_group.command("unflag")
@click.argument("target", shell_complete=complete_target_names)
@selection_options
@dry_run_option
@json_option("Print what was unflagged as JSON.")
@app_command
def unflag_command(app: AppContext, /, target: str, dry_run: bool, as_json: bool, **values: Any) -> None:
    """Take the flag off points of TARGET."""
    from tom_tui.services.photometry.flags import unflag_points

    if dry_run:
        _show_chosen(app, target, _selection(values), as_json)
        return
    report = unflag_points(app.store, target, _selection(values))
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(f"Unflagged {report.changed} points of {report.target.name}.")


@photometry_group.command("flags")
@click.argument("target", shell_complete=complete_target_names)
@json_option("JSON list of flags.")
@app_command
def flags_command(app: AppContext, /, target: str, as_json: bool) -> None:
    """List the flagged points of TARGET: which point, who flagged it, when (UTC) and why."""
    from tom_tui.services.photometry.flags import target_flags

    found, flags = target_flags(app.store, target)
    if as_json:
        emit_json([flag.to_json() for flag in flags])
        return
    if not flags:
        click.echo(f"{found.name}: no flagged points.")
        return
    click.echo(f"{found.name}: {len(flags)} flagged points")
    click.echo(
        f"{'MJD':>12} {'filter':<8} {'telescope':<10} {'flagged by':<12} {'flagged at (UTC)':<25} reason"
    )
    for flag in flags:
        click.echo(
            f"{flag.mjd:>12.5f} {flag.filter or '':<8} {flag.telescope or '':<10} "
            f"{flag.flagged_by or '':<12} {flag.flagged_at or '':<25} {flag.reason or ''}"
        )


COMMANDS: list[click.Command] = [photometry_group]
