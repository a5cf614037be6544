"""The observation request form names the target as people do (Pilot)."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Input

from tests.support import cli, stores
from tests.support.cli import Run
from tests.support.pilot import wait_until
from tom_tui.screens.app import TomApp
from tom_tui.screens.observations import ObservationsScreen, RequestFormScreen
from tom_tui.store.store import Store

store = stores.observation_store
run = cli.run
targets = cli.targets


@pytest.mark.usefixtures("targets")
def test_a_new_request_from_a_selected_one_prefills_the_target_name(store: Store, run: Run) -> None:
    run("obs", "request", "SN 2026abc")

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(ObservationsScreen())
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, ObservationsScreen) and app.screen.query_one(DataTable).row_count
                ),
            )
            app.screen.query_one(DataTable).focus()
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            assert app.screen.query_one("#field-target", Input).value == "SN 2026abc"

    asyncio.run(scenario())
