"""`tom-tui survey fetch|list` as a script sees them, and the `survey_fetch` job run by cron."""

from __future__ import annotations

import json

import pytest

from tests.support import cli as cli_support
from tests.support.cli import Run, append_config, json_of
from tom_tui.store.store import Store

run = cli_support.run


@pytest.fixture(autouse=True)
def short_history(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    append_config(store, "[surveys.simulated]\nstart_mjd = 61300.0")


def test_survey_fetch_json_then_skipped_then_forced(run: Run) -> None:
    run("target", "add", "Field star", "--ra", "150.0", "--dec", "30.0")
    first = json_of(run("survey", "fetch", "Field star", "--json"))
    assert first["survey"] == "simulated" and first["targets"] == 1 and first["added"] > 0
    assert first["results"][0] | {"added": 0} == {
        "target_id": 1,
        "name": "Field star",
        "status": "added",
        "added": 0,
        "duplicates": 0,
        "reason": "",
    }
    again = json_of(run("survey", "fetch", "#1", "--json"))
    assert again["skipped"] == 1 and again["added"] == 0
    forced = json_of(run("survey", "fetch", "Field star", "--force", "--since", "2026-11-01", "--json"))
    assert forced["added"] == 0 and 0 < forced["duplicates"] < first["added"]
    text = run("survey", "fetch", "Field star").stdout
    assert "Field star" in text and "skipped" in text and "simulated: 1 target(s)" in text
    [status] = json_of(run("survey", "status", "Field star", "--json"))
    assert status["survey"] == "simulated" and status["target_id"] == 1 and status["empty"] is False
    assert status["ra"] == 150.0 and status["since_mjd"] == 61345.0 and status["rows"] > 0
    assert "Field star" in run("survey", "status").stdout


def test_survey_fetch_refuses_bad_requests_in_one_sentence(run: Run) -> None:
    run("target", "add", "Field star", "--ra", "150.0", "--dec", "30.0")
    result = run("survey", "fetch", expect=1)
    assert (
        result.stderr.strip() == "Error: survey fetch: give target names or #ids, or --list LIST (not both)"
    )
    result = run("survey", "fetch", "Field star", "--survey", "nope", expect=1)
    assert "no survey service named 'nope'" in result.stderr
    result = run("survey", "fetch", "Field star", "--since", "soon", expect=1)
    assert "--since 'soon': expected an MJD" in result.stderr
    result = run("survey", "fetch", "--list", "missing", expect=1)
    assert "no target list named 'missing'" in result.stderr


def test_a_fetch_where_every_target_fails_exits_non_zero(run: Run, store: Store) -> None:
    run("target", "add", "Field star", "--ra", "150.0", "--dec", "30.0")
    append_config(store, '[surveys.ztf_fps]\nfolder = "/nonexistent/folder"')
    result = run("survey", "fetch", "Field star", "--survey", "ztf_fps", expect=1)
    assert "failed" in result.stdout
    assert result.stderr.startswith(
        "Error: ztf_fps: every target failed; the first: [surveys.ztf_fps] folder"
    )


def test_survey_list_names_every_service_and_its_needs(run: Run) -> None:
    rows = {row["name"]: row for row in json_of(run("survey", "list", "--json"))}
    assert {"simulated", "ztf", "ztf_fps", "atlas", "ps1", "gaia", "gsa"} <= set(rows)
    assert rows["atlas"]["credentials"] == ["token"] and rows["ps1"]["takes_new_data"] is False
    assert rows["simulated"]["settings"]["start_mjd"] == 61300.0


def test_the_survey_fetch_job_runs_under_the_scheduler(run: Run, store: Store) -> None:
    run("target", "add", "Field star", "--ra", "150.0", "--dec", "30.0")
    append_config(
        store, '[[jobs]]\nname = "surveys"\nkind = "survey_fetch"\nevery = "1d"\ntargets = ["Field star"]\n'
    )
    [record] = json.loads(run("cron", "--json").stdout)
    assert record["status"] == "ok" and record["counts"]["added"] > 0 and record["counts"]["failed"] == 0
    assert json.loads(run("cron", "--json").stdout) == []  # not due again for a day
    rerun = json.loads(run("jobs", "run", "surveys", "--json").stdout)
    # A scheduled fetch asks only for what is new: the last three days again, all stored already.
    assert rerun["counts"]["added"] == 0 and rerun["counts"]["duplicates"] > 0


def test_a_survey_fetch_job_without_targets_is_a_clear_failure(run: Run, store: Store) -> None:
    append_config(store, '[[jobs]]\nname = "surveys"\nkind = "survey_fetch"\nevery = "1d"\n')
    record = json.loads(run("jobs", "run", "surveys", "--json", expect=1).stdout)
    assert record["status"] == "failed"
    assert 'survey_fetch needs targets = ["name", ...] or list = "LIST"' in record["error"]
