"""Shell completion (click's, for bash/zsh/fish): commands, and target names and aliases from the
store the command line names."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.support.cli import Run, run, targets
from tom_tui.cli.main import cli
from tom_tui.store.store import Store

__all__ = ["run", "targets"]


def complete(words: str, store_root: Path | None = None) -> list[str]:
    env = {
        "_TOM_TUI_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    if store_root is not None:
        env["TOM_TUI_STORE"] = str(store_root)
    result = CliRunner().invoke(cli, [], env=env, prog_name="tom-tui")
    return [line.split(",", 1)[1] for line in result.output.splitlines() if "," in line]


def test_commands_and_target_names_complete(run: Run, targets: None, store: Store) -> None:
    assert {"target", "ephemeris", "sql", "finder"} <= set(complete("tom-tui "))
    assert complete("tom-tui target show SN", store.root) == ["SN 2026abc"]
    assert complete("tom-tui target show ztf26", store.root) == ["ZTF26aaaaaaa"]  # aliases, any case
    assert complete("tom-tui photometry Sou", store.root) == ["Southern"]
    assert complete("tom-tui finder x", store.root) == []


def test_no_store_offers_nothing_and_says_nothing(tmp_path: Path) -> None:
    assert complete("tom-tui target show SN", tmp_path / "missing") == []
