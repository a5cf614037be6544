"""The Survey action of the target detail screen: choose a survey, its photometry is stored, and a
failure reaches the user as one sentence (Pilot)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.support.cli import append_config
from tests.support.pilot import settle, settle_expecting_failures
from tom_tui.screens.app import TomApp
from tom_tui.screens.dialogs import OptionPicker
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.services.data import products as data_service
from tom_tui.store.store import Store

COMET_ID = 7  # "C/2025 K1", the fixed store's one moving target


async def choose_simulated(app: TomApp, pilot: Pilot[None], target_id: int) -> None:
    await app.push_screen(TargetDetailScreen(target_id))
    detail = app.screen
    assert isinstance(detail, TargetDetailScreen)
    await settle(pilot, lambda: detail.target is not None)
    await pilot.press("s")
    await settle(pilot, lambda: isinstance(app.screen, OptionPicker))
    options = app.screen.query_one(OptionList)
    names = [options.get_option_at_index(i).id for i in range(options.option_count)]
    assert {"simulated", "ztf", "atlas", "ps1", "gaia", "gsa"} <= set(names)
    options.highlighted = names.index("simulated")
    await pilot.press("enter")


def test_the_survey_action_stores_the_photometry(store: Store, make_app: Callable[..., TomApp]) -> None:
    append_config(store, "[surveys.simulated]\nstart_mjd = 61300.0")

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(110, 34)) as pilot:
            await choose_simulated(app, pilot, 1)
            await settle(pilot, lambda: data_service.photometry_of(store, 1)[1].num_rows > 0)
            assert app.errors == [] and isinstance(app.screen, TargetDetailScreen)

    asyncio.run(scenario())


def test_a_target_without_a_position_is_reported_not_fetched(
    store: Store, make_app: Callable[..., TomApp]
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(110, 34)) as pilot:
            await choose_simulated(app, pilot, COMET_ID)
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.errors == [
                "simulated: no fixed position (a moving or position-less target); survey photometry needs one"
            ]
            assert isinstance(app.screen, TargetDetailScreen)

    asyncio.run(scenario())
