"""Waiting for the app without sleeping."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def wait_until(pilot: Pilot[None], until: Callable[[], bool], attempts: int = 2000) -> None:
    """Let workers finish and messages land until ``until()`` holds (fails the test if it never does)."""
    app = pilot.app
    for _ in range(attempts):
        with contextlib.suppress(WorkerCancelled):  # a newer load replaced an older one
            await app.workers.wait_for_complete()
        await pilot.pause()
        if until():
            return
    raise AssertionError("the app never reached the expected state")


async def settle(pilot: Pilot[None], until: Callable[[], bool] = lambda: True, attempts: int = 2000) -> None:
    """Wait until ``until()`` holds, then once more so the screen shows the state it reached."""
    await wait_until(pilot, until, attempts)
    await pilot.pause()


def screen_text(app: object) -> str:
    """The characters on screen (from the SVG screenshot: the same thing a snapshot stores)."""
    import html
    import re

    svg = app.export_screenshot()  # type: ignore[attr-defined]
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
