"""Every command listed by `tom-tui --help` exists and loads; bare `--help` imports none of them."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from tom_tui.cli.main import LAZY_COMMANDS, SUMMARIES, cli


def test_every_listed_command_loads_and_has_a_summary() -> None:
    assert set(SUMMARIES) == set(LAZY_COMMANDS)
    context = click.Context(cli)
    for name in LAZY_COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None and command.name == name
        assert CliRunner().invoke(cli, [name, "--help"]).exit_code == 0
    assert "visibility" in CliRunner().invoke(cli, ["plot", "--help"]).stdout


def test_help_does_not_import_the_commands() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from tom_tui.cli.main import cli;"
        "CliRunner().invoke(cli, ['--help']);"
        "print(sorted(m for m in sys.modules if m.startswith('tom_tui.cli.') or m in ('astropy', 'textual')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "['tom_tui.cli.common', 'tom_tui.cli.main']"
