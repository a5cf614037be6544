"""A refusal stops neither the other targets nor the summary, and the command exits 1; answers
recorded from TOM Toolkit 3.1.0 (tests/data/sharing)."""

from __future__ import annotations

import os

from pytest_httpserver import HTTPServer

from tests.support.cli import Run, append_config, json_of
from tests.support.paths import DATA
from tests.support.stores import snapshot
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

EMPTY = {"count": 0, "next": None, "previous": None, "results": []}


def test_one_refused_target_is_reported_and_the_others_are_shared(
    store: Store, run: Run, httpserver: HTTPServer
) -> None:
    append_config(store, f'[sharing.colleagues]\nkind = "tomtoolkit"\nbase_url = "{httpserver.url_for("/")}"')
    credentials = store.root / "credentials.toml"
    credentials.write_text('[colleagues]\ntoken = "abcd1234abcd1234"\n')
    os.chmod(credentials, 0o600)
    TargetService(store).add({"name": "SN 2026abc", "ra": 150.1, "dec": 2.2})
    TargetService(store).add({"name": "SN 2026new", "ra": 10.0, "dec": 5.0})
    httpserver.expect_request("/api/targets/", method="GET").respond_with_json(EMPTY)
    refused = (DATA / "sharing" / "tomtoolkit_duplicate_target.json").read_text()
    created = {"id": 9, "name": "SN 2026new", "type": "SIDEREAL", "ra": 10.0, "dec": 5.0, "aliases": []}
    httpserver.expect_oneshot_request("/api/targets/", method="POST").respond_with_data(
        refused, status=400, content_type="application/json"
    )
    httpserver.expect_oneshot_request("/api/targets/", method="POST").respond_with_json(created, status=201)
    result = run("share", "SN 2026abc", "SN 2026new", "--to", "colleagues", "--json", expect=1)
    summary = json_of(result)
    assert [(t["name"], t["status"], t["remote_id"]) for t in summary["targets"]] == [
        ("SN 2026abc", "refused", None),
        ("SN 2026new", "sent", 9),
    ]
    assert summary["targets"][0]["reason"] == (
        "the TOM refused to create target 'SN 2026abc': name: target with this Name already exists."
    )
    assert result.stderr.strip().startswith(
        "Error: colleagues: 1 target(s) refused; the first: the TOM refused"
    )
    posts = [request for request, _ in httpserver.log if request.method == "POST"]
    assert len(posts) == 2  # nothing sent twice


def test_dry_run_sends_nothing_and_writes_nothing(store: Store, run: Run, httpserver: HTTPServer) -> None:
    append_config(store, f'[sharing.colleagues]\nkind = "tomtoolkit"\nbase_url = "{httpserver.url_for("/")}"')
    credentials = store.root / "credentials.toml"
    credentials.write_text('[colleagues]\ntoken = "abcd1234abcd1234"\n')
    os.chmod(credentials, 0o600)
    TargetService(store).add({"name": "SN 2026new", "ra": 10.0, "dec": 5.0, "lists": ["Tonight"]})
    httpserver.expect_request("/api/targets/", method="GET").respond_with_json(EMPTY)
    before = snapshot(store)
    summary = json_of(run("share", "--list", "Tonight", "--to", "colleagues", "--dry-run", "--json"))
    assert [(t["status"], t["created"]) for t in summary["targets"]] == [("would send", True)]
    assert all(request.method == "GET" for request, _ in httpserver.log)
    assert snapshot(store) == before
