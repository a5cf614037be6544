"""`tom-tui list ...`: named groups of targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from tom_tui.cli.common import AppContext, app_command, emit_json, json_flag
from tom_tui.services.targets.lists import ListService


@click.group("list")
def list_group() -> None:
    """Target lists: named groups of targets."""


@list_group.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the list is for.")
@app_command
def create_command(app: AppContext, name: str, description: str) -> None:
    """Create an empty list."""
    ListService(app.store).create(name, description)
    click.echo(f"Created list {name}")


def _membership_command(
    command_name: str,
    change: Callable[[ListService, str, list[str]], list[Any]],
    done: str,
    help_text: str,
) -> click.Command:
    """A command that changes which targets are in a list; ``done`` words the result."""

    @list_group.command(command_name, help=help_text)
    @click.argument("name")
    @click.argument("targets", nargs=-1, required=True)
    @app_command
    def command(app: AppContext, name: str, targets: tuple[str, ...]) -> None:
        changed = change(ListService(app.store), name, list(targets))
        click.echo(done.format(count=len(changed), name=name))

    return command


add_command = _membership_command(
    "add",
    ListService.add,
    "Added {count} target(s) to {name}",
    "Add targets (names, aliases or #ids) to a list.",
)
remove_command = _membership_command(
    "remove",
    ListService.remove,
    "Removed {count} target(s) from {name}",
    "Remove targets from a list (the targets stay in the store).",
)


@list_group.command("show")
@click.argument("name", required=False)
@json_flag
@app_command
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
@app_command
def delete_command(app: AppContext, name: str) -> None:
    """Delete a list (its targets stay)."""
    count = ListService(app.store).delete(name)
    click.echo(f"Deleted list {name} ({count} targets kept)")


COMMANDS: list[click.Command] = [list_group]
