"""A stand-in for the ATLAS forced-photometry queue on 127.0.0.1, answering with the recorded
queue task (SkyPortal's recording of fallingstar-data.com) and a real result file."""

from __future__ import annotations

import json
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.paths import DATA, PHOTOMETRY

QUEUED = json.loads(
    (DATA / "surveys" / "atlas" / "skyportal_atlas_forcedphot_queue_response.json").read_text()
)
RESULT = (PHOTOMETRY / "tom_base_test_atlas_fp.csv").read_text()
RA, DEC = 65.00165, -54.93795


class FakeQueue:
    """The server side of one task: answers as the recorded queue task did, finishing after
    ``polls_before_done`` looks."""

    def __init__(
        self, server: HTTPServer, polls_before_done: int = 1, listed: bool = False, throttled: int = 0
    ) -> None:
        self.server = server
        self.throttled = throttled  # POSTs answered "429 too many requests" before one is accepted
        self.posts: list[dict[str, str]] = []
        self.polls = 0
        self.deleted = 0
        self.polls_before_done = polls_before_done
        self.listed = listed
        self.task_url = server.url_for("/forcephot/queue/152047/")
        server.expect_request("/forcephot/queue/", method="POST").respond_with_handler(self.submit)
        server.expect_request("/forcephot/queue/", method="GET").respond_with_handler(self.task_list)
        server.expect_request("/forcephot/queue/152047/", method="GET").respond_with_handler(self.poll)
        server.expect_request("/forcephot/queue/152047/", method="DELETE").respond_with_handler(self.delete)
        server.expect_request("/forcephot/static/results/job152047.txt").respond_with_data(RESULT)

    def task(self, finished: bool) -> dict[str, Any]:
        task = {**QUEUED, "url": self.task_url, "ra": RA, "dec": DEC, "mjd_min": 57230.0}
        if finished:
            task |= {
                "finished": True,
                "finishtimestamp": "2022-01-13T16:05:00+00:00",
                "result_url": "/forcephot/static/results/job152047.txt",
            }
        return task

    def submit(self, request: Request) -> Response:
        if self.throttled:
            self.throttled -= 1
            detail = json.dumps({"detail": "Request was throttled. Expected available in 47 seconds."})
            return Response(
                detail, status=429, headers={"Retry-After": "47"}, content_type="application/json"
            )
        self.posts.append(dict(request.form))
        return Response(json.dumps(self.task(False)), status=201, content_type="application/json")

    def task_list(self, request: Request) -> Response:
        """The account's tasks, one to a page: another position's task first, then this one."""
        other = {**self.task(False), "url": self.task_url + "other/", "ra": RA + 10.0}
        tasks = [other, self.task(False)] if self.listed else [other]
        page = int(request.args.get("page", "1"))
        shown = tasks[(page - 1) : page]
        following = (
            self.server.url_for("/forcephot/queue/") + f"?page={page + 1}" if page < len(tasks) else None
        )
        return Response(
            json.dumps({"count": len(tasks), "next": following, "results": shown}),
            content_type="application/json",
        )

    def poll(self, request: Request) -> Response:
        self.polls += 1
        done = self.polls > self.polls_before_done
        return Response(json.dumps(self.task(done)), content_type="application/json")

    def delete(self, request: Request) -> Response:
        self.deleted += 1
        return Response(status=204)
