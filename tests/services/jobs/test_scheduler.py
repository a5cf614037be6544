from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tom_tui.cli.main import cli
from tom_tui.services.jobs.scheduler import JOB_KINDS, JobSpec, job_kind, known_job_kinds, load_jobs, next_due
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

NOW = "2026-11-22T00:00:00"


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", NOW)


def add_jobs(store: Store, text: str) -> None:
    store.config_path.write_text(store.config_path.read_text() + "\n" + text)


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_schedules_every_and_cron() -> None:
    seen = dt.datetime(2026, 11, 22, 0, 7, tzinfo=dt.UTC)
    every = JobSpec("a", "command", every_seconds=1800)
    assert next_due(every, None, seen) == seen  # never run: due at once
    assert next_due(every, seen, seen) == seen + dt.timedelta(minutes=30)
    hourly = JobSpec("b", "command", cron="0 * * * *")
    assert next_due(hourly, None, seen) == dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)


def test_bad_job_declarations_are_reported_together() -> None:
    config = {
        "jobs": [
            {"name": "x", "kind": "command", "every": "often"},
            {"name": "y", "kind": "command", "every": "5m", "cron": "* * * * *"},
            {"name": "z", "kind": "command", "cron": "every day"},
        ]
    }
    with pytest.raises(Exception) as raised:
        load_jobs(config)
    problems = raised.value.problems  # type: ignore[attr-defined]
    assert len(problems) == 3
    assert "jobs[1].every: 'often' is not a duration" in problems[0]
    assert "exactly one of every" in problems[1] and "jobs[3].cron" in problems[2]


def test_job_kinds_form_a_registry() -> None:
    assert {"broker_query", "ingest_alerts", "catalog_refresh", "command"} <= set(known_job_kinds())
    JOB_KINDS["test_kind"] = lambda context: {"n": 1}
    try:
        assert job_kind("test_kind")(None) == {"n": 1}  # type: ignore[arg-type]
    finally:
        del JOB_KINDS["test_kind"]


def test_cron_runs_due_jobs_once_and_records_them(store: Store) -> None:
    add_jobs(
        store,
        '[[jobs]]\nname = "sky"\nkind = "broker_query"\nevery = "30m"\nbroker = "simulated"\n'
        "options = { lookback_days = 1 }\nwith_history = false\n",
    )
    code, out, err = run(store, "cron", "--json")
    assert code == 0, err
    [record] = json.loads(out)
    assert record["status"] == "ok" and record["counts"]["created"] > 0 and record["ended"]
    with store.read() as view:
        assert len(TargetRepository(view).index) == record["counts"]["created"]
    code, out, _ = run(store, "cron", "--json")
    assert code == 0 and json.loads(out) == []  # not due again for 30 minutes
    code, out, _ = run(store, "jobs", "list", "--json")
    [row] = json.loads(out)
    assert row["schedule"] == "every 30m" and row["last_run"]["status"] == "ok"
    assert row["next_due"].startswith("2026-11-22T00:30")


def test_a_failing_job_does_not_stop_the_others(store: Store) -> None:
    add_jobs(
        store,
        '[[jobs]]\nname = "broken"\nkind = "command"\nevery = "1h"\ncommand = "echo oops >&2; exit 3"\n'
        '[[jobs]]\nname = "fine"\nkind = "command"\nevery = "1h"\ncommand = ["true"]\n',
    )
    code, out, _ = run(store, "cron", "--json")
    assert code == 1  # some job failed
    statuses = {r["job"]: r["status"] for r in json.loads(out)}
    assert statuses == {"broken": "failed", "fine": "ok"}
    code, out, _ = run(store, "jobs", "log", "broken", "--json")
    [record] = json.loads(out)
    assert "exited with status 3" in record["error"] and "oops" in record["log"]
    assert "Traceback" in record["traceback"]


def test_an_overrunning_job_is_stopped_and_marked_failed(store: Store) -> None:
    add_jobs(
        store,
        '[[jobs]]\nname = "slow"\nkind = "command"\nevery = "1h"\ntimeout = "2s"\ncommand = "sleep 60"\n',
    )
    started = time.monotonic()
    code, out, _ = run(store, "jobs", "run", "slow", "--json")
    assert time.monotonic() - started < 20
    assert code == 1
    record = json.loads(out)
    assert record["status"] == "timeout" and "timeout of 2s" in record["error"]


def test_two_cron_processes_never_run_one_job_twice(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    add_jobs(
        store,
        f'[[jobs]]\nname = "once"\nkind = "command"\nevery = "1h"\n'
        f'command = "echo run >> {marker}; sleep 2"\n',
    )
    env = {**os.environ, "TOM_TUI_NOW": NOW}
    command = [
        sys.executable,
        "-c",
        "from tom_tui.cli.main import main; main()",
        "--store",
        str(store.root),
        "cron",
    ]
    processes = [subprocess.Popen(command, env=env) for _ in range(2)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    assert marker.read_text().count("run") == 1
    _, out, _ = run(store, "jobs", "log", "once", "--runs", "10", "--json")
    assert len(json.loads(out)) == 1


def test_unknown_job_is_a_clear_error(store: Store) -> None:
    code, _, err = run(store, "jobs", "run", "nothing")
    assert code == 1 and "no job named 'nothing'" in err


def test_ingest_alerts_job_only_reads_new_files(store: Store, tmp_path: Path) -> None:
    from tests.support.paths import ALERTS

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "a.avro").write_bytes((ALERTS / "fink_ZTF19acihgng.avro").read_bytes())
    add_jobs(store, f'[[jobs]]\nname = "drop"\nkind = "ingest_alerts"\nevery = "5m"\npath = "{incoming}"\n')
    code, out, err = run(store, "jobs", "run", "drop", "--json")
    assert code == 0, err
    assert json.loads(out)["counts"]["files"] == 1
    code, out, _ = run(store, "jobs", "run", "drop", "--json")
    assert json.loads(out)["counts"]["files"] == 0


def test_catalog_refresh_job_adds_resolved_targets(store: Store, httpserver: HTTPServer) -> None:
    from tests.support.paths import CATALOGS

    httpserver.expect_request("/api/get-orb").respond_with_data(
        (CATALOGS / "tom_base_65803_mpc_orb.json").read_bytes(), content_type="application/json"
    )
    add_jobs(
        store,
        f'[catalogs.mpc]\nbase_url = "{httpserver.url_for("/api")}"\n'
        '[[jobs]]\nname = "orbits"\nkind = "catalog_refresh"\nevery = "1d"\n'
        'catalog = "mpc"\nnames = ["65803"]\n',
    )
    code, out, err = run(store, "jobs", "run", "orbits", "--json")
    assert code == 0, err
    assert json.loads(out)["counts"] == {"resolved": 1, "created": 1, "updated": 0, "failed": 0}
    with store.read() as view:
        assert TargetRepository(view).find("65803 Didymos") is not None
