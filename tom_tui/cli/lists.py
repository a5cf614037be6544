"""`tom-tui list ...`: named groups of targets."""

from __future__ import annotations

import click

from tom_tui.cli.common import AppContext, emit_json, handle_errors, pass_app
from tom_tui.services.targets.lists import ListService


@click.group("list")
def list_group() -> None:
    """Target lists: named groups of targets."""


@list_group.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the list is for.")
@pass_app
@handle_errors
def create_command(app: AppContext, name: str, description: str) -> None:
    """Create an empty list."""
    ListService(app.store).create(name, description)
    click.echo(f"Created list {name}")


@list_group.command("add")
@click.argument("name")
@click.argument("targets", nargs=-1, required=True)
@pass_app
@handle_errors
def add_command(app: AppContext, name: str, targets: tuple[str, ...]) -> None:
    """Add targets (names, aliases or #ids) to a list."""
    changed = ListService(app.store).add(name, list(targets))
    click.echo(f"Added {len(changed)} target(s) to {name}")


@list_group.command("remove")
@click.argument("name")
@click.argument("targets", nargs=-1, required=True)
@pass_app
@handle_errors
def remove_command(app: AppContext, name: str, targets: tuple[str, ...]) -> None:
    """Remove targets from a list (the targets stay in the store)."""
    changed = ListService(app.store).remove(name, list(targets))
    click.echo(f"Removed {len(changed)} target(s) from {name}")


@list_group.command("show")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def show_command(app: AppContext, name: str | None, as_json: bool) -> None:
    """Show one list's targets, or every list with its size."""
    service = ListService(app.store)
    if name:
        target_list = service.get(name)
        if as_json:
            emit_json(target_list.to_json())
            return
        click.echo(
            f"{target_list.name} ({len(target_list.members)} targets)"
            + (f": {target_list.description}" if target_list.description else "")
        )
        for member in target_list.members:
            click.echo(f"  {member}")
        return
    lists = service.all()
    if as_json:
        emit_json([target_list.to_json() for target_list in lists])
        return
    for target_list in lists:
        click.echo(f"{target_list.name:<24} {len(target_list.members):>6}  {target_list.description}")


@list_group.command("delete")
@click.argument("name")
@pass_app
@handle_errors
def delete_command(app: AppContext, name: str) -> None:
    """Delete a list (its targets stay)."""
    count = ListService(app.store).delete(name)
    click.echo(f"Deleted list {name} ({count} targets kept)")


COMMANDS: list[click.Command] = [list_group]
