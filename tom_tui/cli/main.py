"""The `tom-tui` command. With no subcommand it opens the TUI on the store."""

from __future__ import annotations

import importlib
import sys

import click

from tom_tui import __version__
from tom_tui.cli.common import AppContext

# Subcommands are imported only when used, so `tom-tui target show` does not pay for the
# imports of alerts, plots or observations (click's documented lazy-group pattern). A command
# may need more than one module: `plot visibility` lives with the observation commands.
LAZY_COMMANDS: dict[str, tuple[str, ...]] = {
    "init": ("tom_tui.cli.store_commands",),
    "demo": ("tom_tui.cli.store_commands",),
    "store": ("tom_tui.cli.store_commands",),
    "target": ("tom_tui.cli.targets",),
    "list": ("tom_tui.cli.lists",),
    "data": ("tom_tui.cli.data",),
    "photometry": ("tom_tui.cli.photometry_flags",),
    "plot": ("tom_tui.cli.plots", "tom_tui.cli.observations"),
    "ingest": ("tom_tui.cli.alerts",),
    "broker": ("tom_tui.cli.alerts",),
    "catalog": ("tom_tui.cli.alerts",),
    "cron": ("tom_tui.cli.alerts",),
    "jobs": ("tom_tui.cli.alerts",),
    "obs": ("tom_tui.cli.observations",),
    "plan": ("tom_tui.cli.observations",),
    "frames": ("tom_tui.cli.frames",),
    "reduce": ("tom_tui.cli.reduce",),
    "polarimetry": ("tom_tui.cli.polarimetry",),
    "project": ("tom_tui.cli.project",),
    "survey": ("tom_tui.cli.survey",),
    "sql": ("tom_tui.cli.sql",),
    "ephemeris": ("tom_tui.cli.ephemeris",),
    "starlist": ("tom_tui.cli.observations",),
    "finder": ("tom_tui.cli.finder",),
    "share": ("tom_tui.cli.share",),
    "pull": ("tom_tui.cli.share",),
    "report": ("tom_tui.cli.report",),
}
SUMMARIES = {
    "init": "Create a store (safe to repeat).",
    "demo": "Build the demo store from the simulated sky and open the TUI.",
    "store": "Store upkeep: compact the appended target changes.",
    "target": "Targets: add, list, show, edit, delete, merge, import, export.",
    "list": "Target lists: named groups of targets.",
    "data": "Data products: upload, list, show, delete, undo, export.",
    "photometry": "Print a target's photometry; flag and unflag bad points, list the flags.",
    "plot": "Plots in the terminal: light curves, spectra, visibility.",
    "ingest": "Ingest alert packets (Avro) and YSE-PZ uploads.",
    "broker": "Query alert brokers and import their objects.",
    "catalog": "Resolve names in catalogs (SIMBAD, NED, TNS, MPC, JPL Horizons).",
    "cron": "Run every scheduled job that is due (for crontab).",
    "jobs": "Scheduled jobs: list, run, log.",
    "obs": "Observation requests: request, list, show, cancel, update, templates.",
    "plan": "Plan a night: when each target of a list is observable.",
    "frames": "Raw frames: import, list, show; instrument profiles.",
    "reduce": "Reduce raw frames to calibrated photometry: run, list, show.",
    "polarimetry": "A target's linear polarisation (p, χ, q, u): table, JSON or plot.",
    "project": "Bulk survey projects on Dask: run, status, promote.",
    "survey": "Survey photometry of targets (ZTF, ATLAS, Pan-STARRS, Gaia): fetch, status, list.",
    "sql": "Read-only SQL over the whole store (DuckDB).",
    "ephemeris": "Where a target is over a time range (moving targets: rates and distances).",
    "starlist": "A list's targets for one night in a telescope's starlist format (Keck, Lick, CSV).",
    "finder": "A finding chart: the field, the target, offset stars; in the terminal or as PNG.",
    "share": "Share targets, photometry and spectra with a TOM Toolkit (never twice).",
    "pull": "Bring a TOM Toolkit's targets and photometry in (duplicates merged).",
    "report": "Publish to Hermes; AT and classification reports to TNS (never twice).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            modules = [importlib.import_module(name) for name in LAZY_COMMANDS[cmd_name]]
            for command in modules[0].COMMANDS:
                if command.name == cmd_name:
                    self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing the commands must not import them all; the summaries are kept here.
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--store",
    "store_path",
    metavar="DIR",
    envvar="TOM_TUI_STORE",
    help="Store directory (default: $TOM_TUI_STORE, else the user data directory).",
)
@click.option(
    "--low-bandwidth", is_flag=True, help="TUI without animations or smooth scrolling (slow SSH links)."
)
@click.version_option(__version__, prog_name="tom-tui")
@click.pass_context
def cli(ctx: click.Context, store_path: str | None, low_bandwidth: bool) -> None:
    """tom-tui: a Target and Observation Manager in the terminal.

    Run with no command to open the TUI; every command below is scriptable.
    """
    ctx.obj = AppContext(store_path)
    if ctx.invoked_subcommand is not None:
        from tom_tui.cli.common import terminal_safe_output

        ctx.with_resource(terminal_safe_output())
    if ctx.invoked_subcommand is None:
        from tom_tui.cli.common import handle_errors

        handle_errors(_open_tui)(ctx.obj, low_bandwidth)


def _open_tui(app_context: AppContext, low_bandwidth: bool) -> None:
    from tom_tui.screens.app import run_app

    run_app(app_context.store, low_bandwidth=low_bandwidth)


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
