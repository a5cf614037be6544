"""The `tom-tui` command. With no subcommand it opens the TUI on the store."""

from __future__ import annotations

import importlib
import sys

import click

from tom_tui import __version__
from tom_tui.cli.common import AppContext


# Subcommands are imported only when used, so `tom-tui target show` does not pay for the
# imports of alerts, plots or observations (click's documented lazy-group pattern).
LAZY_COMMANDS: dict[str, str] = {
    "init": "tom_tui.cli.store_commands",
    "demo": "tom_tui.cli.store_commands",
    "target": "tom_tui.cli.targets",
    "list": "tom_tui.cli.lists",
}
# Modules whose commands are looked up by importing them (their COMMANDS lists).
EAGER_COMMAND_MODULES = ("tom_tui.cli.data", "tom_tui.cli.plots", "tom_tui.cli.alerts", "tom_tui.cli.observations")


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(LAZY_COMMANDS[cmd_name])
            for command in module.COMMANDS:
                if command.name == cmd_name:
                    self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
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
    for module_name in EAGER_COMMAND_MODULES:
        for command in importlib.import_module(module_name).COMMANDS:
            cli.add_command(command)


_register_commands()


class _DeferPandas:
    """Import finder that makes ``import pandas`` fail while installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is imported later, when it is needed")


def _start_pyarrow_without_pandas() -> None:
    """pyarrow imports pandas (~0.3 s) the first time it converts any Python value, even when
    pandas is never used. Let that one probe find no pandas: later ``to_pandas()`` calls still
    import it for real, and commands like ``target add`` stay well under half a second."""
    blocker = _DeferPandas()
    sys.meta_path.insert(0, blocker)
    try:
        import pyarrow

        pyarrow.array([0])
    finally:
        sys.meta_path.remove(blocker)


def main() -> None:
    if "pandas" not in sys.modules:
        _start_pyarrow_without_pandas()
    cli(prog_name="tom-tui")


if __name__ == "__main__":
    main()
