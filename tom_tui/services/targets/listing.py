"""Target lists and exports written as they are read: `target list --json`, `--csv` and
`target export`, in a few tens of bytes per target (building the whole list took ~5 KB each).

The output follows the list's order (by name, nearest first in a cone...), but the documents live
in 256 shards by id. So the documents are read one shard at a time, each target's output is
encoded at once and parked in the unlinked temporary file of its stretch of the list, and the
stretches are then read back one by one and handed out in list order. Nothing is held per
target but its place in the list and in its file, and no
:class:`~tom_tui.domain.target.Target` is built.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from tom_tui.domain.target import public_json
from tom_tui.processing.arrow_json import json_array_pieces
from tom_tui.services.bulk import cyclic_gc_paused
from tom_tui.services.targets.csv_files import ExportColumns, csv_cells
from tom_tui.services.targets.operations import SUMMARY_COLUMNS, TargetFilter, TargetService
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

# Targets handed out per piece of output (about 3 MB of indented JSON), and at most how many
# pieces a list is cut into (each holds a temporary file open while the list is written).
PIECE_TARGETS = 4_096
MAX_STRETCHES = 256
# What is gathered for one stretch before it is written (256 of these at most: 16 MB).
WRITE_BYTES = 64 * 1024
# The options `emit_json` prints with, so that a streamed list reads exactly like one dumped whole.
JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
SEPARATION = "separation_arcsec"

# What the listed targets of one shard become: JSON values, one per (id, stored document), given
# the values of the list's row columns for them.
BatchEncoder = Callable[[list[tuple[int, dict[str, Any]]], dict[str, list[Any]]], list[Any]]
# Between two items of an indented JSON array, and nowhere else: deeper lines are indented more.
_ITEM_OPENING = b"  {"
_ITEM_BOUNDARY = b",\n" + _ITEM_OPENING


def listed_rows(store: Store, target_filter: TargetFilter, limit: int | None = None) -> pa.Table:
    """The index rows a filter selects, in list order, with the photometry summary columns."""
    rows = TargetService(store).query(target_filter, columns=("id",))
    return rows if limit is None else rows.slice(0, max(limit, 0))


class _Parked:
    """Outputs written in shard order and read back in list order. The list is cut into stretches
    of :data:`PIECE_TARGETS` positions (at most :data:`MAX_STRETCHES`); each stretch's outputs go
    to a temporary file of their own (in ``$TMPDIR``, ~700 MB in all for a million targets as
    JSON; no other process sees them, and they go when closed or when the process dies), so a
    stretch is read back whole, in one sequential read, and only one is in memory at a time."""

    def __init__(self, count: int) -> None:
        self.stretch = max(PIECE_TARGETS, -(-count // MAX_STRETCHES))
        self.files: dict[int, IO[bytes]] = {}
        self.offsets = np.zeros(count, dtype=np.int64)  # within the stretch's file
        self.lengths = np.full(count, -1, dtype=np.int64)  # -1: no document (nothing to print)
        self.count = count
        # Each shard brings a little to every stretch: gathered here, written in larger pieces.
        self.pending: dict[int, list[bytes]] = defaultdict(list)
        self.pending_bytes: dict[int, int] = defaultdict(int)
        self.ends: dict[int, int] = defaultdict(int)  # what each stretch's file will hold

    def _add(self, stretch: int, data: bytes) -> None:
        self.pending[stretch].append(data)
        self.pending_bytes[stretch] += len(data)
        self.ends[stretch] += len(data)
        if self.pending_bytes[stretch] >= WRITE_BYTES:
            self._write(stretch)

    def _write(self, stretch: int) -> None:
        if stretch not in self.files:
            # Closed by :meth:`close`, which the readers call in a ``finally``.
            self.files[stretch] = tempfile.TemporaryFile(prefix="tom-tui-list-")  # noqa: SIM115
        self.files[stretch].write(b"".join(self.pending.pop(stretch, [])))
        self.pending_bytes[stretch] = 0

    def put_array(self, positions: npt.NDArray[np.int64], items: list[Any]) -> None:
        """Park ``items`` (at these list positions): one encoder call for a whole shard as the
        members of one indented JSON array, each item's text then cut at its boundaries."""
        if not items:
            return
        # Each item's text after its opening "  {" (which the boundaries swallow), so that items
        # are never copied to put it back: see :func:`_json_body` and :func:`_document`.
        texts = orjson.dumps(items, option=JSON_OPTIONS)[2 + len(_ITEM_OPENING) : -2].split(_ITEM_BOUNDARY)
        stretches = positions // self.stretch
        order = np.argsort(stretches, kind="stable")
        numbers, starts = np.unique(stretches[order], return_index=True)
        for number, begin, end in zip(
            numbers.tolist(), starts, [*starts[1:].tolist(), len(order)], strict=True
        ):
            chosen = order[begin:end]
            written = [texts[i] for i in chosen.tolist()]
            lengths = np.fromiter(map(len, written), dtype=np.int64, count=len(written))
            self.offsets[positions[chosen]] = self.ends[number] + np.cumsum(lengths) - lengths
            self.lengths[positions[chosen]] = lengths
            self._add(number, b"".join(written))

    def in_order(self) -> Iterator[list[bytes]]:
        """The outputs in list order, a stretch at a time."""
        for number in list(self.pending):
            self._write(number)
        for number, start in enumerate(range(0, self.count, self.stretch)):
            handle = self.files.get(number)
            if handle is None:
                continue
            handle.seek(0)
            data = handle.read()
            offsets = self.offsets[start : start + self.stretch].tolist()
            lengths = self.lengths[start : start + self.stretch].tolist()
            yield [data[o : o + n] for o, n in zip(offsets, lengths, strict=True) if n >= 0]

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


def _park_outputs(store: Store, rows: pa.Table, encode: BatchEncoder, row_columns: Sequence[str]) -> _Parked:
    """Every listed target's output, encoded shard by shard and parked for reading in list order."""
    ids = rows.column("id").to_numpy().astype(np.int64)
    parked = _Parked(len(ids))
    position_of = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
    position_of[ids] = np.arange(len(ids))
    # The collector would re-scan every object that stays alive while a shard is worked on, for
    # nothing: these plain dicts and lists hold no reference cycles.
    with cyclic_gc_paused(), store.read() as view:
        for batch in TargetRepository(view).iter_records(ids):
            if not batch:
                continue
            positions = position_of[np.fromiter(map(itemgetter(0), batch), np.int64, len(batch))]
            chosen = rows.select(list(row_columns)).take(pa.array(positions))
            columns = {name: _values(chosen.column(name)) for name in row_columns}
            parked.put_array(positions, encode(batch, columns))
    return parked


def _json_body(items: list[bytes]) -> bytes:
    """Parked items (each without its opening) as the members of an indented array."""
    return _ITEM_OPENING + _ITEM_BOUNDARY.join(items) if items else b""


def _document(item: bytes) -> Any:
    return orjson.loads(b"{" + item)


def _values(column: pa.ChunkedArray) -> list[Any]:
    """A column's values; a column of nulls (targets without photometry) without asking Arrow."""
    return [None] * len(column) if column.null_count == len(column) else column.to_pylist()


# -- JSON --


_PHOTOMETRY_KEYS = ("points", "latest_mag", "latest_filter", "latest_mjd", "peak_mag")


def _json_items(batch: list[tuple[int, dict[str, Any]]], columns: dict[str, list[Any]]) -> list[Any]:
    """Each target's public JSON form, its separation in a cone search and photometry summary."""
    items = [public_json(document, target_id, copy=False) for target_id, document in batch]
    if SEPARATION in columns:
        for item, separation in zip(items, columns[SEPARATION], strict=True):
            item[SEPARATION] = separation
    no_points = dict.fromkeys(_PHOTOMETRY_KEYS, None) | {"points": 0}  # shared by all targets without
    summaries = zip(*(columns[name] for name in SUMMARY_COLUMNS), strict=True)
    for item, values in zip(items, summaries, strict=True):
        if values[0] is None:
            item["photometry"] = no_points
        else:
            item["photometry"] = dict(zip(_PHOTOMETRY_KEYS, values, strict=True))
    return items


def target_json_pieces(store: Store, rows: pa.Table) -> Iterator[bytes]:
    """The listed targets as one indented JSON array (``target list --json``), in pieces: each
    target's fields, its separation in a cone search and its photometry summary."""
    row_columns = [name for name in (SEPARATION, *SUMMARY_COLUMNS) if name in rows.column_names]
    parked = _park_outputs(store, rows, _json_items, row_columns)
    try:
        yield from json_array_pieces(_json_body(items) for items in parked.in_order())
    finally:
        parked.close()


# -- CSV --


def target_csv_pieces(store: Store, rows: pa.Table) -> Iterator[bytes]:
    """The listed targets as a TOM Toolkit target CSV (``target list --csv``, ``target
    export``), in pieces; the header has only the columns some listed target has a value for."""
    return (text for text, _count in _csv_batches(store, rows))


def _csv_batches(store: Store, rows: pa.Table) -> Iterator[tuple[bytes, int]]:
    """The CSV text in pieces, each with the number of targets in it."""
    columns = ExportColumns()

    def survey(batch: list[tuple[int, dict[str, Any]]], values: dict[str, list[Any]]) -> list[Any]:
        documents = [document for _, document in batch]
        for document, position in zip(documents, values["position"], strict=True):
            columns.add(document, position)
        return documents

    positioned = rows.select(["id"]).append_column("position", pa.array(np.arange(rows.num_rows)))
    parked = _park_outputs(store, positioned, survey, ["position"])
    try:
        header = columns.columns()
        yield _csv_text([header]), 0
        for documents in parked.in_order():
            lines = [csv_cells(header, _document(document)) for document in documents]
            yield _csv_text(lines), len(lines)
    finally:
        parked.close()


def _csv_text(lines: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue().encode("utf-8")


def export_target_csv(store: Store, rows: pa.Table, path: Path) -> int:
    """Write the listed targets to a CSV file; the number written. The file appears whole or not
    at all: it is written beside its place and renamed there."""
    partial = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with open(partial, "wb") as handle:
            for piece, targets in _csv_batches(store, rows):
                handle.write(piece)
                count += targets
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count
