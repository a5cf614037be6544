"""The targets screen: the whole target list, filtered as you type, sorted, by tag, list or cone.

Reading and filtering happen in a thread worker through the service layer (``filter_index``);
the table only draws the rows on screen, so 100k targets feel like 100.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from tom_tui.screens.base import StoreChanged, TomScreen
from tom_tui.screens.commands import PaletteCommand
from tom_tui.screens.formatting import dec_dms, ra_hms, shown
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.screens.widgets.target_table import TargetTable
from tom_tui.services.targets.index import SUMMARY_SORTS, TargetIndex, sorted_index
from tom_tui.services.targets.operations import (
    TargetFilter,
    TargetService,
    filter_index,
    with_photometry_summary,
)

SORT_KEYS = ("name", "ra", "dec", "last_det_mag", "type", "created", "id")
SORT_LABELS = {
    "name": "name",
    "ra": "RA",
    "dec": "Dec",
    "type": "type",
    "created": "date added",
    "id": "id",
    **SUMMARY_SORTS,
}


@dataclass(frozen=True)
class OrderedIndex:
    """The index as sorted for the list, remembered with what it was sorted from and by."""

    source: TargetIndex
    sort: str
    descending: bool
    index: TargetIndex

    @property
    def key(self) -> tuple[str, bool]:
        return (self.sort, self.descending)


BRIGHTNESS_LIMITS = (14.0, 16.0, 17.0, 18.0, 18.5, 19.0, 19.5, 20.0, 21.0)


@dataclass
class TargetsLoaded(Message):
    """A worker read and/or filtered the target index."""

    index: TargetIndex
    ordered: OrderedIndex
    generation: int
    rows: pa.Table
    query: TargetFilter
    keep_target_id: int | None
    seconds: float
    summary: pa.Table


def distinct_values(index: TargetIndex, column: str) -> list[tuple[str, int]]:
    """Each tag (or list) in the index with the number of targets carrying it, most used first."""
    flat = pc.list_flatten(index.table.column(column).combine_chunks())
    if len(flat) == 0:
        return []
    counts = pc.value_counts(flat).to_pylist()
    return sorted(((c["values"], c["counts"]) for c in counts), key=lambda item: (-item[1], item[0]))


class TargetsScreen(TomScreen):
    """All targets. Enter opens one; `/` filters by name or alias."""

    PALETTE_NAMESPACE = "targets"

    # description: the footer's word; tooltip: the command palette's "targets: ..." title.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="targets.filter", tooltip="filter by name or alias"),
        Binding("t", "filter_tag", "Tag", id="targets.filter_tag", tooltip="filter by tag"),
        Binding(
            "l", "filter_list", "List", show=False, id="targets.filter_list", tooltip="filter by target list"
        ),
        Binding("c", "cone", "Cone", id="targets.cone", tooltip="cone search"),
        Binding(
            "b",
            "filter_brightness",
            "Brighter",
            show=False,
            id="targets.filter_brightness",
            tooltip="filter by latest magnitude (brighter than)",
        ),
        Binding("x", "clear_filters", "Clear", show=False, id="targets.clear", tooltip="clear all filters"),
        Binding("s", "cycle_sort", "Sort", id="targets.sort", tooltip="sort by the next column"),
        Binding(
            "r", "reverse_sort", "Reverse", show=False, id="targets.reverse", tooltip="reverse the order"
        ),
        Binding("a", "add_target", "Add", id="targets.add", tooltip="add a target"),
        Binding(
            "n",
            "resolve_name",
            "Resolve",
            id="targets.resolve",
            tooltip="resolve a name in catalogs and add it",
        ),
        Binding("e", "edit_target", "Edit", show=False, id="targets.edit", tooltip="edit the target"),
        Binding(
            "d,delete",
            "delete_target",
            "Delete",
            show=False,
            id="targets.delete",
            tooltip="delete the target",
        ),
        Binding(
            "m", "merge_target", "Merge", show=False, id="targets.merge", tooltip="merge another target in"
        ),
        Binding(
            "ctrl+r,f5", "reload", "Reload", show=False, id="targets.reload", tooltip="reload from the store"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_filter = TargetFilter()
        self.index: TargetIndex | None = None
        self.summary: pa.Table | None = None  # photometry summary, read with the index
        self.ordered: OrderedIndex | None = None
        self.generation = -1
        self.total = 0
        self.last_load_seconds = 0.0
        self._painted = False
        self._wanted_target_id: int | None = None  # a target just saved: the cursor goes there

    # -- layout --
    def compose(self) -> ComposeResult:
        yield Static("Targets", id="screen-title", classes="screen-title", markup=False)
        with Horizontal(id="filter-bar"):
            yield Static("/", id="filter-label")
            yield TomInput(
                placeholder="name or alias… (/ to type, Enter or ↓ to the list)", id="target-filter"
            )
        yield StatusLine("", id="filter-summary")
        yield TargetTable(id="target-table")
        yield StatusLine("loading targets…", id="targets-status", classes="status-line")
        yield Footer()

    @property
    def table(self) -> TargetTable:
        return self.query_one("#target-table", TargetTable)

    def on_mount(self) -> None:
        self.query_one("#screen-title", Static).update(shown(f"Targets  ·  {self.tom_app.store_label}"))
        self.table.focus()
        self.load_targets(reread=True)

    # -- loading --
    def load_targets(self, reread: bool = False, keep_target_id: int | None = None) -> None:
        """Re-filter (and with ``reread`` re-read the store), keeping the cursor on a target: the
        one given, else one just saved, else the one under the cursor now."""
        if keep_target_id is None:
            keep_target_id = self._wanted_target_id or self.table.cursor_target_id
        query = dataclasses.replace(
            self.query_filter, tags=list(self.query_filter.tags), lists=list(self.query_filter.lists)
        )
        self._load_worker(query, keep_target_id, reread or self.index is None)

    @work(thread=True, exclusive=True, group="targets", exit_on_error=False, name="load targets")
    def _load_worker(self, query: TargetFilter, keep_target_id: int | None, reread: bool) -> None:
        worker = get_current_worker()
        started = time.perf_counter()
        index, generation, summary = self.index, self.generation, self.summary
        if reread or index is None or summary is None:
            # The generation is read first: a commit landing in between only causes one more reload.
            store = self.tom_app.store
            generation = store.generation()
            index, summary = TargetService(store).index_and_summary()
        # Sorting 100k names costs more than filtering them, so the sorted index is kept and each
        # keystroke only filters it (filtering keeps the order). Both steps are the store layer's.
        ordered = self.ordered
        if ordered is None or ordered.source is not index or ordered.key != (query.sort, query.descending):
            ordered = OrderedIndex(
                index,
                query.sort,
                query.descending,
                sorted_index(index, query.sort, query.descending, summary),
            )
        rows = with_photometry_summary(
            filter_index(ordered.index, dataclasses.replace(query, sort=""), summary), summary
        )
        if not worker.is_cancelled:
            self.post_message(
                TargetsLoaded(
                    index,
                    ordered,
                    generation,
                    rows,
                    query,
                    keep_target_id,
                    time.perf_counter() - started,
                    summary,
                )
            )

    @property
    def targets_pending(self) -> bool:
        """A load or filter is still under way (its rows are not shown yet)."""
        return any(
            worker.node is self and worker.group == "targets" and not worker.is_finished
            for worker in self.workers
        )

    @on(TargetsLoaded)
    def targets_loaded(self, message: TargetsLoaded) -> None:
        self.index = message.index
        self.summary = message.summary
        self.ordered = message.ordered
        self.generation = message.generation
        self.total = len(message.index)
        self.last_load_seconds = message.seconds
        self.table.set_sort(message.query.sort, message.query.descending)
        self.table.set_rows(message.rows, keep_target_id=message.keep_target_id)
        if self._wanted_target_id is not None and self.table.cursor_target_id == self._wanted_target_id:
            self._wanted_target_id = None
        self.update_status()
        if not self._painted:
            self._painted = True
            self.tom_app.target_list_painted()

    @on(StoreChanged)
    def store_changed(self, message: StoreChanged) -> None:
        if message.generation != self.generation:
            self.load_targets(reread=True)

    def on_screen_resume(self) -> None:
        if self.index is not None and self.tom_app.store.generation() != self.generation:
            self.load_targets(reread=True)

    def action_reload(self) -> None:
        self.load_targets(reread=True)

    # -- status --
    def filter_description(self) -> str:
        query = self.query_filter
        parts = []
        if query.name:
            parts.append(f"name~{query.name!r}")
        parts += [f"tag:{tag}" for tag in query.tags]
        parts += [f"list:{name}" for name in query.lists]
        if query.cone:
            ra, dec, radius = query.cone
            parts.append(f"cone {radius:g}″ around {ra_hms(ra)} {dec_dms(dec)}")
        if query.brighter_than is not None:
            parts.append(f"latest mag < {query.brighter_than:g}")
        return "  ".join(parts)

    def update_status(self) -> None:
        table = self.table
        query = self.query_filter
        description = self.filter_description()
        self.query_one("#filter-summary", StatusLine).text = (
            f"filters: {description}   (x clears)" if description else "no filter   (t tag · l list · c cone)"
        )
        if query.cone:
            order = "nearest first"
        else:
            order = f"by {SORT_LABELS.get(query.sort, query.sort)} {'▼' if query.descending else '▲'}"
        position = f"row {table.cursor_row + 1:,}" if table.row_count else "no rows"
        self.query_one(
            "#targets-status", StatusLine
        ).text = f"{table.row_count:,} of {self.total:,} targets · {order} · {position}"

    @on(TargetTable.CursorMoved)
    def cursor_moved(self, message: TargetTable.CursorMoved) -> None:
        self.update_status()

    # -- filtering --
    @on(Input.Changed, "#target-filter")
    def name_typed(self, event: Input.Changed) -> None:
        self.query_filter.name = event.value.strip() or None
        self.load_targets()

    @on(Input.Submitted, "#target-filter")
    def name_submitted(self) -> None:
        self.table.focus()

    def on_key(self, event: Any) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "target-filter" and event.key in {"down", "escape"}:
            self.table.focus()
            event.stop()

    def action_focus_filter(self) -> None:
        self.query_one("#target-filter", Input).focus()

    def _pick_value(self, column: str, chosen_list: list[str], title: str) -> None:
        if self.index is None:
            return
        options = [
            (value, f"{'✓ ' if value in chosen_list else '  '}{value}  ({count:,})")
            for value, count in distinct_values(self.index, column)
        ]

        def chosen(value: str | None) -> None:
            if value is None:
                return
            if value in chosen_list:
                chosen_list.remove(value)
            else:
                chosen_list.append(value)
            self.load_targets()

        from tom_tui.screens.dialogs import OptionPicker

        self.app.push_screen(
            OptionPicker(title, options, empty_text=f"no target has a {column[:-1]}"), chosen
        )

    def action_filter_tag(self) -> None:
        self._pick_value("tags", self.query_filter.tags, "Tag filter (✓ on; choose again: off)")

    def action_filter_list(self) -> None:
        self._pick_value("lists", self.query_filter.lists, "List filter (✓ on; choose again: off)")

    def action_cone(self) -> None:
        from tom_tui.screens.target_forms import ConeChoice, ConeScreen

        def chosen(choice: ConeChoice | None) -> None:
            if choice is not None:
                self.query_filter.cone = choice.cone
                self.load_targets()

        self.app.push_screen(ConeScreen(self.query_filter.cone), chosen)

    def action_filter_brightness(self) -> None:
        from tom_tui.screens.dialogs import OptionPicker

        current = self.query_filter.brighter_than
        options = [("off", f"{'✓ ' if current is None else '  '}no magnitude filter")] + [
            (str(limit), f"{'✓ ' if current == limit else '  '}latest detection brighter than {limit:g}")
            for limit in BRIGHTNESS_LIMITS
        ]

        def chosen(value: str | None) -> None:
            if value is not None:
                self.query_filter.brighter_than = None if value == "off" else float(value)
                self.load_targets()

        self.app.push_screen(OptionPicker("Magnitude filter", options), chosen)

    def action_clear_filters(self) -> None:
        self.query_filter = dataclasses.replace(
            TargetFilter(), sort=self.query_filter.sort, descending=self.query_filter.descending
        )
        with self.query_one("#target-filter", Input).prevent(Input.Changed):
            self.query_one("#target-filter", Input).value = ""
        self.load_targets()

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        self.query_filter.sort = key
        if descending is not None:
            self.query_filter.descending = descending
        self.load_targets()

    def action_cycle_sort(self) -> None:
        position = SORT_KEYS.index(self.query_filter.sort) if self.query_filter.sort in SORT_KEYS else -1
        self.sort_by(SORT_KEYS[(position + 1) % len(SORT_KEYS)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.query_filter.sort, not self.query_filter.descending)

    def palette_commands(self) -> list[PaletteCommand]:
        commands: list[PaletteCommand] = []
        for key in SORT_KEYS:
            label = SORT_LABELS[key]

            def sort(key: str = key) -> None:
                self.sort_by(key)

            commands.append((f"targets: sort by {label}", f"order the list by {label}", sort))
        return commands

    # -- target actions (shared with the detail screen) --
    @on(TargetTable.Opened)
    def open_target(self, message: TargetTable.Opened) -> None:
        from tom_tui.screens.target_detail import TargetDetailScreen

        self.app.push_screen(TargetDetailScreen(message.target_id))

    def _target_saved(self, target_id: int | None) -> None:
        if target_id is not None:
            self._wanted_target_id = target_id
            self.load_targets(reread=True)

    def action_add_target(self) -> None:
        from tom_tui.screens.target_forms import TargetFormScreen

        self.app.push_screen(TargetFormScreen(None), self._target_saved)

    def action_resolve_name(self) -> None:
        from tom_tui.screens.resolve import ResolveScreen

        self.app.push_screen(ResolveScreen(), self._target_saved)

    def action_edit_target(self) -> None:
        from tom_tui.screens.target_forms import TargetFormScreen

        if self.table.cursor_target_id is not None:
            self.app.push_screen(TargetFormScreen(self.table.cursor_target_id), self._target_saved)

    def action_delete_target(self) -> None:
        from tom_tui.screens.target_actions import confirm_and_delete

        target_id = self.table.cursor_target_id
        if target_id is not None:
            name = self.table.row_values(self.table.cursor_row)["name"]
            confirm_and_delete(self, target_id, name, lambda: self.load_targets(reread=True))

    def action_merge_target(self) -> None:
        from tom_tui.screens.target_forms import MergeScreen

        target_id = self.table.cursor_target_id
        if target_id is not None:
            name = self.table.row_values(self.table.cursor_row)["name"]
            self.app.push_screen(MergeScreen(target_id, name, self.index), self._target_saved)
