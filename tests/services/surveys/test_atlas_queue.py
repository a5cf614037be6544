"""A `survey fetch` killed while ATLAS works on its task: the next run polls the same task and never
submits the request a second time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from pytest_httpserver import HTTPServer

from tests.support.atlas import DEC, RA, FakeQueue
from tests.support.cli import append_config
from tom_tui.services.surveys.fetch import fetch_records, fetch_survey, remembered_fetches, state_path
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

NOW = "2026-11-22T00:00:00"


def test_a_killed_fetch_is_finished_by_the_next_run_without_a_second_post(
    store: Store, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = FakeQueue(httpserver, polls_before_done=10**6)
    append_config(
        store,
        f'[surveys.atlas]\nbase_url = "{httpserver.url_for("/forcephot")}"\n'
        "poll_seconds = 0.2\nwait_seconds = 600.0",
    )
    monkeypatch.setenv("TOM_TUI_NOW", NOW)
    monkeypatch.setenv("TOM_TUI_ATLAS_TOKEN", "s3cr3t-token")
    target = TargetService(store).add({"name": "SN 2024abc", "ra": RA, "dec": DEC}).target
    command = [sys.executable, "-m", "tom_tui", "--store", str(store.root), "survey", "fetch", "SN 2024abc"]
    process = subprocess.Popen(
        [*command, "--survey", "atlas"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60.0
        while queue.polls < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    assert len(queue.posts) == 1 and queue.polls >= 2
    with store.read() as view:
        assert list((view.read_json(state_path("atlas")) or {})["tasks"].values()) == [queue.task_url]
    assert fetch_records(store) == [{"target_id": None, "survey": "atlas", "pending_task": queue.task_url}]
    queue.polls_before_done = 0
    summary = fetch_survey(store, "SN 2024abc", "atlas")
    assert len(queue.posts) == 1 and summary.added == 32 and queue.deleted == 1
    assert remembered_fetches(store, "atlas")[str(target.id)]["rows"] == 32
    with store.read() as view:
        assert view.read_json(state_path("atlas"))["tasks"] == {}
