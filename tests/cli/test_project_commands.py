"""`tom-tui project run|status|promote`, as a user runs them (in this process: --workers 1)."""

from __future__ import annotations

from pathlib import Path

from tests.support import cli, surveys
from tests.support.cli import Run, json_of
from tests.support.surveys import ScriptedSurvey
from tom_tui.store.store import Store

run = cli.run
scripted_survey = surveys.scripted_survey

PROJECT = """
[project]
name = "flares"
[catalogue]
path = "catalogue.csv"
[catalogue.columns]
name = "name"
[download]
surveys = ["scripted"]
[inject]
copies = 1
"""


def _project(folder: Path, rows: str) -> Path:
    (folder / "catalogue.csv").write_text("name,ra,dec\n" + rows)
    path = folder / "flares.toml"
    path.write_text(PROJECT)
    return path


def test_run_status_and_promote(run: Run, tmp_path: Path, scripted_survey: type[ScriptedSurvey]) -> None:
    path = _project(tmp_path, "event-1,50.5,10.0\nok-2,51.5,10.0\nthrottled-3,52.5,10.0\nno-position,,\n")
    result = run("project", "run", str(path), "--workers", "1")
    assert "3 of 3 RA bins (0 already done), 3 sources, 1 catalogue row(s) rejected" in result.stdout
    assert "downloads: 2 downloaded, 1 failed" in result.stdout
    assert "detections: 1" in result.stdout
    assert "failed 1×: Scripted survey: HTTP 429 Too Many Requests" in result.stderr

    status = json_of(run("project", "status", str(path), "--json"))
    assert (status["bins_done"], status["bins"], status["detections"]) == (3, 3, 1)
    assert status["statuses"] == {"downloaded": 2, "failed": 1}
    assert sum(row["injected"] for row in status["rates"]) == 2
    assert {row["detections"] for row in status["rates"]} == {1}
    assert "source-years  detections  rate /src/yr  95% limit" in run("project", "status", str(path)).stdout

    promoted = json_of(run("project", "promote", str(path), "--min-score", "5", "--json"))
    assert promoted == {"considered": 1, "created": ["event-1"], "skipped": []}
    assert "0 target(s) created, 1 skipped" in run("project", "promote", str(path), "--min-score", "5").stdout
    assert json_of(run("target", "show", "event-1", "--json"))["tags"] == ["project:flares"]


def test_repeated_failures_stop_the_run_with_one_sentence(
    run: Run, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    rows = "".join(f"ok-{index},60.5,{index * 0.01:.2f}\n" for index in range(12))
    path = _project(tmp_path, rows)
    ScriptedSurvey.broken = True
    result = run("project", "run", str(path), "--workers", "1", expect=1)
    assert result.stderr.strip().endswith(
        "Error: Scripted survey: 10 downloads failed in a row (the last: Scripted survey: HTTP 429 Too "
        "Many Requests from http://127.0.0.1/lc); the run stopped, what was downloaded is kept: "
        "run it again to resume"
    )


def test_a_bad_project_file_names_the_key(run: Run, tmp_path: Path) -> None:
    path = _project(tmp_path, "ok-1,10.0,1.0\n")
    path.write_text(path.read_text() + "[find]\nthreshold = -1\n")
    result = run("project", "status", str(path), expect=1)
    assert f"{path}: [find] threshold: expected a positive number" in result.stderr
    missing = run("project", "run", str(tmp_path / "nope.toml"), expect=1)
    assert f"Error: {tmp_path / 'nope.toml'}: no such project file" in missing.stderr


def test_status_of_a_project_never_run_writes_nothing(run: Run, store: Store, tmp_path: Path) -> None:
    path = _project(tmp_path, "ok-1,10.0,1.0\nok-2,20.0,1.0\n")
    status = json_of(run("project", "status", str(path), "--json"))
    assert (status["bins_done"], status["bins"], status["sources"], status["detections"]) == (0, 2, 2, 0)
    assert status["rates"] == []
    assert "no detections yet" in run("project", "promote", str(path), "--min-score", "5", expect=1).stderr
    assert not (store.root / "projects").exists()
