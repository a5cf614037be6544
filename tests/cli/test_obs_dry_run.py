"""`tom-tui obs request --dry-run` prints the facility and the exact payload, and sends nothing."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from tests.support.cli import Run, append_config, json_of, run
from tests.support.lco import TOKEN, recorded
from tom_tui.store.store import Store

__all__ = ["run"]

REQUEST = [
    "obs",
    "request",
    "cbbf7050a76247858a3084c5dabdc52c",
    "--facility",
    "lco",
    "--filters",
    "gp,Y",
    "--max-airmass",
    "2",
    "--ipp-value",
    "1",
    "--start",
    "2021-04-16 00:00:00",
    "--end",
    "2021-04-23 00:00:00",
    "--dry-run",
]


@pytest.fixture
def lco_store(store: Store, run: Run, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TOM_TUI_NOW", "2021-04-16T00:10:00Z")
    monkeypatch.setenv("TOM_TUI_LCO_TOKEN", TOKEN)
    base = httpserver.url_for("").rstrip("/")
    append_config(store, f'[facilities.lco]\nportal_url = "{base}"\nproposal = "TOM2020A-008"')
    run("target", "add", "cbbf7050a76247858a3084c5dabdc52c", "--ra", "123.813909", "--dec", "-5.867007")
    return store


def test_dry_run_prints_the_payload_the_portal_would_get_and_sends_nothing(
    lco_store: Store, run: Run, httpserver: HTTPServer
) -> None:
    shown = json_of(run(*REQUEST, "--json"))
    assert shown["facility"] == "lco"
    assert shown["payload"] == recorded("skyportal_lco_requestgroup_create_request.json")
    text = run(*REQUEST).stdout
    assert text.startswith("Would send to lco (nothing sent):")
    assert json.loads(text.split("\n", 1)[1]) == shown["payload"]
    assert TOKEN not in text
    assert httpserver.log == []
    assert json_of(run("obs", "list", "--json")) == []


def test_dry_run_reports_problems_like_a_real_request(lco_store: Store, run: Run) -> None:
    result = run(*REQUEST, "--filters", "Hα", expect=1)
    assert "filters: 'Hα' is not a filter of 1M0-SCICAM-SINISTRO" in result.stderr
