"""The TOM Toolkit client against answers recorded from a running TOM Toolkit 3.1.0."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.support.paths import DATA
from tom_tui.adapters.http import Credentials, HttpClient
from tom_tui.adapters.sharing.tomtoolkit import TomToolkitClient
from tom_tui.domain.errors import AdapterError

RECORDED = DATA / "sharing"
TOKEN = "dac8b7bb3580dad4e50b66f8417b444c97d6100b"
RECORDED_BASE = "http://127.0.0.1:18765"


def _recorded(name: str, server: HTTPServer) -> Any:
    text = (RECORDED / f"tomtoolkit_{name}.json").read_text()
    return json.loads(text.replace(RECORDED_BASE, server.url_for("").rstrip("/")))


def _tom(server: HTTPServer, client: HttpClient, **secrets: str) -> TomToolkitClient:
    credentials = Credentials("colleagues", secrets or {"token": TOKEN})
    return TomToolkitClient(server.url_for("/"), credentials, client, page_size=1)


def test_targets_are_read_page_by_page_with_aliases_and_extras(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/api/targets/", query_string="limit=1").respond_with_json(
        _recorded("targets_page1", httpserver)
    )
    httpserver.expect_request("/api/targets/", query_string="limit=1&offset=1").respond_with_json(
        _recorded("targets_page2", httpserver)
    )
    targets = list(_tom(httpserver, client).targets())
    assert [(t.id, t.name, t.aliases, t.ra, t.dec) for t in targets] == [
        (1, "SN 2026abc", ("ZTF26aaaaaa",), 150.1, 2.2),
        (2, "AT 2026xyz", ("ATLAS26abc",), 10.5, -20.25),
    ]
    assert targets[0].extras == {"redshift": "0.05"}
    assert all(request.headers["Authorization"] == f"Token {TOKEN}" for request, _ in httpserver.log)


def test_datums_follow_next_links(httpserver: HTTPServer, client: HttpClient) -> None:
    query = {"data_type": "photometry", "limit": "1", "target__id": "1"}
    httpserver.expect_request("/api/reduceddatums/", query_string=query).respond_with_json(
        _recorded("datums_page1", httpserver)
    )
    httpserver.expect_request("/api/reduceddatums/", query_string={**query, "offset": "1"}).respond_with_json(
        _recorded("datums_page2", httpserver)
    )
    datums = _tom(httpserver, client).datums(1)
    assert [d["value"]["brightness"] for d in datums] == [None, 18.5]  # the limit-only datum has no value


def test_a_plain_list_answer_of_an_unpaginated_tom_is_read(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    page = _recorded("targets_page1", httpserver)
    httpserver.expect_request("/api/targets/").respond_with_json(page["results"])
    assert [t.name for t in _tom(httpserver, client).targets()] == ["SN 2026abc"]


def test_find_compares_names_exactly_and_falls_back_to_a_cone(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    page = {**_recorded("targets_page1", httpserver), "next": None}
    # The TOM's name filter matches substrings: "SN 2026ab" is not "SN 2026abc".
    httpserver.expect_request(
        "/api/targets/", query_string={"limit": "1", "name": "SN 2026ab"}
    ).respond_with_json(page)
    empty = {"count": 0, "next": None, "previous": None, "results": []}
    httpserver.expect_request(
        "/api/targets/", query_string={"limit": "1", "cone_search": "150.10000000,2.20000000,0.00055556"}
    ).respond_with_json(empty)
    assert _tom(httpserver, client).find_target(["SN 2026ab"], 150.1, 2.2, 2.0) is None
    httpserver.clear()
    httpserver.expect_request(
        "/api/targets/", query_string={"limit": "1", "name": "ztf26-aaaaaa"}
    ).respond_with_json(page)
    found = _tom(httpserver, client).find_target(["ztf26-aaaaaa"], None, None, 2.0)
    assert found is not None and found.id == 1  # an alias, compared as names are here


def test_basic_auth_header(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/targets/").respond_with_json(_recorded("targets_page2", httpserver))
    list(_tom(httpserver, client, username="sharer", password="pw-for-tests-1").targets())
    expected = "Basic " + base64.b64encode(b"sharer:pw-for-tests-1").decode()
    assert httpserver.log[0][0].headers["Authorization"] == expected


def test_a_wrong_token_is_one_sentence_without_the_token(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/targets/").respond_with_data(
        (RECORDED / "tomtoolkit_wrong_token.json").read_text(),
        status=401,
        headers={"WWW-Authenticate": "Token"},
        content_type="application/json",
    )
    with pytest.raises(AdapterError) as refused:
        list(_tom(httpserver, client).targets())
    message = str(refused.value)
    assert 'refused the credentials (HTTP 401: {"detail":"Invalid token."})' in message
    assert TOKEN not in message and "\n" not in message


def test_duplicate_target_and_datum_answers(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/targets/", method="POST").respond_with_data(
        (RECORDED / "tomtoolkit_duplicate_target.json").read_text(),
        status=400,
        content_type="application/json",
    )
    httpserver.expect_request("/api/reduceddatums/", method="POST").respond_with_json(
        _recorded("datum_already_exists", httpserver), status=200
    )
    tom = _tom(httpserver, client)
    with pytest.raises(
        AdapterError, match=r"refused to create target 'SN 2026abc': name: target with this Name"
    ):
        tom.create_target({"name": "SN 2026abc", "type": "SIDEREAL", "ra": 150.1, "dec": 2.2})
    assert (
        tom.send_datum({"target": 1, "data_type": "photometry", "timestamp": "2026-01-02T03:04:05Z"}) is False
    )


def test_a_failed_post_is_not_sent_again(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/reduceddatums/", method="POST").respond_with_data("boom", status=502)
    with pytest.raises(AdapterError, match="not sent again"):
        _tom(httpserver, client).send_datum({"target": 1, "data_type": "photometry"})
    assert len(httpserver.log) == 1


def test_html_instead_of_json_names_the_base_url(
    httpserver: HTTPServer, client: HttpClient, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/targets/").respond_with_data(
        "<html>login</html>", content_type="text/html"
    )
    with pytest.raises(AdapterError, match="expected JSON from the TOM's API, got text/html; check base_url"):
        list(_tom(httpserver, client).targets())
