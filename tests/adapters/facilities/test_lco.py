"""The LCO adapter against the real recorded portal payloads, served by a local HTTP server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.lco import TOKEN, archive_frames, recorded
from tests.support.paths import LCO
from tom_tui.adapters.facilities.base import SubmittedObservation
from tom_tui.adapters.facilities.lco import LCOFacility
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.target import build_target


@pytest.fixture
def pinned_2021(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2021-04-16T00:10:00Z")
    monkeypatch.delenv("TOM_TUI_LCO_TOKEN", raising=False)
    monkeypatch.delenv("LCO_API_TOKEN", raising=False)


@pytest.fixture
def lco(httpserver: HTTPServer, pinned_2021: None) -> LCOFacility:
    base = httpserver.url_for("").rstrip("/")
    return LCOFacility(
        {"portal_url": base, "archive_url": base + "/archive", "token": TOKEN, "max_retries": 2}
    )


def skyportal_target() -> Any:
    return build_target({"name": "cbbf7050a76247858a3084c5dabdc52c", "ra": 123.813909, "dec": -5.867007})


SKYPORTAL_OPTIONS = {
    "proposal": "TOM2020A-008",
    "filters": "gp,Y",
    "exposure_time": "300",
    "max_airmass": "2",
    "min_lunar_distance": "30",
    "ipp_value": "1",
    "start": "2021-04-16 00:00:00",
    "end": "2021-04-23 00:00:00",
}


def submitted(facility_id: str) -> SubmittedObservation:
    return SubmittedObservation(facility_id, skyportal_target(), {}, dt.datetime(2021, 4, 16, tzinfo=dt.UTC))


def test_request_group_payload_is_what_the_portal_was_really_sent(lco: LCOFacility) -> None:
    request, problems = lco.prepare(skyportal_target(), SKYPORTAL_OPTIONS)
    assert problems == []
    assert lco.request_group_payload(request) == recorded("skyportal_lco_requestgroup_create_request.json")


def test_submit_posts_with_token_and_returns_the_request_group_id(
    lco: LCOFacility, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(
        "/api/requestgroups/",
        method="POST",
        json=recorded("skyportal_lco_requestgroup_create_request.json"),
        headers={"Authorization": f"Token {TOKEN}"},
    ).respond_with_json(recorded("skyportal_lco_requestgroup_create_response.json"), status=201)
    request, _ = lco.prepare(skyportal_target(), SKYPORTAL_OPTIONS)
    assert lco.submit(request) == "1191249"
    httpserver.check_assertions()


def test_validation_reports_every_problem_at_once(lco: LCOFacility) -> None:
    options = dict(SKYPORTAL_OPTIONS, proposal="", filters="gp,Halpha", end="2021-04-15 00:00:00")
    options["exposure_count"] = "two"
    _, problems = lco.prepare(skyportal_target(), options)
    assert any(p.startswith("proposal: missing") for p in problems)
    assert any(p.startswith("exposure_count:") and "whole number" in p for p in problems)
    # type errors stop before the cross-field checks; fix them and the rest shows up together
    options["exposure_count"] = "2"
    options["proposal"] = "TOM2020A-008"
    _, problems = lco.prepare(skyportal_target(), options)
    assert "filters: 'Halpha' is not a filter of 1M0-SCICAM-SINISTRO" in problems[0]
    assert any(p.startswith("end:") and "not after start" in p for p in problems)
    assert any(p.startswith("end:") and "in the past" in p for p in problems)


def test_pending_request_group_without_a_scheduled_block(lco: LCOFacility, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_json(
        recorded("skyportal_lco_requestgroup_create_response.json")
    )
    httpserver.expect_request(
        "/api/observations/", query_string={"request_group_id": "1191249", "ordering": "-start"}
    ).respond_with_json(recorded("banzai_obs_portal_observations_empty.json"))
    report = lco.update_status(submitted("1191249"))
    assert report.status == "PENDING"
    assert report.scheduled_start is None and not lco.is_terminal(report.status)


def test_completed_request_group_takes_its_schedule_from_the_observed_block(
    lco: LCOFacility, httpserver: HTTPServer
) -> None:
    group = recorded("skyportal_lco_requestgroup_create_response.json")
    group.update(id=1586394, state="COMPLETED")  # the real group, in the state it reaches when observed
    httpserver.expect_request("/api/requestgroups/1586394/").respond_with_json(group)
    httpserver.expect_request("/api/observations/").respond_with_json(
        recorded("banzai_obs_portal_observations_ogg_20221123.json")
    )
    report = lco.update_status(submitted("1586394"))
    assert report.status == "COMPLETED" and lco.is_terminal("COMPLETED") and not lco.is_failed("COMPLETED")
    assert report.scheduled_start == dt.datetime(2022, 11, 24, 2, 6, 50, 790176, tzinfo=dt.UTC)
    assert report.detail.startswith("ogg/clma/0m4c")


def test_cancel_and_the_canceled_state_is_terminal_and_failed(
    lco: LCOFacility, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request("/api/requestgroups/1191249/cancel/", method="POST").respond_with_json(
        recorded("skyportal_lco_requestgroup_cancel_response.json")
    )
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_json(
        recorded("skyportal_lco_requestgroup_cancel_response.json")
    )
    assert lco.cancel(submitted("1191249")) == "CANCELED"
    report = lco.update_status(submitted("1191249"))  # no /api/observations/ call: a 500 would raise
    assert report.status == "CANCELED" and lco.is_failed(report.status)


def test_portal_errors_become_one_readable_message_without_the_token(
    lco: LCOFacility, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/requestgroups/", method="POST").respond_with_json(
        {
            "proposal": ['Invalid pk "NOPE" - object does not exist.'],
            "requests": [
                {
                    "windows": [
                        {
                            "non_field_errors": [
                                "The observation window does not fit within any defined semester."
                            ]
                        }
                    ]
                }
            ],
        },
        status=400,
    )
    request, _ = lco.prepare(skyportal_target(), SKYPORTAL_OPTIONS)
    with pytest.raises(AdapterError) as caught:
        lco.submit(request)
    message = str(caught.value)
    assert "answered 400" in message and "proposal: Invalid pk" in message
    assert "requests.0.windows.0: The observation window does not fit" in message
    assert TOKEN not in message


def test_refused_token_is_named_but_never_shown(lco: LCOFacility, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/requestgroups/1/").respond_with_json(
        {"detail": "Invalid token."}, status=401
    )
    with pytest.raises(AdapterError, match="refused the API token") as caught:
        lco.update_status(submitted("1"))
    assert TOKEN not in str(caught.value)


def test_missing_token_says_where_to_put_it(
    httpserver: HTTPServer, pinned_2021: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    facility = LCOFacility({"portal_url": httpserver.url_for(""), "store_root": str(tmp_path)})
    with pytest.raises(AdapterError, match="TOM_TUI_LCO_TOKEN"):
        facility.update_status(submitted("1"))


def test_token_from_the_credentials_file(
    httpserver: HTTPServer, pinned_2021: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials.toml"
    credentials.write_text('[lco]\ntoken = "from-file"\n')
    credentials.chmod(0o600)
    httpserver.expect_request(
        "/api/requestgroups/1191249/", headers={"Authorization": "Token from-file"}
    ).respond_with_json(recorded("skyportal_lco_requestgroup_cancel_response.json"))
    facility = LCOFacility({"portal_url": httpserver.url_for(""), "store_root": str(tmp_path)})
    assert facility.update_status(submitted("1191249")).status == "CANCELED"


def test_rate_limited_calls_are_retried(lco: LCOFacility, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/api/requestgroups/1191249/").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "0"})
    )
    httpserver.expect_ordered_request("/api/requestgroups/1191249/").respond_with_json(
        recorded("skyportal_lco_requestgroup_cancel_response.json")
    )
    assert lco.update_status(submitted("1191249")).status == "CANCELED"


def test_frames_are_listed_across_pages_and_downloaded_without_the_token(
    lco: LCOFacility, httpserver: HTTPServer, tmp_path: Path
) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/api/requestgroups/1191249/").respond_with_json(
        recorded("skyportal_lco_requestgroup_create_response.json")
    )
    frames = archive_frames(base, 2452623)
    first_page = {
        "count": 3,
        "next": f"{base}/archive/frames/?offset=2&request_id=2452623",
        "previous": None,
        "results": frames[:2],
    }
    second_page = {"count": 3, "next": None, "previous": None, "results": frames[2:]}
    httpserver.expect_request(
        "/archive/frames/", query_string={"offset": "2", "request_id": "2452623"}
    ).respond_with_json(second_page)
    httpserver.expect_request(
        "/archive/frames/", query_string={"request_id": "2452623", "reduction_level": "0", "limit": "1000"}
    ).respond_with_json(first_page)
    fits_bytes = (LCO / "msumastro_biastest1.fit").read_bytes()
    seen_headers: list[str | None] = []

    def serve_frame(request: Request) -> Response:
        seen_headers.append(request.headers.get("Authorization"))
        return Response(fits_bytes, content_type="application/octet-stream")

    httpserver.expect_request("/storage/lsc1m004-fa03-20190402-0298-b00.fits.fz").respond_with_handler(
        serve_frame
    )
    products = lco.data_products(submitted("1191249"))
    assert [p.filename for p in products] == [f["filename"] for f in frames]
    last = products[-1]
    assert (last.telescope, last.night, last.filter) == ("lsc-1m0a", "20190402", "Y")
    destination = tmp_path / last.filename
    lco.download(submitted("1191249"), last, destination)
    assert destination.read_bytes() == fits_bytes
    assert seen_headers == [None]


def test_remote_validation_adds_the_portals_objections(httpserver: HTTPServer, pinned_2021: None) -> None:
    facility = LCOFacility({"portal_url": httpserver.url_for(""), "token": TOKEN, "validate_remotely": True})
    objection = {"request_durations": {}, "errors": {"proposal": ["Proposal TOM2020A-008 has no time left"]}}
    httpserver.expect_oneshot_request(
        "/api/requestgroups/validate/",
        method="POST",
        json=recorded("skyportal_lco_requestgroup_create_request.json"),
    ).respond_with_json(objection)
    _, problems = facility.prepare(skyportal_target(), SKYPORTAL_OPTIONS)
    assert problems == ["proposal: Proposal TOM2020A-008 has no time left"]
