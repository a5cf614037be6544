"""The target list widget on its own: 100k rows, only the visible ones ever converted or drawn."""

from __future__ import annotations

import asyncio

import numpy as np
import pyarrow as pa
from textual.app import App, ComposeResult

from tom_tui.screens.widgets.target_table import ROW_BLOCK, TargetTable

ROWS = 100_000


def big_table() -> pa.Table:
    ids = np.arange(1, ROWS + 1, dtype=np.int64)
    names = pa.array([f"T{number:06d}" for number in range(ROWS)])
    empty_lists = pa.array([[]] * ROWS, pa.list_(pa.string()))
    return pa.table(
        {
            "id": ids,
            "name": names,
            "type": pa.array(["SIDEREAL"] * ROWS),
            "scheme": pa.nulls(ROWS, pa.string()),
            "ra": np.linspace(0, 359.9, ROWS),
            "dec": np.linspace(-89, 89, ROWS),
            "tags": empty_lists,
            "lists": empty_lists,
            "aliases": empty_lists,
        }
    )


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TargetTable(id="table")


def test_hundred_thousand_rows_draw_only_what_is_visible() -> None:
    async def scenario() -> None:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(TargetTable)
            table.set_rows(big_table())
            table.focus()
            await pilot.pause()
            assert table.visible_names()[:2] == ["T000000", "T000001"]
            assert len(table._blocks) == 1  # 64 rows converted out of 100k
            await pilot.press("end")
            await pilot.pause()
            assert table.cursor_row == ROWS - 1
            assert table.visible_names()[-1] == "T099999"
            assert len(table._blocks) <= 3
            await pilot.press("pageup")
            assert table.cursor_row == ROWS - 1 - table.page_rows
            await pilot.press("up", "k")
            assert table.cursor_row == ROWS - 3 - table.page_rows
            assert table.cursor_target_id == ROWS - 2 - table.page_rows

    asyncio.run(scenario())


def test_new_rows_keep_the_cursor_on_the_same_target() -> None:
    async def scenario() -> None:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(TargetTable)
            rows = big_table().slice(0, 1000)
            table.set_rows(rows)
            table.move_cursor_to_target(500)
            await pilot.pause()
            # The same targets, reversed (as after a sort or a reload): the cursor follows id 500.
            table.set_rows(rows.take(pa.array(np.arange(999, -1, -1))), keep_target_id=table.cursor_target_id)
            await pilot.pause()
            assert table.cursor_target_id == 500
            assert table.cursor_row == 500
            assert table.row_values(table.cursor_row)["name"] == "T000499"
            assert ROW_BLOCK * len(table._blocks) < 1000

    asyncio.run(scenario())
