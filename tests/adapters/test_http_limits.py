"""The shared HTTP client never repeats a request that may have been acted on, bounds a call in
time and size, and never quotes a secret from a server's answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.http import RecordingSleep
from tom_tui.adapters.http import (
    AmbiguousRequestError,
    HttpClient,
    HttpRequest,
    RateLimiter,
    load_credentials,
)
from tom_tui.domain.errors import AdapterError, ValidationError

SECRET = "s3cr3t-token-value-42"


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A local server that answers while another of its handlers is still trickling or stalled."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def quick_client(sleeps: RecordingSleep, **limits: float) -> HttpClient:
    return HttpClient(
        timeout=float(limits.pop("timeout", 5.0)),
        retries=2,
        rate_limiter=RateLimiter(default_per_second=0),
        sleep=sleeps,
        **limits,  # type: ignore[arg-type]
    )


def test_a_get_is_retried_after_a_gateway_timeout(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_ordered_request("/groups").respond_with_data("gateway timeout", status=504)
    httpserver.expect_ordered_request("/groups").respond_with_json({"results": []})
    assert client.send_json(HttpRequest("GET", httpserver.url_for("/groups"))) == {"results": []}


def test_a_post_answered_504_is_never_sent_again(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/requestgroups/", method="POST").respond_with_data("", status=504)
    with pytest.raises(AmbiguousRequestError, match="may have acted on it, so it was not sent again"):
        client.send(HttpRequest("POST", httpserver.url_for("/api/requestgroups/"), json={"name": "x"}))
    assert len(httpserver.log) == 1


def test_a_post_whose_answer_times_out_is_never_sent_again(
    threaded_server: HTTPServer, sleeps: RecordingSleep
) -> None:
    received: list[str] = []

    def stall(request: Request) -> Response:
        received.append(request.method)
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    threaded_server.expect_request("/submit", method="POST").respond_with_handler(stall)
    client = quick_client(sleeps, timeout=0.2)
    with pytest.raises(AmbiguousRequestError, match="ReadTimeout after the request was sent"):
        client.send(HttpRequest("POST", threaded_server.url_for("/submit"), json={}))
    time.sleep(0.5)  # let a wrongly repeated request arrive before counting
    assert received == ["POST"] and sleeps.calls == []


def test_a_post_that_never_connected_is_retried(sleeps: RecordingSleep) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = quick_client(sleeps)
    with pytest.raises(AdapterError, match="no answer after 3 attempt"):
        client.send(HttpRequest("POST", f"http://127.0.0.1:{port}/api/requestgroups/", json={}))
    assert len(sleeps.calls) == 2


def test_a_post_refused_with_429_is_retried(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_ordered_request("/submit", method="POST").respond_with_data("slow down", status=429)
    httpserver.expect_ordered_request("/submit", method="POST").respond_with_json({"id": 1})
    assert client.send_json(HttpRequest("POST", httpserver.url_for("/submit"), json={})) == {"id": 1}


def test_a_trickling_answer_is_cut_at_the_deadline(
    threaded_server: HTTPServer, sleeps: RecordingSleep
) -> None:
    def trickle(_: Request) -> Response:
        def one_byte_at_a_time() -> Iterator[bytes]:
            for _ in range(40):
                yield b" "
                time.sleep(0.2)

        return Response(one_byte_at_a_time(), content_type="application/json")

    threaded_server.expect_request("/slow").respond_with_handler(trickle)
    client = quick_client(sleeps, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(AdapterError, match="no complete answer within the 1 s deadline"):
        client.send(HttpRequest("GET", threaded_server.url_for("/slow")))
    assert time.monotonic() - started < 3.0


def test_an_answer_over_the_size_limit_is_stopped(
    threaded_server: HTTPServer, sleeps: RecordingSleep
) -> None:
    def endless(_: Request) -> Response:
        return Response((b"x" * 1_000_000 for _ in range(20)), content_type="text/plain")

    threaded_server.expect_request("/big").respond_with_handler(endless)
    threaded_server.expect_request("/declared").respond_with_handler(
        lambda _: Response(iter([b"x"]), headers={"Content-Length": "900000000"})
    )
    client = quick_client(sleeps, max_body_bytes=2_000_000)
    with pytest.raises(AdapterError, match="larger than the 2 MB limit"):
        client.send(HttpRequest("GET", threaded_server.url_for("/big")))
    with pytest.raises(AdapterError, match="larger than the 2 MB limit"):
        client.send(HttpRequest("GET", threaded_server.url_for("/declared")))


def test_a_download_over_its_limit_is_stopped(
    threaded_server: HTTPServer, sleeps: RecordingSleep, tmp_path: Path
) -> None:
    threaded_server.expect_request("/frame.fits").respond_with_data(b"x" * 300_000)
    client = quick_client(sleeps, max_download_bytes=100_000)
    request = HttpRequest("GET", threaded_server.url_for("/frame.fits"))
    with pytest.raises(AdapterError, match=r"larger than the 0\.1 MB limit"):
        client.save_body(request, client.send(request, stream=True), tmp_path / "frame.fits")


def test_a_reply_echoing_the_token_is_quoted_short_and_redacted(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    echo = f'{{"detail": "invalid token Token {SECRET}", "padding": "{"y" * 500}"}}\x1b]52;c;aGk=\x07'
    httpserver.expect_request("/me").respond_with_data(echo, status=401)
    request = HttpRequest("GET", httpserver.url_for("/me"), headers={"Authorization": f"Token {SECRET}"})
    with pytest.raises(AdapterError) as raised:
        client.send(request)
    message = str(raised.value)
    assert SECRET not in message and "invalid token ***" in message
    assert "\x1b" not in message and "\x07" not in message
    assert len(message) < 300


def test_a_token_with_a_trailing_newline_is_stripped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOM_TUI_LASAIR_TOKEN", SECRET + "\n")
    assert load_credentials("lasair", tmp_path)["token"] == SECRET


def test_a_token_broken_inside_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "credentials.toml"
    path.write_text(f'[lasair]\ntoken = "{SECRET[:8]}\\n{SECRET[8:]}"\n')
    path.chmod(0o600)
    with pytest.raises(ValidationError) as raised:
        load_credentials("lasair", tmp_path)
    assert "[lasair] token" in str(raised.value)
    assert SECRET[:8] not in str(raised.value) and SECRET[8:] not in str(raised.value)


def test_a_post_that_only_asks_is_retried_like_a_get(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_ordered_request("/conesearch", method="POST").respond_with_data("", status=504)
    httpserver.expect_ordered_request("/conesearch", method="POST").respond_with_json([{"i:objectId": "ZTF"}])
    request = HttpRequest("POST", httpserver.url_for("/conesearch"), json={"ra": 1}, repeatable=True)
    assert client.send_json(request) == [{"i:objectId": "ZTF"}]
