"""Worker failures anywhere in the TUI reach the app's one error handler (Pilot)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from tests.support.pilot import settle, settle_expecting_failures
from tom_tui.domain.errors import ValidationError
from tom_tui.screens.app import TomApp
from tom_tui.screens.target_data import DataProductsPanel
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.services.data import products as data_service
from tom_tui.store.store import Store

BAD_PHOTOMETRY = "mjd,magnitude,magerr,filter\n60000.1,18.5,0.05,g\n60001.2,abc,0.05,g\n"


def test_a_failed_upload_from_the_data_tab_names_the_line(
    store: Store, make_app: Callable[..., TomApp], tmp_path: Path
) -> None:
    bad = tmp_path / "bad_lc.csv"
    bad.write_text(BAD_PHOTOMETRY)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            detail = app.screen
            panel = detail.query_one(DataProductsPanel)
            await settle(pilot, lambda: panel.seen_generation >= 0)
            panel.focus()
            await pilot.press("u")
            await settle(pilot, lambda: bool(app.screen.query("#upload-path")))
            app.screen.query_one("#upload-path", Input).value = str(bad)
            await pilot.press("enter")
            await settle_expecting_failures(pilot, lambda: bool(app.errors))
            assert app.errors == ["bad_lc.csv: line 3: magnitude: 'abc' is not a number"]
            assert app.screen is detail

    asyncio.run(scenario())
    assert data_service.list_products(store, "SN 2026abc") == []
    assert data_service.photometry_of(store, "SN 2026abc")[1].num_rows == 0


def test_a_failed_worker_of_a_plain_widget_is_reported_once(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:

            def fail() -> None:
                raise ValidationError("no such band 'q'; use g, r or i")

            def crash() -> None:
                raise ZeroDivisionError("division by zero")

            widget = app.screen.query_one(Input)
            widget.run_worker(fail, thread=True, name="band check", exit_on_error=False)
            await settle_expecting_failures(pilot, lambda: len(app.errors) == 1)
            widget.run_worker(crash, thread=True, name="sum")  # Textual's default would quit
            await settle_expecting_failures(pilot, lambda: len(app.errors) == 2)
            assert app.errors == [
                "no such band 'q'; use g, r or i",
                "unexpected ZeroDivisionError: division by zero",
            ]
            assert app.is_running

    asyncio.run(scenario())
