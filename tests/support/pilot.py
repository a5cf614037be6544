"""Waiting for the app without sleeping."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

# On a loaded machine (the suite runs two processes on two cores) a worker can take many
# thousand event-loop turns to finish, so the wait is bounded by time as well as by turns.
PATIENCE_SECONDS = 60.0


async def wait_until(
    pilot: Pilot[None], until: Callable[[], bool], attempts: int = 2000, *, failures_expected: bool = False
) -> None:
    """Let workers finish and messages land until ``until()`` holds (fails the test if it never does).

    With ``failures_expected`` a worker that fails is part of the scenario (waiting on it re-raises
    its error), so failed workers are passed over like cancelled ones.
    """
    app = pilot.app
    passed_over: tuple[type[BaseException], ...] = (
        (WorkerCancelled, WorkerFailed) if failures_expected else (WorkerCancelled,)
    )
    deadline = time.monotonic() + PATIENCE_SECONDS
    turns = 0
    while turns < attempts or time.monotonic() < deadline:
        turns += 1
        with contextlib.suppress(*passed_over):  # a newer load replaced an older one
            await app.workers.wait_for_complete()
        await pilot.pause(0.01 if turns > attempts else None)
        if until():
            return
    raise AssertionError("the app never reached the expected state")


async def settle(pilot: Pilot[None], until: Callable[[], bool] = lambda: True, attempts: int = 2000) -> None:
    """Wait until ``until()`` holds, then once more so the screen shows the state it reached."""
    await wait_until(pilot, until, attempts)
    await pilot.pause()


async def settle_expecting_failures(
    pilot: Pilot[None], until: Callable[[], bool], attempts: int = 2000
) -> None:
    """Like ``settle``, for scenarios where a worker is meant to fail."""
    await wait_until(pilot, until, attempts, failures_expected=True)


def screen_text(app: object) -> str:
    """The characters on screen (from the SVG screenshot: the same thing a snapshot stores)."""
    import html
    import re

    svg = app.export_screenshot()  # type: ignore[attr-defined]
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
