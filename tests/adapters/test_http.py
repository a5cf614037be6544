from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.http import RecordingSleep
from tom_tui.adapters.http import (
    USER_AGENT,
    HttpClient,
    HttpRequest,
    RateLimiter,
    load_credentials,
    retry_after_seconds,
)
from tom_tui.domain.errors import AdapterError, ValidationError


def test_sends_tom_tui_user_agent(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/ping", headers={"User-Agent": USER_AGENT}).respond_with_json({"ok": True})
    assert client.send_json(HttpRequest("GET", httpserver.url_for("/ping"))) == {"ok": True}
    assert USER_AGENT.startswith("tom-tui/")


def test_retries_5xx_with_backoff_then_succeeds(
    httpserver: HTTPServer, client: HttpClient, sleeps: RecordingSleep
) -> None:
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=502)
    httpserver.expect_ordered_request("/flaky").respond_with_json([1, 2])
    assert client.send_json(HttpRequest("GET", httpserver.url_for("/flaky"))) == [1, 2]
    assert sleeps.calls == [0.5, 1.0]  # exponential backoff


def test_honours_retry_after_on_429(
    httpserver: HTTPServer, client: HttpClient, sleeps: RecordingSleep
) -> None:
    httpserver.expect_ordered_request("/limited").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/limited").respond_with_json({"done": 1})
    assert client.send_json(HttpRequest("GET", httpserver.url_for("/limited"))) == {"done": 1}
    assert sleeps.calls == [7.0]


def test_gives_up_after_retries_naming_the_url_but_no_secret(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/down").respond_with_data("maintenance", status=503)
    request = HttpRequest("GET", httpserver.url_for("/down"), params={"api_key": "s3cret", "q": "x"})
    with pytest.raises(AdapterError) as raised:
        client.send(request)
    message = str(raised.value)
    assert "HTTP 503" in message and "/down" in message and "maintenance" in message
    assert "s3cret" not in message and "api_key=%2A%2A%2A" in message
    assert len(httpserver.log) == 3  # first try + 2 retries


def test_client_error_is_not_retried(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/missing").respond_with_data("no such object", status=404)
    with pytest.raises(AdapterError, match="HTTP 404"):
        client.send(HttpRequest("GET", httpserver.url_for("/missing")))
    assert len(httpserver.log) == 1


def test_timeout_becomes_an_adapter_error(httpserver: HTTPServer, sleeps: RecordingSleep) -> None:
    def slow(_: Request) -> Response:
        time.sleep(0.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    client = HttpClient(timeout=0.1, retries=1, rate_limiter=RateLimiter(default_per_second=0), sleep=sleeps)
    with pytest.raises(AdapterError, match="no answer after 2 attempt"):
        client.send(HttpRequest("GET", httpserver.url_for("/slow")))


def test_rate_limit_spaces_requests_to_one_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/r").respond_with_json({})
    limiter = RateLimiter({f"{httpserver.host}:{httpserver.port}": 20.0})
    client = HttpClient(rate_limiter=limiter)
    started = time.monotonic()
    for _ in range(5):
        client.send(HttpRequest("GET", httpserver.url_for("/r")))
    assert time.monotonic() - started >= 4 / 20.0 - 0.01


def test_non_json_answer_is_reported(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/html").respond_with_data("<html>login</html>", content_type="text/html")
    with pytest.raises(AdapterError, match="expected JSON, got text/html"):
        client.send_json(HttpRequest("GET", httpserver.url_for("/html")))


def test_retry_after_accepts_http_dates() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("soon") is None


def test_describe_redacts_secrets() -> None:
    request = HttpRequest(
        "POST",
        "https://example.org/api",
        data={"api_key": "k1", "data": "{}"},
        headers={"Authorization": "Token t1"},
    )
    described = str(request.describe())
    assert "k1" not in described and "t1" not in described and "***" in described


def test_credentials_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "credentials.toml"
    path.write_text('[tns]\napi_key = "abc"\n')
    path.chmod(0o644)
    with pytest.raises(ValidationError, match="chmod 600"):
        load_credentials("tns", tmp_path)
    path.chmod(0o600)
    credentials = load_credentials("tns", tmp_path)
    assert credentials["api_key"] == "abc"
    assert "abc" not in repr(credentials) and "abc" not in str(credentials)


def test_environment_overrides_credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.toml"
    path.write_text('[lasair]\ntoken = "from-file"\n')
    path.chmod(0o600)
    monkeypatch.setenv("TOM_TUI_LASAIR_TOKEN", "from-env")
    assert load_credentials("lasair", tmp_path)["token"] == "from-env"


def test_missing_credentials_say_how_to_set_them(tmp_path: Path) -> None:
    credentials = load_credentials("tns", tmp_path)
    with pytest.raises(AdapterError, match="TOM_TUI_TNS_API_KEY"):
        credentials.require("api_key")


def test_secrets_never_reach_the_log(
    httpserver: HTTPServer, client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_ordered_request("/x").respond_with_data("", status=500)
    httpserver.expect_ordered_request("/x").respond_with_json({})
    with caplog.at_level(logging.DEBUG):
        client.send(HttpRequest("GET", httpserver.url_for("/x"), params={"token": "hunter2"}))
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("tom_tui", "urllib3"))]
    assert ours and not any("hunter2" in message for message in ours)
