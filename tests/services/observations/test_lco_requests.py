"""`obs request` / `obs update` against a local LCO portal and archive serving the real payloads."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.support.cli import Run, append_config, json_of
from tests.support.lco import TOKEN, archive_frames, recorded
from tests.support.paths import LCO
from tom_tui.store.dataproducts import DataProductRepository
from tom_tui.store.store import Store


@pytest.fixture
def lco_store(store: Store, run: Run, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TOM_TUI_NOW", "2021-04-16T00:10:00Z")
    monkeypatch.setenv("TOM_TUI_LCO_TOKEN", TOKEN)
    base = httpserver.url_for("").rstrip("/")
    append_config(
        store,
        f'[facilities.lco]\nportal_url = "{base}"\narchive_url = "{base}/archive"\nproposal = "TOM2020A-008"',
    )
    run("target", "add", "cbbf7050a76247858a3084c5dabdc52c", "--ra", "123.813909", "--dec", "-5.867007")
    return store


def test_submit_poll_complete_and_download_frames_into_raw(
    lco_store: Store, run: Run, httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_oneshot_request(
        "/api/requestgroups/", method="POST", json=recorded("skyportal_lco_requestgroup_create_request.json")
    ).respond_with_json(recorded("skyportal_lco_requestgroup_create_response.json"), status=201)
    run(
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
    )
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["facility_id"] == "1191249" and record["parameters"]["proposal"] == "TOM2020A-008"

    completed = recorded("skyportal_lco_requestgroup_create_response.json")
    completed["state"] = "COMPLETED"
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_json(completed)
    httpserver.expect_request("/api/observations/").respond_with_json(
        recorded("banzai_obs_portal_observations_ogg_20221123.json")
    )
    httpserver.expect_request("/archive/frames/").respond_with_json(
        {"count": 3, "next": None, "previous": None, "results": archive_frames(base, 2452623)}
    )
    frame_bytes = (LCO / "msumastro_biastest1.fit").read_bytes()
    for frame in archive_frames(base, 2452623):
        httpserver.expect_request(f"/storage/{frame['filename']}").respond_with_data(frame_bytes)

    summary = json_of(run("obs", "update", "--json"))
    assert summary["downloaded"] == 3 and summary["errors"] == []
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "COMPLETED" and record["scheduled_start"].startswith("2022-11-24T02:06:50")
    with lco_store.read() as view:
        products = [DataProductRepository(view).get(i) for i in record["data_products"]]
        assert [p.path for p in products] == [
            "raw/lsc-1m0a/20190402/lsc1m004-fa03-20190402-0010-b00.fits.fz",
            "raw/lsc-1m0a/20190402/lsc1m004-fa03-20190402-0011-b00.fits.fz",
            "raw/lsc-1m0a/20190402/lsc1m004-fa03-20190402-0298-b00.fits.fz",
        ]
        assert view.read_bytes(products[0].path) == frame_bytes


def test_a_failing_portal_keeps_the_record_and_says_why(
    lco_store: Store, run: Run, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request("/api/requestgroups/", method="POST").respond_with_json(
        recorded("skyportal_lco_requestgroup_create_response.json"), status=201
    )
    run(
        "obs",
        "request",
        "cbbf7050a76247858a3084c5dabdc52c",
        "--facility",
        "lco",
        "--end",
        "2021-04-20T00:00:00",
    )
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_data("maintenance", status=500)
    result = run("obs", "update")
    assert "answered 500" in result.stderr and TOKEN not in result.stderr + result.stdout
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "PENDING" and "answered 500" in record["last_error"]


def test_a_refused_submission_records_nothing(lco_store: Store, run: Run, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/requestgroups/", method="POST").respond_with_json(
        {"proposal": ["You do not belong to this proposal"]}, status=400
    )
    before = lco_store.generation()
    result = run("obs", "request", "cbbf7050a76247858a3084c5dabdc52c", "--facility", "lco", expect=1)
    assert "proposal: You do not belong to this proposal" in result.stderr
    assert lco_store.generation() == before


def test_frames_late_to_the_archive_are_fetched_later_and_then_given_up_on(
    lco_store: Store, run: Run, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_oneshot_request("/api/requestgroups/", method="POST").respond_with_json(
        recorded("skyportal_lco_requestgroup_create_response.json"), status=201
    )
    run(
        "obs",
        "request",
        "cbbf7050a76247858a3084c5dabdc52c",
        "--facility",
        "lco",
        "--end",
        "2021-04-20T00:00:00",
    )
    completed = recorded("skyportal_lco_requestgroup_create_response.json")
    completed["state"] = "COMPLETED"
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_json(completed)
    httpserver.expect_request("/api/observations/").respond_with_json(
        recorded("banzai_obs_portal_observations_empty.json")
    )
    httpserver.expect_request("/archive/frames/").respond_with_json(
        recorded("banzai_obs_portal_observations_empty.json")  # an empty page: nothing archived yet
    )
    run("obs", "update")
    assert json_of(run("obs", "list", "--status", "open", "--json"))[0]["status"] == "COMPLETED"
    assert json_of(run("obs", "update", "--json"))["polled"] == 1  # still waiting for frames
    monkeypatch.setenv("TOM_TUI_NOW", "2021-04-20T00:10:00Z")
    run("obs", "update")
    assert json_of(run("obs", "list", "--status", "open", "--json")) == []
