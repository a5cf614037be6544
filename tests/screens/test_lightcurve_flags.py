"""Flagging light-curve points from the light-curve tab: a time range chosen in a dialog (Pilot)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import stores
from tests.support.paths import PHOTOMETRY
from tests.support.pilot import wait_until
from tom_tui.processing.plots.styles import FLAGGED_LABEL, FLAGGED_MARKER
from tom_tui.screens import registry
from tom_tui.screens.app import TomApp
from tom_tui.screens.flag_dialog import FlagDialog
from tom_tui.screens.target_data import LightCurvePanel
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.data import products as data_service
from tom_tui.services.photometry.flags import target_flags
from tom_tui.store.store import Store

store = stores.photometry_store
TABS = [registry.TargetTabEntry("Light curve", "tom_tui.screens.target_data:LightCurvePanel")]
# tom_base_test_lightcurve.csv: r at MJD 55959.07, V and r at 55960.07.


@pytest.fixture
def lightcurve_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr("tom_tui.screens.target_detail.TARGET_TABS", TABS)
    monkeypatch.setenv("TOM_TUI_USER", "bob")
    data_service.upload_data_product(
        store, "SN 2024abc", PHOTOMETRY / "tom_base_test_lightcurve.csv", "photometry"
    )
    return store


def fill(app: TomApp, values: dict[str, str]) -> None:
    for field, value in values.items():
        app.screen.query_one(f"#flag-{field}", TomInput).value = value


def test_flag_a_range_show_it_and_unflag_it(lightcurve_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(lightcurve_store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            panel = app.screen.query_one(LightCurvePanel)
            await wait_until(pilot, lambda: panel.data is not None and panel.data.total_points == 3)
            panel.focus()
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, FlagDialog))
            fill(app, {"from": "55960", "to": "55961", "filter": "r", "reason": "clouds"})
            await pilot.press("enter")
            await wait_until(pilot, lambda: panel.data is not None and panel.data.total_points == 2)
            _, flags = target_flags(lightcurve_store, "SN 2024abc")
            assert [(f.filter, f.flagged_by, f.reason) for f in flags] == [("r", "bob", "clouds")]
            assert abs(flags[0].mjd - 55960.07) < 1e-6
            await pilot.press("v")  # show flagged: a grey series of its own
            await wait_until(pilot, lambda: panel.data is not None and len(panel.data.series) == 3)
            assert panel.data is not None
            marked = panel.data.series[-1]
            assert (marked.band, marked.marker, marked.x.tolist()) == (
                FLAGGED_LABEL,
                FLAGGED_MARKER,
                [flags[0].mjd],
            )
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, FlagDialog))
            fill(app, {"from": "55960", "to": "55961"})
            await pilot.press("enter")
            await wait_until(pilot, lambda: panel.data is not None and panel.data.total_points == 3)
            assert target_flags(lightcurve_store, "SN 2024abc")[1] == []

    asyncio.run(scenario())


def test_a_bad_number_keeps_the_dialog_open(lightcurve_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(lightcurve_store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            panel = app.screen.query_one(LightCurvePanel)
            await wait_until(pilot, lambda: panel.data is not None)
            panel.focus()
            await pilot.press("b")
            await wait_until(pilot, lambda: isinstance(app.screen, FlagDialog))
            fill(app, {"from": "yesterday", "reason": "x"})
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, FlagDialog)
            assert target_flags(lightcurve_store, "SN 2024abc")[1] == []

    asyncio.run(scenario())
