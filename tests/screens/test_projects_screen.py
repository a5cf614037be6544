"""The Projects screen with Pilot, on a store where a project has run against the scripted survey."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable, Static

from tests.support import surveys
from tests.support.pilot import wait_until
from tests.support.surveys import ScriptedSurvey
from tom_tui.screens.app import TomApp
from tom_tui.screens.projects import ProjectsScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.projects.run import run_project
from tom_tui.store.store import Store

scripted_survey = surveys.scripted_survey

PROJECT = """
[project]
name = "flares"
[catalogue]
path = "catalogue.csv"
[catalogue.columns]
name = "name"
[download]
surveys = ["scripted"]
"""


def test_projects_screen_shows_progress_failures_and_the_score_histogram(
    store: Store, make_app: Callable[..., TomApp], tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    (tmp_path / "catalogue.csv").write_text(
        "name,ra,dec\nevent-1,70.5,5.0\nok-2,71.5,5.0\nthrottled-3,72.5,5.0\n"
    )
    (tmp_path / "flares.toml").write_text(PROJECT)
    summary = run_project(store, tmp_path / "flares.toml", workers=1)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = ProjectsScreen()
            await app.push_screen(screen)
            await wait_until(pilot, lambda: bool(screen.overviews))
            table = screen.query_one("#projects-table", DataTable)
            assert table.row_count == 1
            assert [str(value) for value in table.get_row_at(0)[:8]] == [
                "flares",
                summary.version,
                "3/3",
                "3",
                "2",
                "0",
                "1",
                "1",
            ]
            detail = str(screen.query_one("#projects-detail", Static).render())
            assert "download + analysis: 3 of 3 RA bins done" in detail
            assert "failed 1×: Scripted survey: HTTP 429 Too Many Requests" in detail
            overview = screen.overviews[0]
            # Two searched light curves (the throttled source has none), each counted once.
            assert sum(overview.score_counts("real")) == 2
            assert sum(overview.score_counts("injected")) == 2
            assert "1 project version(s)" in screen.query_one("#projects-status", StatusLine).text

    asyncio.run(scenario())
