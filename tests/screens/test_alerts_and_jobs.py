"""The Alerts and Jobs screens with Pilot, asserting on state and on what reaches the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from textual.widgets import DataTable, Input, Select, Static

from tests.support import stores
from tests.support.pilot import wait_until
from tom_tui.screens.alerts import AlertDetail, AlertsScreen
from tom_tui.screens.app import TomApp
from tom_tui.screens.jobs import JobLog, JobsScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

# The Alerts and Jobs screens start from an empty store, not the fixed targets of the other screens.
store = stores.empty_store


@pytest.fixture(autouse=True)
def fixed_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path))


def status(screen: object, widget_id: str) -> str:
    return screen.query_one(widget_id, StatusLine).text  # type: ignore[attr-defined, no-any-return]


def test_query_the_simulated_broker_select_and_import(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = AlertsScreen()
            await app.push_screen(screen)
            screen.query_one("#alerts-broker", Select).value = "simulated"
            await wait_until(pilot, lambda: bool(screen.query("#opt-lookback_days")))
            screen.query_one("#opt-lookback_days", Input).value = "1"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not screen.running and bool(screen.results))
            table = screen.query_one("#alerts-table", DataTable)
            assert table.row_count == len(screen.results) > 0
            first = screen.results[0]
            await pilot.press("space")
            assert screen.selected == {first.id}
            await pilot.press("i")
            await wait_until(pilot, lambda: "imported" in status(screen, "#alerts-status"))
            assert "1 target(s) created" in status(screen, "#alerts-status")
            with store.read() as view:
                assert TargetRepository(view).find(first.name) is not None
            table.move_cursor(row=0)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, AlertDetail))

    asyncio.run(scenario())


def test_a_bad_form_value_is_reported_and_nothing_runs(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = AlertsScreen()
            await app.push_screen(screen)
            screen.query_one("#alerts-broker", Select).value = "simulated"
            await wait_until(pilot, lambda: bool(screen.query("#opt-max_mag")))
            screen.query_one("#opt-max_mag", Input).value = "bright"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: bool(app.errors))
            assert "max_mag: 'bright' is not a valid float" in app.errors[-1]
            assert not screen.running and screen.results == []

    asyncio.run(scenario())


def test_cancelled_query_results_are_dropped(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = AlertsScreen()
            await app.push_screen(screen)
            screen.query_one("#alerts-broker", Select).value = "simulated"
            await wait_until(pilot, lambda: bool(screen.query("#opt-lookback_days")))
            screen.action_query()
            screen.action_cancel_query()
            await wait_until(pilot, lambda: "cancelled" in status(screen, "#alerts-status"))
            await wait_until(pilot, lambda: not any(w.is_running for w in app.workers))
            assert screen.results == [] and screen.query_one(DataTable).row_count == 0

    asyncio.run(scenario())


def test_jobs_screen_runs_a_job_and_shows_its_log(store: Store) -> None:
    store.config_path.write_text(
        store.config_path.read_text()
        + '\n[[jobs]]\nname = "hello"\nkind = "command"\nevery = "1h"\ncommand = "echo hello from the job"\n'
    )

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = JobsScreen()
            await app.push_screen(screen)
            await wait_until(pilot, lambda: bool(screen.rows))
            assert screen.rows[0]["name"] == "hello" and not screen.rows[0]["last_run"]
            await pilot.press("r")
            await wait_until(pilot, lambda: bool(screen.rows) and screen.rows[0]["last_run"] is not None)
            assert screen.rows[0]["last_run"]["status"] == "ok"
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, JobLog))
            log = str(app.screen.query_one("#job-log-text", Static).render())
            assert "hello from the job" in log

    asyncio.run(scenario())


def test_resolve_dialog_previews_then_adds(store: Store, httpserver: HTTPServer) -> None:
    from tests.support.paths import CATALOGS
    from tom_tui.screens.resolve import ResolveScreen

    store.config_path.write_text(
        store.config_path.read_text() + f'\n[catalogs.mpc]\nbase_url = "{httpserver.url_for("/api")}"\n'
    )
    httpserver.expect_request("/api/get-orb").respond_with_data(
        (CATALOGS / "tom_base_65803_mpc_orb.json").read_bytes(), content_type="application/json"
    )
    results: list[int | None] = []

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = ResolveScreen("65803")
            await app.push_screen(screen, results.append)
            screen.query_one("#resolve-catalog", Select).value = "mpc"
            await pilot.pause()
            screen.query_one("#resolve-name", Input).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.outcome is not None or bool(app.errors))
            assert not app.errors, app.errors
            assert "65803 Didymos" in str(screen.query_one("#resolve-preview", Static).render())
            with store.read() as view:
                assert len(TargetRepository(view).index) == 0  # a preview adds nothing
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: bool(results))
        with store.read() as view:
            target = TargetRepository(view).find("65803 Didymos")
        assert target is not None and results == [target.id] and target.scheme == "MPC_MINOR_PLANET"

    asyncio.run(scenario())
