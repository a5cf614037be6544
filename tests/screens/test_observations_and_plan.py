"""The Observations and Plan screens with Pilot: what a user sees and what ends up in the store."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from textual.widgets import DataTable, Input, Static

from tests.support import cli, stores
from tests.support.cli import Run
from tests.support.pilot import wait_until
from tom_tui.screens.app import TomApp
from tom_tui.screens.observations import ObservationDetailScreen, ObservationsScreen, RequestFormScreen
from tom_tui.screens.plan import PlanScreen, TrackScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.observations.requests import ObservationService
from tom_tui.store.store import Store

# Observations are made through `tom-tui` on a store pinned to a November night.
store = stores.observation_store
run = cli.run
targets = cli.targets


def table_of(app: TomApp) -> DataTable[str]:
    return app.screen.query_one(DataTable)


@pytest.mark.usefixtures("targets")
def test_observations_screen_lists_filters_and_requests_through_the_form(
    store: Store, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("obs", "request", "SN 2026abc")
    run("obs", "request", "Southern", "--window-days", "1")
    run("obs", "cancel", "2")

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(ObservationsScreen())
            await wait_until(
                pilot, lambda: isinstance(app.screen, ObservationsScreen) and table_of(app).row_count == 2
            )
            screen = app.screen
            assert "2 of 2 requests" in screen.query_one("#observations-summary", StatusLine).text
            await pilot.press("f")  # status: open
            assert table_of(app).row_count == 1
            await pilot.press("f", "f")  # status: failed
            assert table_of(app).get_row_at(0)[1:4] == ["Southern", "simulated", "CANCELED"]
            await pilot.press("x", "slash", *"sn 2026")
            assert table_of(app).row_count == 1

            # The form's fields are the facility's options; every problem appears under its field.
            await pilot.press("escape")
            table_of(app).focus()
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            form = app.screen
            await wait_until(pilot, lambda: bool(form.query("#field-exposure_time")))
            form.query_one("#field-target", Input).value = "SN 2026abc"
            form.query_one("#field-exposure_time", Input).value = "-3"
            form.query_one("#field-filters", Input).value = "r"
            await pilot.press("ctrl+s")
            error = form.query_one("#error-exposure_time", Static)
            await wait_until(pilot, lambda: error.has_class("-shown"))
            assert "below the minimum" in str(error.render())
            form.query_one("#field-exposure_time", Input).value = "45"
            await pilot.press("ctrl+s")
            await wait_until(
                pilot, lambda: isinstance(app.screen, ObservationsScreen) and len(app.screen.records) == 3
            )

    asyncio.run(scenario())
    newest = ObservationService(store).get(3)
    assert newest.parameters["exposure_time"] == 45 and newest.status == "PENDING"


@pytest.mark.usefixtures("targets")
def test_a_status_change_from_another_process_is_notified(
    store: Store, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("obs", "request", "SN 2026abc")

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(ObservationsScreen())
            await wait_until(pilot, lambda: isinstance(app.screen, ObservationsScreen) and app.screen.loaded)
            run("obs", "cancel", "1")  # as a script or cron job would
            app.check_store()
            await wait_until(
                pilot, lambda: any("PENDING → CANCELED" in str(n.message) for n in app._notifications)
            )
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ObservationDetailScreen))

    asyncio.run(scenario())


@pytest.mark.usefixtures("targets")
def test_plan_screen_ranks_the_list_and_moves_between_nights(store: Store, run: Run) -> None:
    run("list", "create", "tonight")
    run("list", "add", "tonight", "SN 2026abc", "Southern")

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(PlanScreen())
            await wait_until(
                pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None
            )
            screen = app.screen
            assert isinstance(screen, PlanScreen) and screen.plan is not None
            first_night = screen.plan.night
            assert [table_of(app).get_row_at(i)[0] for i in range(2)] == ["SN 2026abc", "Southern"]
            assert "Roque de los Muchachos" in screen.query_one("#plan-summary", StatusLine).text
            await pilot.press("right_square_bracket")
            await wait_until(pilot, lambda: screen.plan is not None and screen.plan.night != first_night)
            assert screen.plan.night == first_night + dt.timedelta(days=1)
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, TrackScreen)
                    and "night of" in str(app.screen.query_one("#track-title", Static).render())
                ),
            )

    asyncio.run(scenario())


@pytest.mark.usefixtures("targets")
def test_with_no_list_the_plan_covers_every_target_and_fits_80_columns(store: Store, run: Run) -> None:
    # No list at all: the plan opens on every target, observable ones only, and an 80x24
    # terminal still shows the dark window and the Moon, which come first.
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(PlanScreen())
            await wait_until(
                pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None
            )
            screen = app.screen
            assert isinstance(screen, PlanScreen) and screen.plan is not None
            names = [table_of(app).get_row_at(i)[0] for i in range(table_of(app).row_count)]
            assert names == ["SN 2026abc"]  # "Southern" never rises at La Palma
            summary = screen.query_one("#plan-summary", StatusLine)
            visible = str(summary.render())[: summary.size.width]
            assert visible.startswith("dark ") and "Moon " in visible
            assert "1 of 2 targets of all targets" in summary.text

    asyncio.run(scenario())


@pytest.mark.usefixtures("targets")
def test_plan_command_without_a_list_plans_the_store(run: Run) -> None:
    import json

    plan = json.loads(run("plan", "--night", "2026-11-22", "--json").stdout)
    assert sorted(row["name"] for row in plan["targets"]) == ["SN 2026abc", "Southern"]


@pytest.mark.usefixtures("targets")
def test_plan_command_with_an_hour_angle_limit_observes_less(run: Run) -> None:
    import json

    free = json.loads(run("plan", "--night", "2026-11-22", "--airmass", "3", "--json").stdout)
    limited = json.loads(
        run("plan", "--night", "2026-11-22", "--airmass", "3", "--hour-angle", "1", "--json").stdout
    )
    hours = {row["name"]: row["hours_observable"] for row in free["targets"]}
    limited_hours = {row["name"]: row["hours_observable"] for row in limited["targets"]}
    assert 0 < limited_hours["SN 2026abc"] <= 2.1 < hours["SN 2026abc"]
    assert limited["hour_angle_limit"] == 1.0
    assert "--hour-angle: 13 hours" in run("plan", "--hour-angle", "13", expect=1).stderr
    assert "|hour angle| ≤ 1 h" in run("plan", "--night", "2026-11-22", "--hour-angle", "1").stdout
