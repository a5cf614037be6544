"""The shared client keeps a connection per thread, lets an adapter explain its own errors, and
turns every request failure into an AdapterError; LCO goes through it like every adapter."""

from __future__ import annotations

import threading

import pytest
from pytest_httpserver import HTTPServer

from tom_tui.adapters.facilities.lco import LCOFacility
from tom_tui.adapters.http import HttpClient, HttpRequest
from tom_tui.domain.errors import AdapterError


def test_each_thread_keeps_its_own_session(client: HttpClient) -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(client.session))
    worker.start()
    worker.join()
    assert client.session is client.session
    assert seen[0] is not client.session


def test_an_error_status_can_be_left_to_the_adapter(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/missing").respond_with_json({"detail": "Not found."}, status=404)
    request = HttpRequest("GET", httpserver.url_for("/missing"))
    assert client.send(request, check_status=False).status_code == 404
    with pytest.raises(AdapterError, match="HTTP 404"):
        client.send(request)


def test_a_request_that_cannot_be_sent_is_an_adapter_error(client: HttpClient) -> None:
    with pytest.raises(AdapterError, match="InvalidURL; check the service's base URL"):
        client.send(HttpRequest("GET", "http://"))


def test_lco_retries_through_the_shared_client(httpserver: HTTPServer) -> None:
    facility = LCOFacility({"portal_url": httpserver.url_for(""), "token": "T", "max_retries": 1})
    assert isinstance(facility.client, HttpClient) and facility.client.retries == 1
    httpserver.expect_ordered_request("/api/requestgroups/7/").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/api/requestgroups/7/").respond_with_json(
        {"id": 7, "state": "PENDING"}
    )
    assert facility.request_group("7")["state"] == "PENDING"
