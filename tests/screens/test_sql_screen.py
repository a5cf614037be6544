"""The SQL screen: a query typed and run with a key, its answer in the fast table, a refused query
shown with DuckDB's position, and the history of queries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widgets import Static, TextArea

from tests.support.pilot import settle
from tom_tui.screens.app import TomApp
from tom_tui.screens.sql import SqlScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.screens.widgets.target_table import TargetTable
from tom_tui.store.store import Store


def test_a_query_answers_in_the_table_and_a_bad_one_says_where(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.switch_mode("sql")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SqlScreen)
            editor = screen.query_one("#sql-editor", TextArea)
            table = screen.query_one("#sql-answer", TargetTable)
            editor.load_text("SELECT name, dec FROM targets WHERE dec > 30 ORDER BY dec DESC")
            await pilot.press("ctrl+r")
            await settle(pilot, lambda: table.row_count == 3)
            assert [table.row_values(row)["name"] for row in range(3)] == ["RR Lyr", "M 13", "V404 Cyg"]
            assert [column.label for column in table.columns] == ["name", "dec"]
            assert "3 rows" in screen.query_one("#sql-status", StatusLine).text

            editor.load_text("SELECT nmae FROM targets")
            await pilot.press("ctrl+r")
            error = screen.query_one("#sql-error", Static)
            await settle(pilot, lambda: bool(error.display))
            assert "nmae" in str(error.render()) and "LINE 1" in str(error.render())
            assert table.row_count == 3  # the last answer stays until a new one comes

            await pilot.press("ctrl+up")
            assert editor.text == "SELECT name, dec FROM targets WHERE dec > 30 ORDER BY dec DESC"
            await pilot.press("ctrl+down")
            assert editor.text == "SELECT nmae FROM targets"

    asyncio.run(scenario())


def test_saved_queries_start_the_history(make_app: Callable[..., TomApp], store: Store) -> None:
    store.config_path.write_text(
        store.config_path.read_text()
        + "\n[sql.queries]\nsn = \"SELECT name FROM target_tags WHERE tag = 'sn'\"\n"
    )

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.switch_mode("sql")
            await pilot.pause()
            screen = app.screen
            await pilot.press("ctrl+up")
            assert (
                screen.query_one("#sql-editor", TextArea).text
                == "SELECT name FROM target_tags WHERE tag = 'sn'"
            )

    asyncio.run(scenario())
