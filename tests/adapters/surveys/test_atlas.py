"""ATLAS forced photometry through its queue, against a recorded queue answer and a real result
file served on 127.0.0.1: submit once, poll, fetch, delete; throttling; no POST twice."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.support.atlas import DEC, RA, FakeQueue
from tests.support.http import RecordingSleep
from tom_tui.adapters.http import AmbiguousRequestError, HttpClient
from tom_tui.adapters.surveys.atlas import AtlasForcedPhotometry, task_key
from tom_tui.adapters.surveys.base import NoTaskMemory, SurveyPendingError
from tom_tui.domain.errors import AdapterError


def service(server: HTTPServer, client: HttpClient, **settings: Any) -> AtlasForcedPhotometry:
    return AtlasForcedPhotometry(
        settings={"base_url": server.url_for("/forcephot"), **settings},
        credentials={"token": "s3cr3t-token"},
        client=client,
    )


def test_a_fetch_submits_once_polls_fetches_and_deletes(
    httpserver: HTTPServer, client: HttpClient, sleeps: RecordingSleep
) -> None:
    queue = FakeQueue(httpserver, polls_before_done=2)
    answer = service(httpserver, client, poll_seconds=10.0).fetch(RA, DEC)
    assert (
        len(queue.posts) == 1 and queue.posts[0]["ra"] == str(RA) and queue.posts[0]["send_email"] == "False"
    )
    assert float(queue.posts[0]["mjd_min"]) == 57230.0
    assert queue.polls == 3 and sleeps.calls == [10.0, 10.0] and queue.deleted == 1
    assert httpserver.log[0][0].headers["Authorization"] == "Token s3cr3t-token"
    # The file's first row, by hand: 60316.142545  17.349 0.089  417  37 o ... 19.34 ... 04a60316o0180o
    first = answer.photometry.slice(0, 1).to_pylist()[0]
    assert first["mjd"] == 60316.142545 and first["filter"] == "atlaso" and first["telescope"] == "ATLAS"
    assert first["flux"] == 417.0 and first["fluxerr"] == 37.0 and first["limit"] == 19.34
    assert math.isclose(first["mag"], 23.9 - 2.5 * math.log10(417.0))
    assert first["instrument"] == "04a" and first["negative_subtraction"] is False
    # Second row: -310 ± 24 µJy, the source fainter than in the reference: a limit, never a magnitude.
    second = answer.photometry.slice(1, 1).to_pylist()[0]
    assert second["mag"] is None and second["flux"] == -310.0 and second["negative_subtraction"] is True
    assert answer.raw.num_rows == answer.photometry.num_rows == 32 and "chi/N" in answer.raw.column_names
    assert not answer.empty


def test_a_task_not_finished_in_time_is_left_pending_and_remembered(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    queue = FakeQueue(httpserver, polls_before_done=100)
    memory = NoTaskMemory()
    with pytest.raises(SurveyPendingError, match="still queued") as raised:
        service(httpserver, client, poll_seconds=10.0, wait_seconds=20.0).fetch(RA, DEC, tasks=memory)
    assert raised.value.task_url == queue.task_url
    assert memory.recall(task_key(RA, DEC, 57230.0, False)) == queue.task_url
    queue.polls_before_done = 0
    answer = service(httpserver, client).fetch(RA, DEC, tasks=memory)
    assert len(queue.posts) == 1 and answer.photometry.num_rows == 32
    assert memory.recall(task_key(RA, DEC, 57230.0, False)) is None


def test_a_task_already_in_the_account_is_polled_not_submitted_again(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    # The process died between the server accepting the POST and remembering its answer.
    queue = FakeQueue(httpserver, polls_before_done=0, listed=True)
    answer = service(httpserver, client).fetch(RA, DEC)
    assert queue.posts == [] and answer.photometry.num_rows == 32
    # It was on the second page of the task list, found by following "next".
    pages = [request.args.get("page") for request, _ in httpserver.log if request.path == "/forcephot/queue/"]
    assert pages == [None, "2"]


def test_throttling_is_waited_out_as_the_server_asks(
    httpserver: HTTPServer, client: HttpClient, sleeps: RecordingSleep
) -> None:
    # The client retries twice itself (capped at its 30 s backoff), then the service waits 47 s.
    queue = FakeQueue(httpserver, polls_before_done=0, throttled=3)
    answer = service(httpserver, client).fetch(RA, DEC)
    assert sleeps.calls == [30.0, 30.0, 47.0] and answer.photometry.num_rows == 32
    assert len(queue.posts) == 1


def test_a_server_error_after_a_submission_is_never_repeated(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/forcephot/queue/", method="GET").respond_with_json(
        {"next": None, "results": []}
    )
    httpserver.expect_request("/forcephot/queue/", method="POST").respond_with_data(
        "Gateway Timeout", status=504
    )
    with pytest.raises(AmbiguousRequestError, match="was not sent again"):
        service(httpserver, client).fetch(RA, DEC)
    assert sum(1 for request, _ in httpserver.log if request.method == "POST") == 1


def test_a_result_that_is_not_a_table_is_one_sentence_and_keeps_the_task(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    queue = FakeQueue(httpserver, polls_before_done=0)
    httpserver.clear_all_handlers()
    httpserver.expect_request("/forcephot/queue/", method="GET").respond_with_handler(queue.task_list)
    httpserver.expect_request("/forcephot/queue/", method="POST").respond_with_handler(queue.submit)
    httpserver.expect_request("/forcephot/queue/152047/").respond_with_handler(queue.poll)
    httpserver.expect_request("/forcephot/static/results/job152047.txt").respond_with_data(
        "<html>oops</html>"
    )
    memory = NoTaskMemory()
    with pytest.raises(AdapterError, match="is not a forced-photometry table") as raised:
        service(httpserver, client).fetch(RA, DEC, tasks=memory)
    assert "\n" not in str(raised.value) and "s3cr3t" not in str(raised.value)
    assert memory.recall(task_key(RA, DEC, 57230.0, False)) == queue.task_url


def test_no_token_is_a_clear_error(
    httpserver: HTTPServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOM_TUI_ATLAS_TOKEN", raising=False)
    atlas = AtlasForcedPhotometry(settings={"base_url": httpserver.url_for("/forcephot")}, client=client)
    with pytest.raises(AdapterError, match="missing credential"):
        atlas.fetch(RA, DEC)
