"""Output written as it is produced: a reader that stops early (`| head`) ends the command
quietly, and what was read up to then is the start of the one document."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tom_tui.cli.main import cli
from tom_tui.store.store import Store


@pytest.fixture
def many_targets(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "many.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "ra", "dec", "note"])
        writer.writerows(
            [f"AT2026x{n:04d}", f"{n * 0.7 % 360:.4f}", f"{n * 0.3 % 80:.4f}", "x" * 50] for n in range(400)
        )
    result = CliRunner().invoke(cli, ["--store", str(store.root), "target", "import", str(path)])
    assert result.exit_code == 0, result.output
    return store


@pytest.mark.parametrize("output", ["--json", "--csv"])
def test_a_pipe_closed_early_ends_the_list_without_a_traceback(many_targets: Store, output: str) -> None:
    environment = {**os.environ, "TOM_TUI_STORE": str(many_targets.root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tom_tui", "target", "list", output],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None and process.stderr is not None
    start = process.stdout.read(20)
    process.stdout.close()  # ~250 kB of output would follow: more than a pipe holds
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in errors and "BrokenPipeError" not in errors and "Exception ignored" not in errors
    assert start.startswith(b"[\n  {\n" if output == "--json" else b"name,type,ra,dec")
