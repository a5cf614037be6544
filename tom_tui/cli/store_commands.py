"""`tom-tui init`, `tom-tui demo` and `tom-tui store`."""

from __future__ import annotations

from pathlib import Path

import click

from tom_tui.cli.common import AppContext, app_command
from tom_tui.services.session import init_store


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@app_command
def init_command(app: AppContext, directory: Path | None) -> None:
    """Create a store (in DIRECTORY, else --store / $TOM_TUI_STORE / the default). Safe to repeat."""
    root = directory or app.store_path
    init_store(root)
    click.echo(f"Store ready at {root}")


@click.command("demo")
@click.option("--no-tui", is_flag=True, help="Only build or refresh the demo store.")
@app_command
def demo_command(app: AppContext, no_tui: bool) -> None:
    """Build (or refresh) a demo store from the simulated sky and open the TUI on it.

    The demo store lives in the user data directory unless --store or $TOM_TUI_STORE names one.
    """
    from platformdirs import user_data_path

    from tom_tui.services.demo import build_demo_store

    root = app.store_path if app.store_explicit else user_data_path("tom-tui", appauthor=False) / "demo"
    click.echo(f"Building the demo store at {root} ...", err=True)
    store = build_demo_store(root, progress=lambda message: click.echo(f"  {message}", err=True))
    if no_tui:
        click.echo(f"Demo store ready at {root}")
        return
    from tom_tui.screens.app import run_app

    run_app(store)


@click.group("store")
def store_group() -> None:
    """Upkeep of the store directory."""


@store_group.command("compact")
@app_command
def compact_command(app: AppContext) -> None:
    """Fold the target changes appended since the last rewrite (the index delta and the shard
    logs) into the index and shard files, so that tools reading them alone see everything."""
    from tom_tui.services.targets.operations import TargetService

    folded = TargetService(app.store).compact()
    click.echo(f"Compacted {folded} file(s)" if folded else "Nothing to compact")


COMMANDS: list[click.Command] = [init_command, demo_command, store_group]
