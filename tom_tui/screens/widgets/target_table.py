"""A target list that stays instant at any size: a Line-API ``ScrollView`` over an Arrow table.

Only the rows on screen are turned into text, a block of rows at a time, and each drawn row is
kept in an LRU cache of strips; nothing is proportional to the number of targets except the
Arrow table the store layer already filtered and sorted. (A stock ``DataTable`` builds a widget
row per target: 30 s to first paint at 100k targets.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tom_tui.screens.formatting import dec_dms, degrees, joined, ra_hms, target_kind, visible

ROW_BLOCK = 64  # rows converted from Arrow to Python at a time
NEEDED_COLUMNS = (
    *("id", "name", "type", "scheme", "ra", "dec", "tags", "lists", "aliases"),
    *("last_det_mag", "last_det_filter", "n_points"),  # photometry summary, when the rows carry it
)


def latest_magnitude(row: dict[str, Any]) -> str:
    magnitude = row.get("last_det_mag")
    if magnitude is None:
        return ""
    return f"{magnitude:5.2f} {(row.get('last_det_filter') or '')[-4:]}"


def point_count(row: dict[str, Any]) -> str:
    return str(row.get("n_points") or "")


@dataclass(frozen=True)
class TableColumn:
    key: str  # the index column it sorts by ("" when it cannot be sorted)
    label: str
    width: int
    text: Callable[[dict[str, Any]], str]
    align_right: bool = False


COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("name", "Name", 20, lambda row: row["name"] or ""),
    TableColumn("ra", "RA", 11, lambda row: ra_hms(row["ra"])),
    TableColumn("dec", "Dec", 11, lambda row: dec_dms(row["dec"])),
    TableColumn("last_det_mag", "Latest", 10, latest_magnitude),
    TableColumn("ra", "RA°", 9, lambda row: degrees(row["ra"]), align_right=True),
    TableColumn("dec", "Dec°", 9, lambda row: degrees(row["dec"]), align_right=True),
    TableColumn("type", "Type", 9, lambda row: target_kind(row["type"], row["scheme"])),
    TableColumn("", "Pts", 5, point_count, align_right=True),
    TableColumn("", "Tags", 18, lambda row: joined(row["tags"])),
    TableColumn("", "Lists", 14, lambda row: joined(row["lists"])),
    TableColumn("", "Aliases", 30, lambda row: joined(row["aliases"])),
)
GUTTER = 1
SEPARATOR = 1
SEPARATOR_TEXT = " " * SEPARATOR
TOTAL_WIDTH = GUTTER + sum(column.width for column in COLUMNS) + SEPARATOR * (len(COLUMNS) - 1)


class TargetTable(ScrollView, can_focus=True):
    """Rows of targets with a fixed header row and a cursor; keyboard first."""

    KEYS_TITLE = "Target list"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "target-table--header",
        "target-table--cursor",
        "target-table--cursor-blurred",
        "target-table--odd",
    }

    DEFAULT_CSS = """
    TargetTable {
        background: $surface;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    TargetTable > .target-table--header {
        text-style: bold;
        background: $panel;
        color: $text;
    }
    TargetTable > .target-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    TargetTable > .target-table--cursor-blurred {
        background: $block-cursor-blurred-background;
    }
    TargetTable > .target-table--odd {
        background: $surface-lighten-1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First row", show=False, id="table.first"),
        Binding("end", "last", "Last row", show=False, id="table.last"),
        Binding("left", "scroll_columns(-8)", "Scroll left", show=False, id="table.left"),
        Binding("right", "scroll_columns(8)", "Scroll right", show=False, id="table.right"),
        Binding("enter", "open", "Open", show=True, id="table.open"),
    ]

    @dataclass
    class CursorMoved(Message):
        """The cursor is on another row (``target_id`` is None when the table is empty)."""

        table: TargetTable
        row: int
        target_id: int | None

    @dataclass
    class Opened(Message):
        """The user asked to open the target under the cursor (Enter)."""

        table: TargetTable
        row: int
        target_id: int

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # No empty Arrow table here: building one imports pandas (0.3 s) on the UI thread at start.
        self._table: pa.Table | None = None
        self._ids: np.ndarray[Any, np.dtype[np.int64]] = np.zeros(0, dtype=np.int64)
        self._version = 0
        self._blocks: LRUCache[tuple[int, int], list[dict[str, Any]]] = LRUCache(64)
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        self.cursor_row = 0
        self.sort_key = "name"
        self.descending = False
        self.columns: tuple[TableColumn, ...] = COLUMNS
        self.needed_columns: tuple[str, ...] = NEEDED_COLUMNS
        self.total_width = TOTAL_WIDTH

    def set_columns(self, columns: tuple[TableColumn, ...], needed: tuple[str, ...]) -> None:
        """Draw other columns (a table of other rows than targets reuses the same drawing)."""
        self.columns, self.needed_columns = columns, needed
        self.total_width = GUTTER + sum(column.width for column in columns) + SEPARATOR * (len(columns) - 1)

    # -- data --
    @property
    def row_count(self) -> int:
        return 0 if self._table is None else int(self._table.num_rows)

    @property
    def cursor_target_id(self) -> int | None:
        if not self.row_count:
            return None
        return int(self._ids[self.cursor_row])

    def set_rows(self, table: pa.Table, keep_target_id: int | None = None) -> None:
        """Show ``table`` (already filtered and sorted), keeping the cursor on ``keep_target_id``
        when it is still there, else on the same row number."""
        self._table = table.select([name for name in self.needed_columns if name in table.column_names])
        if not table.num_rows:
            self._ids = np.zeros(0, np.int64)
        elif "id" in self.needed_columns and "id" in table.column_names:
            self._ids = table.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
        else:  # rows without target ids: the row number stands in
            self._ids = np.arange(table.num_rows, dtype=np.int64)
        self._version += 1
        self._blocks.clear()
        self._strips.clear()
        self.virtual_size = Size(self.total_width, self.row_count + 1)
        row = self.cursor_row
        if keep_target_id is not None:
            positions = np.flatnonzero(self._ids == keep_target_id)
            if positions.size:
                row = int(positions[0])
        self._move_cursor(min(row, max(self.row_count - 1, 0)), force=True)
        self.refresh()

    def set_sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self._strips.clear()
        self.refresh()

    def row_values(self, row: int) -> dict[str, Any]:
        block_number, offset = divmod(row, ROW_BLOCK)
        key = (self._version, block_number)
        block = self._blocks.get(key)
        if block is None:
            assert self._table is not None, "no rows yet"
            block = self._table.slice(block_number * ROW_BLOCK, ROW_BLOCK).to_pylist()
            self._blocks[key] = block
        return block[offset]

    def visible_names(self) -> list[str]:
        """Names of the targets drawn right now, top to bottom (what the user sees)."""
        first = int(self.scroll_offset.y)
        last = min(self.row_count, first + max(self.scrollable_content_region.height - 1, 0))
        return [self.row_values(row)["name"] for row in range(first, last)]

    # -- cursor --
    @property
    def page_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def _move_cursor(self, row: int, force: bool = False) -> None:
        row = max(0, min(row, self.row_count - 1)) if self.row_count else 0
        previous = self.cursor_row
        if row == previous and not force:
            return
        self.cursor_row = row
        self.refresh_line(previous + 1)
        self.refresh_line(row + 1)
        self._scroll_cursor_into_view()
        self.post_message(self.CursorMoved(self, row, self.cursor_target_id))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        visible_rows = self.page_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible_rows:
            self.scroll_to(y=self.cursor_row - visible_rows + 1, animate=False, immediate=True)

    def move_cursor_to_target(self, target_id: int) -> bool:
        positions = np.flatnonzero(self._ids == target_id)
        if not positions.size:
            return False
        self._move_cursor(int(positions[0]))
        return True

    def action_cursor_up(self) -> None:
        self._move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self.cursor_row - self.page_rows)

    def action_page_down(self) -> None:
        self._move_cursor(self.cursor_row + self.page_rows)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(self.row_count - 1)

    def action_scroll_columns(self, cells: int) -> None:
        self.scroll_to(x=self.scroll_offset.x + cells, animate=False)

    def action_open(self) -> None:
        target_id = self.cursor_target_id
        if target_id is not None:
            self.post_message(self.Opened(self, self.cursor_row, target_id))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._move_cursor(int(self.scroll_offset.y) + event.y - 1)

    def on_focus(self) -> None:
        self.refresh_line(self.cursor_row + 1)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor_row + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()

    def _style(self, component: str) -> Style:
        """Rich styles, computed once per theme or CSS change (computing them is not cheap)."""
        style = self._styles.get(component)
        if style is None:
            if component == "base":
                style = self.rich_style
            else:
                style = self.rich_style + self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    # -- drawing --
    def _header_strip(self) -> Strip:
        key = ("header", self.sort_key, self.descending)
        strip = self._strips.get(key)
        if strip is None:
            arrow = " ▼" if self.descending else " ▲"
            labels = []
            sort_marked = False
            for column in self.columns:
                label = column.label
                if column.key == self.sort_key and not sort_marked:
                    label += arrow
                    sort_marked = True
                labels.append(self._cell(label, column))
            text = " " * GUTTER + SEPARATOR_TEXT.join(labels)
            strip = Strip([Segment(text, self._style("target-table--header"))], self.total_width)
            self._strips[key] = strip
        return strip

    @staticmethod
    def _cell(text: str, column: TableColumn) -> str:
        # Segments reach the terminal as they are: a control character in a name would too.
        text = visible(text.replace("\n", " "))
        if column.align_right:
            return set_cell_size(text, column.width).strip().rjust(column.width)
        return set_cell_size(text, column.width)

    def _row_strip(self, row: int) -> Strip:
        is_cursor = row == self.cursor_row
        key = (self._version, row, is_cursor, is_cursor and self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            values = self.row_values(row)
            text = " " * GUTTER + SEPARATOR_TEXT.join(self._cell(c.text(values), c) for c in self.columns)
            if is_cursor:
                style = self._style(
                    "target-table--cursor" if self.has_focus else "target-table--cursor-blurred"
                )
            else:
                style = self._style("target-table--odd" if row % 2 else "base")
            strip = Strip([Segment(text, style)], self.total_width)
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header_strip()
        else:
            row = scroll_y + y - 1
            if row >= self.row_count:
                return Strip.blank(width, self._style("base"))
            strip = self._row_strip(row)
        return strip.crop_extend(scroll_x, scroll_x + width, self._style("base"))
