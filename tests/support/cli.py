"""Running `tom-tui` on the test's ``store`` as a user would, and reading what it prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tom_tui.cli.main import cli
from tom_tui.store.store import Store

Run = Callable[..., Result]


@pytest.fixture
def run(store: Store) -> Run:
    def invoke(*args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(cli, ["--store", str(store.root), *args], catch_exceptions=False)
        assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}\n{result.stderr}"
        return result

    return invoke


@pytest.fixture
def targets(run: Run) -> None:
    # A target well placed for La Palma in late November, and one that never rises there.
    run("target", "add", "SN 2026abc", "--ra", "150.1", "--dec", "25.3", "--alias", "ZTF26aaaaaaa")
    run("target", "add", "Southern", "--ra", "83.0", "--dec", "-80.0")


def json_of(result: Result) -> Any:
    return json.loads(result.stdout)


def append_config(store: Store, text: str) -> None:
    with open(store.config_path, "a") as handle:
        handle.write("\n" + text + "\n")
