"""A request group is created once, however the portal's answer to the submission gets lost:
after a 504 or a stalled answer the adapter looks the group up instead of sending it again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.lco import TOKEN, recorded
from tom_tui.adapters.facilities.lco import LCOFacility
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.target import build_target

OPTIONS = {
    "proposal": "TOM2020A-008",
    "filters": "gp,Y",
    "exposure_time": "300",
    "max_airmass": "2",
    "min_lunar_distance": "30",
    "ipp_value": "1",
    "start": "2021-04-16 00:00:00",
    "end": "2021-04-23 00:00:00",
}


class PortalLosingAnswers:
    """Creates a request group for every POST (the portal's real create answer), then loses the
    answer: a 504 from its gateway, or no answer before the client gives up."""

    def __init__(self, loses_with: str) -> None:
        self.loses_with = loses_with
        self.groups: list[dict[str, Any]] = []

    def create(self, request: Request) -> Response:
        sent = json.loads(request.data)
        group = recorded("skyportal_lco_requestgroup_create_response.json")
        group.update(id=1191249 + len(self.groups), name=sent["name"], proposal=sent["proposal"])
        self.groups.append(group)
        if self.loses_with == "stall":
            time.sleep(0.8)
            return Response(json.dumps(group), status=201, content_type="application/json")
        return Response("<html>504 Gateway Time-out</html>", status=504, content_type="text/html")

    def list(self, request: Request) -> Response:
        name = request.args.get("name", "")
        found = [group for group in self.groups if name.lower() in group["name"].lower()]
        page = {"count": len(found), "next": None, "previous": None, "results": found}
        return Response(json.dumps(page), content_type="application/json")


@pytest.fixture
def portal_server() -> Iterator[HTTPServer]:
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(autouse=True)
def pinned_2021(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2021-04-16T00:10:00Z")
    monkeypatch.delenv("TOM_TUI_LCO_TOKEN", raising=False)
    monkeypatch.delenv("LCO_API_TOKEN", raising=False)


def facility(server: HTTPServer, **settings: Any) -> LCOFacility:
    base = server.url_for("").rstrip("/")
    return LCOFacility({"portal_url": base, "token": TOKEN, "max_retries": 3, "timeout": 0.3, **settings})


def target() -> Any:
    return build_target({"name": "cbbf7050a76247858a3084c5dabdc52c", "ra": 123.813909, "dec": -5.867007})


@pytest.mark.parametrize("loses_with", ["504", "stall"])
def test_a_lost_answer_creates_exactly_one_group_and_adopts_it(
    portal_server: HTTPServer, loses_with: str
) -> None:
    portal = PortalLosingAnswers(loses_with)
    portal_server.expect_request("/api/requestgroups/", method="POST").respond_with_handler(portal.create)
    portal_server.expect_request("/api/requestgroups/", method="GET").respond_with_handler(portal.list)
    lco = facility(portal_server)
    request, problems = lco.prepare(target(), OPTIONS)
    assert problems == []
    assert lco.submit(request) == "1191249"
    time.sleep(0.9)  # a wrongly repeated POST would have arrived by now
    assert len(portal.groups) == 1
    lookups = [entry[0] for entry in portal_server.log if entry[0].method == "GET"]
    assert lookups and lookups[0].args["proposal"] == "TOM2020A-008"


def test_when_no_group_is_found_the_error_says_to_check_the_portal(portal_server: HTTPServer) -> None:
    portal_server.expect_request("/api/requestgroups/", method="POST").respond_with_data("", status=504)
    portal_server.expect_request("/api/requestgroups/", method="GET").respond_with_json(
        {"count": 0, "next": None, "results": []}
    )
    lco = facility(portal_server)
    request, _ = lco.prepare(target(), OPTIONS)
    with pytest.raises(AdapterError) as raised:
        lco.submit(request)
    message = str(raised.value)
    assert "may have created the request group" in message and "before retrying" in message
    assert "/requestgroups/" in message and TOKEN not in message
    assert sum(1 for entry in portal_server.log if entry[0].method == "POST") == 1


def test_a_token_in_a_readable_tom_tui_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "tom-tui.toml"
    config.write_text(f'[facilities.lco]\ntoken = "{TOKEN}"\n')
    config.chmod(0o644)
    lco = LCOFacility({"token": TOKEN, "store_root": str(tmp_path)})
    with pytest.raises(ValidationError, match="chmod 600") as raised:
        _ = lco.token
    assert TOKEN not in str(raised.value)
    config.chmod(0o600)
    assert LCOFacility({"token": TOKEN + "\n", "store_root": str(tmp_path)}).token == TOKEN
