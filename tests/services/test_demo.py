"""`tom-tui demo --no-tui` builds a complete, offline demo store and refreshes it without duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tom_tui.cli.main import cli


def test_demo_builds_every_part_and_refreshes_idempotently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T03:00:00+00:00")
    runner = CliRunner()
    store = tmp_path / "demo"
    result = runner.invoke(cli, ["--store", str(store), "demo", "--no-tui"])
    assert result.exit_code == 0, result.output

    def read(*args: str) -> object:
        output = runner.invoke(cli, ["--store", str(store), *args, "--json"])
        assert output.exit_code == 0, output.output
        return json.loads(output.stdout)

    targets = read("target", "list")
    assert isinstance(targets, list) and 300 <= len(targets) <= 400
    kinds = {t["type"] for t in targets}
    assert kinds == {"SIDEREAL", "NON_SIDEREAL"}
    assert {"M13", "Ceres", "2P/Encke"} <= {t["name"] for t in targets}
    lists = {entry["name"]: entry["count"] for entry in read("list", "show")}  # type: ignore[union-attr]
    assert lists["Solar system"] == 5 and lists["SNe Ia"] > 50 and lists["Variables"] == 95
    variable = next(t for t in targets if t["name"] == "SIMV 0001")
    points = read("photometry", variable["name"])
    assert isinstance(points, list) and len(points) > 50
    assert {p["filter"] for p in points} >= {"ztfg", "ztfr"}
    observations = read("obs", "list")
    assert isinstance(observations, list) and len(observations) == 3
    assert {job["name"] for job in read("jobs", "list")} == {"simulated-broker", "observation-update"}  # type: ignore[union-attr]
    [reduction_run] = read("reduce", "list")  # type: ignore[misc]
    assert reduction_run["counts"]["done"] >= 3 and not reduction_run["failed"]
    assert sum(1 for p in points if p["source"] == "reduction") >= 3

    again = runner.invoke(cli, ["--store", str(store), "demo", "--no-tui"])
    assert again.exit_code == 0, again.output
    assert "0 new target(s) from the simulated sky" in again.stderr
    assert len(read("target", "list")) == len(targets)  # type: ignore[arg-type]
    assert len(read("obs", "list")) == 3  # type: ignore[arg-type]
    assert "frames already reduced" in again.stderr
