"""No user action ends the TUI: failures become the sentence the CLI prints (Pilot).

Each scenario once ended the app with a traceback; each now asserts the message the user sees
and that the app, and the screen the user was on, are still there.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import ClassVar

import pytest
from pytest_httpserver import HTTPServer
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Select, Static
from werkzeug import Request, Response

from tests.support.pilot import screen_text, settle_expecting_failures
from tom_tui.domain.target import build_target
from tom_tui.screens.alerts import AlertsScreen
from tom_tui.screens.app import TomApp
from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.plan import PlanScreen, TrackScreen
from tom_tui.screens.resolve import ResolveScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.targets.lists import ListService
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

NEVER_RISES = {"name": "Near South Pole", "ra": 10.0, "dec": -85.0, "lists": ["tonight"]}


def closed_port() -> int:
    """A local port nobody listens on: connecting fails at once, as with no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def add_config(store: Store, text: str) -> None:
    store.config_path.write_text(store.config_path.read_text() + "\n" + text + "\n")


@pytest.fixture
def plan_store(store: Store) -> Store:
    """The fixed targets' "tonight" list, plus a target that never rises at the default site."""
    ListService(store).create("tonight")
    with store.transaction() as tx:
        repository = TargetRepository(tx)
        repository.insert_many([build_target(NEVER_RISES)])
        repository.flush()
    return store


def test_resolving_a_name_with_no_network_is_a_message(store: Store) -> None:
    add_config(store, f'[catalogs.simbad]\nbase_url = "http://127.0.0.1:{closed_port()}"')

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("n")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ResolveScreen)
            dialog.query_one("#resolve-catalog", Select).value = "simbad"
            dialog.query_one("#resolve-name", Input).value = "M 31"
            dialog.query_one("#resolve-name", Input).focus()
            await pilot.press("enter")
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.is_running and app.screen is dialog
            assert len(app.errors) == 1
            assert app.errors[0].startswith(
                "'M 31': no catalog could be asked; SIMBAD: POST http://127.0.0.1:"
            )
            assert "check the network or the service's base URL" in app.errors[0]
            assert app.errors[0] in str(dialog.query_one("#resolve-preview", Static).render())
            await pilot.press("escape")  # nothing running now: Escape closes the dialog
            await pilot.pause()
            assert not isinstance(app.screen, ResolveScreen)

    asyncio.run(scenario())


def test_a_slow_lookup_can_be_cancelled_with_escape(store: Store, httpserver: HTTPServer) -> None:
    release = threading.Event()

    def never_answers(request: Request) -> Response:
        release.wait(30)
        return Response("", status=503)

    httpserver.expect_request("/sim-tap/sync").respond_with_handler(never_answers)
    add_config(store, f'[catalogs.simbad]\nbase_url = "{httpserver.url_for("/sim-tap")}"')

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = ResolveScreen("M 31")
            await app.push_screen(dialog)
            dialog.query_one("#resolve-catalog", Select).value = "simbad"
            await pilot.pause()
            dialog.query_one("#resolve-name", Input).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert dialog.looking_up
            assert "esc Cancel lookup" in screen_text(app)  # the footer says how to stop it
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is dialog and not dialog.looking_up
            assert "lookup cancelled" in str(dialog.query_one("#resolve-preview", Static).render())
            assert "esc Close" in screen_text(app)
            release.set()
            await settle_expecting_failures(pilot, lambda: True)
            assert app.errors == [] and app.screen is dialog

    try:
        asyncio.run(scenario())
    finally:
        release.set()


def test_an_alerts_query_with_no_network_is_a_message(store: Store) -> None:
    add_config(store, f'[brokers.alerce]\nbase_url = "http://127.0.0.1:{closed_port()}"')

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            app.switch_mode("alerts")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, AlertsScreen)
            screen.query_one("#alerts-broker", Select).value = "alerce"
            await pilot.pause()
            await pilot.press("ctrl+r")
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.is_running and app.screen is screen and not screen.running
            assert len(app.errors) == 1 and app.errors[0].startswith("GET http://127.0.0.1:")
            assert "no answer after" in app.errors[0]
            status = screen.query_one("#alerts-status", StatusLine).text
            assert status == f"query broker failed: {app.errors[0]}"

    asyncio.run(scenario())


def test_a_tns_query_with_an_empty_form_is_a_message(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            app.switch_mode("alerts")
            await pilot.pause()
            screen = app.screen
            screen.query_one("#alerts-broker", Select).value = "tns"
            await pilot.pause()
            await pilot.press("ctrl+r")
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.is_running and app.screen is screen
            assert app.errors == ["tns: give --objname, --internal-name, a cone or --discovered-days"]

    asyncio.run(scenario())


def test_an_unknown_site_in_the_night_plan_is_a_message(plan_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(plan_store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            app.switch_mode("plan")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, PlanScreen)
            await settle_expecting_failures(pilot, lambda: screen.plan is not None)
            await pilot.press("s")
            await pilot.press(*"Atlantis")
            await pilot.press("enter")
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.is_running and app.screen is screen
            assert app.errors[0].startswith("--site: site 'Atlantis' is not known; give LAT,LON,HEIGHT")

    asyncio.run(scenario())


def test_the_track_of_a_target_that_never_rises_says_so(plan_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(plan_store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            app.switch_mode("plan")
            await pilot.pause()
            screen = app.screen
            await settle_expecting_failures(pilot, lambda: screen.plan is not None)
            table = screen.query_one(DataTable)
            names = [table.get_row_at(row)[0] for row in range(table.row_count)]
            table.move_cursor(row=names.index(NEVER_RISES["name"]))
            await pilot.press("enter")
            await settle_expecting_failures(pilot, lambda: isinstance(app.screen, TrackScreen))
            await settle_expecting_failures(pilot, lambda: "never rises" in screen_text(app))
            assert app.is_running and app.errors == [], app.errors
            title = str(app.screen.query_one("#track-title", Static).render())
            assert "Near South Pole never rises above the horizon this night" in title

    asyncio.run(scenario())


class BrokenScreen(TomScreen):
    """A screen whose key action and message handler fail, as a bug in any screen could."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "explode", "Explode", id="broken.explode")]

    def action_explode(self) -> None:
        raise ZeroDivisionError("division by zero")

    @on(StoreChanged)
    def store_changed(self) -> None:
        raise KeyError("ra")


def test_a_failing_action_or_handler_is_a_message_and_the_screen_goes_on(
    make_app: Callable[..., TomApp],
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            screen = BrokenScreen()
            await app.push_screen(screen)
            await pilot.press("x")
            await pilot.pause()
            assert app.errors == ["unexpected ZeroDivisionError: division by zero"]
            screen.post_message(StoreChanged(1))
            await settle_expecting_failures(pilot, lambda: len(app.errors) == 2)
            assert app.errors[1] == "unexpected KeyError: 'ra'"
            await pilot.press("x")  # the screen still handles keys
            await settle_expecting_failures(pilot, lambda: len(app.errors) == 3)
            assert app.is_running and app.screen is screen

    asyncio.run(scenario())
