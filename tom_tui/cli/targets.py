"""`tom-tui target ...`: add, list, show, edit, delete, merge, import, export."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import (
    AppContext,
    ProgressBar,
    app_command,
    complete_target_names,
    emit_json,
    emit_pieces,
    json_flag,
    json_option,
)
from tom_tui.domain.angles import dec_sexagesimal, ra_sexagesimal
from tom_tui.domain.options import parse_pairs
from tom_tui.domain.target import (
    FIELD_HELP,
    NUMERIC_FIELDS,
    SCHEMES,
    TARGET_TYPES,
    Target,
    simplify_name,
)
from tom_tui.services.targets.operations import (
    OnDuplicate,
    TargetFilter,
    TargetService,
    parse_cone,
)

ON_DUPLICATE = click.Choice([policy.value for policy in OnDuplicate])
# Rows of the `target list` table turned into text at a time.
TABLE_SLICE_ROWS = 4_096


def field_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """One option per target field, derived from the field list and its help text."""
    for key in reversed(NUMERIC_FIELDS):
        function = click.option(f"--{key.replace('_', '-')}", key, metavar="VALUE", help=FIELD_HELP[key])(
            function
        )
    function = click.option(
        "--scheme",
        type=click.Choice(SCHEMES, case_sensitive=False),
        help="Orbital element scheme (non-sidereal targets).",
    )(function)
    function = click.option(
        "--type",
        "target_type",
        type=click.Choice(TARGET_TYPES, case_sensitive=False),
        help="SIDEREAL (default) or NON_SIDEREAL (implied by --scheme).",
    )(function)
    return function


def parse_extras(pairs: tuple[str, ...]) -> dict[str, str]:
    return parse_pairs(pairs, "--extra", "KEY=VALUE")


_FILTER_PARAMETERS = ("cone", "tags", "lists", "name", "target_type", "brighter_than")


def filter_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The target filter options; the command receives them as one ``target_filter``."""

    @functools.wraps(function)
    def with_filter(*args: Any, **kwargs: Any) -> Any:
        values = {key: kwargs.pop(key) for key in _FILTER_PARAMETERS}
        return function(*args, target_filter=build_filter(**values), **kwargs)

    command: Callable[..., Any] = with_filter
    for decorator in reversed(
        [
            click.option(
                "--cone", nargs=3, metavar="RA DEC RADIUS_ARCSEC", help="Only targets within a cone."
            ),
            click.option("--tag", "tags", multiple=True, help="Only targets with this tag (repeatable)."),
            click.option("--list", "lists", multiple=True, help="Only targets in this list (repeatable)."),
            click.option("--name", help="Only targets whose name or an alias contains this text."),
            click.option("--type", "target_type", type=click.Choice(TARGET_TYPES, case_sensitive=False)),
            click.option(
                "--brighter-than",
                type=float,
                metavar="MAG",
                help="Only targets whose latest detection is brighter than MAG.",
            ),
        ]
    ):
        command = decorator(command)
    return command


def build_filter(
    cone: tuple[str, ...] | None,
    tags: tuple[str, ...],
    lists: tuple[str, ...],
    name: str | None,
    target_type: str | None,
    brighter_than: float | None = None,
) -> TargetFilter:
    return TargetFilter(
        name=name,
        tags=list(tags),
        lists=list(lists),
        type=target_type,
        cone=parse_cone(*cone) if cone else None,
        brighter_than=brighter_than,
    )


def names_target_itself(reference: str, target: Target) -> bool:
    """Whether ``reference`` is the target's id (``#12``) or its own name, not one of its aliases."""
    text = reference.strip()
    if text.startswith("#") and text[1:].isdigit():
        return int(text[1:]) == target.id
    return simplify_name(text) == simplify_name(target.name)


def format_ra(ra: float | None) -> str:
    return "—" if ra is None else ra_sexagesimal(ra)


def format_dec(dec: float | None) -> str:
    return "—" if dec is None else dec_sexagesimal(dec)


@click.group("target")
def target_group() -> None:
    """Targets: what you observe."""


@target_group.command("add")
@click.argument("name")
@field_options
@click.option(
    "--alias", "aliases", multiple=True, help="Another name (repeatable; unique across all targets)."
)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--list", "lists", multiple=True, help="Put the target in this list (created if needed).")
@click.option(
    "--extra", "extras", multiple=True, metavar="KEY=VALUE", help="A typed extra field (repeatable)."
)
@click.option(
    "--on-duplicate",
    type=ON_DUPLICATE,
    default="error",
    show_default=True,
    help="When the name or position matches an existing target.",
)
@json_option("Print the stored target as JSON.")
@app_command
def add_command(
    app: AppContext,
    /,
    name: str,
    target_type: str | None,
    scheme: str | None,
    aliases: tuple[str, ...],
    tags: tuple[str, ...],
    lists: tuple[str, ...],
    extras: tuple[str, ...],
    on_duplicate: str,
    as_json: bool,
    **numbers: str | None,
) -> None:
    """Add a target. Sidereal: --ra and --dec. Non-sidereal: --scheme and its orbital elements."""
    fields: dict[str, Any] = {
        "name": name,
        "type": target_type,
        "scheme": scheme,
        "aliases": list(aliases),
        "tags": list(tags),
        "lists": list(lists),
        "extra": parse_extras(extras),
        **numbers,
    }
    outcome = TargetService(app.store).add(fields, OnDuplicate(on_duplicate))
    if as_json:
        emit_json(
            {
                "action": outcome.action,
                "target": outcome.target.to_json(),
                "match": outcome.match.describe() if outcome.match else None,
            }
        )
        return
    target = outcome.target
    if outcome.action == "created":
        click.echo(f"Added {target.name} (#{target.id})")
    elif outcome.action == "merged":
        click.echo(
            f"Merged into {target.name} (#{target.id}): {outcome.match.describe() if outcome.match else ''}"
        )
    else:
        click.echo(f"Skipped {name}: {outcome.match.describe() if outcome.match else 'duplicate'}")


@target_group.command("list")
@filter_options
@click.option(
    "--sort", type=click.Choice(["name", "ra", "dec", "type", "created", "modified", "id"]), default="name"
)
@click.option("--desc", "descending", is_flag=True, help="Sort descending.")
@click.option("--limit", type=int, default=None, help="Show at most this many targets.")
@json_option("Print JSON (full targets) instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print a TOM Toolkit target CSV (as `target export`).")
@app_command
def list_command(
    app: AppContext,
    target_filter: TargetFilter,
    sort: str,
    descending: bool,
    limit: int | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List targets, filtered and sorted (a cone search sorts nearest first)."""
    target_filter.sort, target_filter.descending = sort, descending
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if as_json or as_csv:
        # Written while the documents are read, a shard at a time: the same memory at any size.
        from tom_tui.services.targets.listing import listed_rows, target_csv_pieces, target_json_pieces

        listed = listed_rows(app.store, target_filter, limit)
        emit_pieces((target_json_pieces if as_json else target_csv_pieces)(app.store, listed))
        return
    rows = TargetService(app.store).query(target_filter)
    if limit is not None:
        rows = rows.slice(0, limit)
    if not rows.num_rows:
        click.echo("No targets.", err=True)
        return
    # A slice of rows at a time becomes Python objects: a million at once would hold gigabytes.
    slices = [rows.slice(start, TABLE_SLICE_ROWS) for start in range(0, rows.num_rows, TABLE_SLICE_ROWS)]
    width = min(max(max(map(len, part.column("name").to_pylist())) for part in slices), 32)
    header = f"{'NAME':<{width}}  {'RA':>11}  {'DEC':>11}  {'TYPE':<12}  {'LATEST':>11}  TAGS"
    click.echo(header)
    for part in slices:
        click.echo("\n".join(table_line(record, width) for record in part.to_pylist()))


def table_line(record: dict[str, Any], width: int) -> str:
    """One target of the `target list` table (an index row with its photometry summary)."""
    separation = f"  {record['separation_arcsec']:.2f}″" if "separation_arcsec" in record else ""
    latest = (
        f"{record['last_det_mag']:.2f} {record['last_det_filter'] or ''}"
        if record.get("last_det_mag") is not None
        else "—"
    )
    return (
        f"{record['name'][:width]:<{width}}  {format_ra(record['ra']):>11}  "
        f"{format_dec(record['dec']):>11}  "
        f"{record['type']:<12}  {latest:>11}  {', '.join(record['tags'] or [])}{separation}"
    )


def print_target(target: Target) -> None:
    data = target.to_json()
    click.echo(f"{target.name}  (#{target.id}, {target.type})")
    if target.is_sidereal:
        click.echo(f"  ra:  {target.ra:.6f}  ({format_ra(target.ra)})")
        click.echo(f"  dec: {target.dec:+.6f}  ({format_dec(target.dec)})")
    for key, value in data.items():
        if key in {"id", "name", "type", "ra", "dec", "aliases", "tags", "lists", "extra"} or value is None:
            continue
        click.echo(f"  {key}: {value}")
    for key in ("aliases", "tags", "lists"):
        if data[key]:
            click.echo(f"  {key}: {', '.join(data[key])}")
    for key, value in target.extra.items():
        click.echo(f"  extra.{key}: {value}")


@target_group.command("show")
@click.argument("reference", metavar="NAME_OR_ALIAS", shell_complete=complete_target_names)
@json_flag
@app_command
def show_command(app: AppContext, reference: str, as_json: bool) -> None:
    """Show one target (by name, alias or #id)."""
    target = TargetService(app.store).get(reference)
    now = None
    if not target.is_sidereal:  # where a moving target is can only be computed
        from tom_tui.services.targets.ephemeris import position_now

        now = position_now(app.store, target)
    if as_json:
        emit_json(target.to_json() | ({"now": now} if now else {}))
        return
    print_target(target)
    if now:
        print_position_now(now)


def print_position_now(now: dict[str, Any]) -> None:
    """Where a moving target is at this moment: from the geocentre, with rates and distances, and
    from the store's observatory."""
    here, there = now["geocentric"], now["topocentric"]
    click.echo(f"  now ({here['utc']} UTC), geocentric: {format_ra(here['ra'])} {format_dec(here['dec'])}")
    click.echo(
        f"    rate {here['ra_rate']:+.2f} {here['dec_rate']:+.2f} arcsec/h (dRA·cos Dec, dDec)"
        f"   distance {here['delta']:.6f} AU   from the Sun {here['r']:.5f} AU"
    )
    click.echo(f"    from {now['site']}: {format_ra(there['ra'])} {format_dec(there['dec'])}")


@target_group.command("edit")
@click.argument("reference", metavar="NAME_OR_ALIAS", shell_complete=complete_target_names)
@click.option("--name", "new_name", help="Rename the target.")
@field_options
@click.option("--add-alias", multiple=True)
@click.option("--remove-alias", multiple=True)
@click.option("--add-tag", multiple=True)
@click.option("--remove-tag", multiple=True)
@click.option("--add-list", multiple=True)
@click.option("--remove-list", multiple=True)
@click.option("--extra", "extras", multiple=True, metavar="KEY=VALUE")
@click.option("--remove-extra", multiple=True, metavar="KEY")
@app_command
def edit_command(
    app: AppContext,
    /,
    reference: str,
    new_name: str | None,
    target_type: str | None,
    scheme: str | None,
    add_alias: tuple[str, ...],
    remove_alias: tuple[str, ...],
    add_tag: tuple[str, ...],
    remove_tag: tuple[str, ...],
    add_list: tuple[str, ...],
    remove_list: tuple[str, ...],
    extras: tuple[str, ...],
    remove_extra: tuple[str, ...],
    **numbers: str | None,
) -> None:
    """Change fields, names, tags, lists or extras of a target."""
    service = TargetService(app.store)
    current = service.get(reference)
    changes: dict[str, Any] = {key: value for key, value in numbers.items() if value is not None}
    if new_name:
        changes["name"] = new_name
    if target_type:
        changes["type"] = target_type
    if scheme:
        changes["scheme"] = scheme
    # Additions and removals are applied to the target as stored when the edit commits, so that
    # edits running at the same time keep each other's names, tags and lists.
    add = {"aliases": add_alias, "tags": add_tag, "lists": add_list}
    remove = {"aliases": remove_alias, "tags": remove_tag, "lists": remove_list}
    extra_changes: dict[str, Any] = dict(parse_extras(extras))
    extra_changes.update({key: None for key in remove_extra})
    if extra_changes:
        changes["extra"] = extra_changes
    if not changes and not any(add.values()) and not any(remove.values()):
        raise click.UsageError("nothing to change; see `tom-tui target edit --help`")
    updated = service.edit(f"#{current.id}", changes, add=add, remove=remove)
    click.echo(f"Updated {updated.name} (#{updated.id})")


@target_group.command("delete")
@click.argument("reference", metavar="NAME_OR_ALIAS", shell_complete=complete_target_names)
@click.option("--yes", is_flag=True, help="Do not ask, when NAME_OR_ALIAS is the target's own name or #id.")
@click.option("--alias-ok", is_flag=True, help="With --yes: do not ask for an alias either.")
@app_command
def delete_command(app: AppContext, reference: str, yes: bool, alias_ok: bool) -> None:
    """Delete a target and everything stored about it.

    Through an alias (after a merge, the merged target's old name) it says whose alias that is
    and asks, even with --yes, unless --alias-ok is given too.
    """
    service = TargetService(app.store)
    target = service.get(reference)
    through_alias = not names_target_itself(reference, target)
    if through_alias:
        click.echo(
            f"{reference!r} is an alias of {target.name} (#{target.id}); to delete without this "
            f"question, name it {target.name!r} or #{target.id}, or add --alias-ok",
            err=True,
        )
    if not yes or (through_alias and not alias_ok):
        click.confirm(f"Delete {target.name} (#{target.id}) and all its data?", abort=True)
    service.delete(f"#{target.id}")
    click.echo(f"Deleted {target.name}")


@target_group.command("merge")
@click.argument("keep", metavar="KEEP")
@click.argument("other", metavar="OTHER")
@json_flag
@app_command
def merge_command(app: AppContext, keep: str, other: str, as_json: bool) -> None:
    """Merge OTHER into KEEP: OTHER's names become aliases, its data moves over, OTHER goes."""
    merged = TargetService(app.store).merge(keep, other)
    if as_json:
        emit_json(merged.to_json())
    else:
        click.echo(f"Merged {other} into {merged.name}; aliases now: {', '.join(merged.aliases)}")


@target_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--on-duplicate", type=ON_DUPLICATE, default="error", show_default=True)
@click.option("--skip-invalid", is_flag=True, help="Import the good lines and report the bad ones.")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would happen; change nothing.")
@click.option("--undo", "undo_id", metavar="IMPORT_ID", help="Undo an earlier import instead.")
@click.option("--force", is_flag=True, help="With --undo: also discard changes made since the import.")
@json_flag
@app_command
def import_command(
    app: AppContext,
    path: Path | None,
    on_duplicate: str,
    skip_invalid: bool,
    dry_run: bool,
    undo_id: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Import targets from a TOM Toolkit target CSV (all or nothing), or undo an import."""
    from tom_tui.services.targets.imports import TargetImporter, dry_run_import

    importer = TargetImporter(TargetService(app.store))
    if undo_id:
        result = importer.undo(undo_id, force=force)
        if as_json:
            emit_json(result)
        else:
            click.echo(
                f"Undid {undo_id}: removed {result['removed']} target(s), restored {result['restored']}"
            )
        return
    if path is None:
        raise click.UsageError("give a CSV file to import, or --undo IMPORT_ID")
    policy = OnDuplicate(on_duplicate)
    if dry_run:
        report = dry_run_import(importer, path, policy, skip_invalid)
    else:
        with ProgressBar(f"importing {path.name}") as bar:
            report = importer.import_csv(path, policy, skip_invalid, progress=bar.stage)
    for problem in report.invalid:
        click.echo(f"{path}: {problem}", err=True)
    if as_json:
        emit_json({**report.to_json(), "dry_run": dry_run})
        return
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {path}: {report.created} created, {report.merged} merged, {report.skipped} skipped"
        f"{f', {len(report.invalid)} invalid lines' if report.invalid else ''}"
    )
    if not dry_run:
        click.echo(
            f"Import id: {report.import_id} (undo with `tom-tui target import --undo {report.import_id}`)"
        )


@target_group.command("imports")
@json_flag
@app_command
def imports_command(app: AppContext, as_json: bool) -> None:
    """List past imports (ids for --undo)."""
    from tom_tui.services.targets.imports import TargetImporter

    records = TargetImporter(TargetService(app.store)).imports()
    if as_json:
        emit_json(records)
        return
    for record in records:
        state = " (undone)" if record["undone"] else ""
        click.echo(
            f"{record['import_id']}  {record['created_at']}  {record['created']} created, "
            f"{record['merged']} merged  {record['source']}{state}"
        )


@target_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@filter_options
@app_command
def export_command(app: AppContext, path: Path, target_filter: TargetFilter) -> None:
    """Export targets to a TOM Toolkit target CSV (re-importable)."""
    from tom_tui.services.targets.listing import export_target_csv, listed_rows

    count = export_target_csv(app.store, listed_rows(app.store, target_filter), path)
    click.echo(f"Exported {count} target(s) to {path}")


COMMANDS: list[click.Command] = [target_group]
