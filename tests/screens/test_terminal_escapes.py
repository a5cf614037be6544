"""The TUI draws a name holding escape sequences as visible text, in table cells and in
notifications, so it can neither set the window title nor write the clipboard."""

from __future__ import annotations

import asyncio

import pyarrow as pa
from textual.app import App, ComposeResult

from tom_tui.screens.app import TomApp
from tom_tui.screens.widgets.target_table import TargetTable
from tom_tui.store.store import Store

TITLE = "\x1b]0;pwned\x07"
CLIPBOARD = "\x1b]52;c;aGk=\x07"


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TargetTable(id="table")


def hostile_rows() -> pa.Table:
    no_names = pa.array([[]], pa.list_(pa.string()))
    return pa.table(
        {
            "id": [1],
            "name": [f"SN{TITLE}"],
            "type": ["SIDEREAL"],
            "scheme": pa.nulls(1, pa.string()),
            "ra": [10.0],
            "dec": [20.0],
            "tags": pa.array([[CLIPBOARD]], pa.list_(pa.string())),
            "lists": no_names,
            "aliases": no_names,
        }
    )


def test_table_cells_show_control_characters_as_escapes() -> None:
    async def scenario() -> None:
        app = TableApp()
        async with app.run_test(size=(120, 10)) as pilot:
            table = app.query_one(TargetTable)
            table.set_rows(hostile_rows())
            await pilot.pause()
            drawn = "".join(segment.text for segment in table.render_line(1))
            assert "\x1b" not in drawn and "\x07" not in drawn
            assert "SN\\x1b]0;pwned\\x07" in drawn

    asyncio.run(scenario())


def test_notifications_show_control_characters_as_escapes(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store)
        async with app.run_test(size=(100, 30)) as pilot:
            app.notify(f"no target named SN{CLIPBOARD}", title=f"t{TITLE}")
            await pilot.pause()
            [shown] = list(app._notifications)
            assert "\x1b" not in shown.message + shown.title
            assert "\\x1b]52;c;aGk=\\x07" in shown.message

    asyncio.run(scenario())
