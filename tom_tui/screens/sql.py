"""The SQL screen: a query editor with history, and its answer in the same fast table as the target
list (only the rows on screen are drawn, so a 100k-row answer scrolls as quickly as 10).

Ctrl+R (or F5) runs the query in a worker; a refused or wrong query shows DuckDB's message and
where in the query it is, and the editor keeps the text. Ctrl+Up / Ctrl+Down step
through the queries run before (and the saved queries of tom-tui.toml come first in that history).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Static, TextArea

from tom_tui.screens.base import TomScreen
from tom_tui.screens.formatting import shown
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.screens.widgets.target_table import TableColumn, TargetTable
from tom_tui.services.sql import QueryResult, SqlError, resolve_query, run_query, saved_queries

WIDEST_COLUMN = 32
SAMPLE_ROWS = 200  # rows looked at to size the columns
EXAMPLE = "SELECT name, ra, dec FROM targets ORDER BY name LIMIT 100"


@dataclass
class QueryAnswered(Message):
    query: str
    result: QueryResult | None
    error: str | None


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.6g}" if abs(value) < 1e6 else f"{value:.6e}"
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value)
    return str(value)


def _cell_of(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: value_text(row[name])


def answer_columns(table: pa.Table) -> tuple[TableColumn, ...]:
    """One drawn column per answer column, as wide as its name and its first rows need."""
    sample = table.slice(0, SAMPLE_ROWS).to_pylist()
    columns = []
    for name in table.column_names:
        width = max([len(name), *(len(value_text(row[name])) for row in sample)])
        numeric = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(
            table.schema.field(name).type
        )
        columns.append(
            TableColumn("", name, min(max(width, 3), WIDEST_COLUMN), _cell_of(name), align_right=numeric)
        )
    return tuple(columns)


class SqlScreen(TomScreen):
    """Read-only SQL over the store; see ``tom-tui sql --views`` for the tables."""

    PALETTE_NAMESPACE = "sql"
    DEFAULT_CSS = """
    SqlScreen #sql-editor { height: 7; }
    SqlScreen #sql-answer { height: 1fr; }
    SqlScreen #sql-error { height: auto; max-height: 8; color: $error; display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r,f5", "run_query", "Run", id="sql.run", tooltip="run the query"),
        Binding("ctrl+up", "history(-1)", "Earlier", id="sql.earlier", tooltip="the query run before"),
        Binding("ctrl+down", "history(1)", "Later", id="sql.later", tooltip="the query run after"),
        Binding(
            "ctrl+t",
            "toggle_focus",
            "Editor/answer",
            id="sql.focus",
            tooltip="move between editor and answer",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.history: list[str] = []
        self.position = 0

    def compose(self) -> ComposeResult:
        yield Static("SQL", classes="screen-title")
        yield TextArea(EXAMPLE, id="sql-editor", language=None, soft_wrap=True, show_line_numbers=False)
        yield StatusLine(
            "Ctrl+R runs the query · Ctrl+Up/Down history · tables: tom-tui sql --views", id="sql-status"
        )
        yield Static(id="sql-error", markup=False)
        yield TargetTable(id="sql-answer")
        yield Footer()

    def on_mount(self) -> None:
        saved = saved_queries(self.tom_app.store.config)
        self.history = list(saved.values())
        self.position = len(self.history)
        self.query_one("#sql-editor", TextArea).focus()

    @property
    def editor(self) -> TextArea:
        return self.query_one("#sql-editor", TextArea)

    def action_run_query(self) -> None:
        query = self.editor.text.strip()
        if not query:
            return
        if not self.history or self.history[-1] != query:
            self.history.append(query)
        self.position = len(self.history) - 1  # the editor shows this one: "earlier" is the one before
        self.query_one("#sql-status", StatusLine).text = "running…"
        self.answer(query)

    @work(thread=True, exclusive=True, group="sql", name="run query")
    def answer(self, query: str) -> None:
        store = self.tom_app.store
        try:
            result = run_query(store, resolve_query(store, query))
        except SqlError as error:  # the user's query, not a failure of the app: shown in place
            self.post_message(QueryAnswered(query, None, str(error)))
            return
        self.post_message(QueryAnswered(query, result, None))

    @on(QueryAnswered)
    def show(self, message: QueryAnswered) -> None:
        status = self.query_one("#sql-status", StatusLine)
        error = self.query_one("#sql-error", Static)
        error.display = message.error is not None
        if message.error is not None:
            status.text = "the query was refused:"
            error.update(shown(message.error, lines=True))
            return
        assert message.result is not None
        table = self.query_one("#sql-answer", TargetTable)
        result = message.result.table
        table.set_columns(answer_columns(result), tuple(result.column_names))
        table.set_rows(result)
        count = result.num_rows
        status.text = f"{count} row{'s' if count != 1 else ''} in {message.result.seconds:.3f} s"

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self.position = max(0, min(len(self.history), self.position + step))
        text = self.history[self.position] if self.position < len(self.history) else ""
        self.editor.load_text(text)

    def action_toggle_focus(self) -> None:
        answer = self.query_one("#sql-answer", TargetTable)
        (self.editor if answer.has_focus else answer).focus()
