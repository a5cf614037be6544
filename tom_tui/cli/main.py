"""The `tom-tui` command. With no subcommand it opens the TUI on the store."""

from __future__ import annotations

import click

from tom_tui import __version__
from tom_tui.cli.common import AppContext


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_path",
    metavar="DIR",
    envvar="TOM_TUI_STORE",
    help="Store directory (default: $TOM_TUI_STORE, else the user data directory).",
)
@click.option("--low-bandwidth", is_flag=True, help="TUI without animations or smooth scrolling (slow SSH links).")
@click.version_option(__version__, prog_name="tom-tui")
@click.pass_context
def cli(ctx: click.Context, store_path: str | None, low_bandwidth: bool) -> None:
    """tom-tui: a Target and Observation Manager in the terminal.

    Run with no command to open the TUI; every command below is scriptable.
    """
    ctx.obj = AppContext(store_path)
    if ctx.invoked_subcommand is None:
        from tom_tui.cli.common import handle_errors

        handle_errors(_open_tui)(ctx.obj, low_bandwidth)


def _open_tui(app_context: AppContext, low_bandwidth: bool) -> None:
    from tom_tui.screens.app import run_app

    run_app(app_context.store, low_bandwidth=low_bandwidth)


def _register_commands() -> None:
    from tom_tui.cli import alerts, data, lists, observations, plots, store_commands, targets

    for command in (
        *store_commands.COMMANDS,
        *targets.COMMANDS,
        *lists.COMMANDS,
        *data.COMMANDS,
        *plots.COMMANDS,
        *alerts.COMMANDS,
        *observations.COMMANDS,
    ):
        cli.add_command(command)


_register_commands()


def main() -> None:
    cli(prog_name="tom-tui")
