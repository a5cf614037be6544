"""The columnar target index: one row per target, for listing, filtering, name lookups and cones.

Target documents live in sharded TinyDB files; reading 100k of them to draw a list would take
seconds, so every write also keeps ``index/targets.arrow`` up to date inside the same
transaction. It is an Arrow IPC (Feather) file rather than Parquet because it is memory-mapped:
opening it costs ~1 ms at any size where Parquet decoding costs 50-400 ms at 100k targets, and
that is paid by every command.

So that no command costs more as the store grows, the index is four files (docs/store.md):

- ``targets.arrow``, the rows sorted by id (the base);
- ``targets.sky.arrow``, the positions of the base sorted by declination band, then RA: a cone
  reads only the slices of the bands it crosses (two binary searches per band) and checks exact
  separations, so a fresh process searches it without building anything;
- ``targets.keys.arrow``, every simplified name and alias of the base, sorted: a name lookup is
  one binary search;
- ``targets.delta.jsonl``, index rows written since the base (one JSON line per added, changed or
  deleted target, the last line of an id winning), so that adding or editing one target appends
  a line instead of rewriting the base. Past :data:`DELTA_LIMIT` lines the next write folds them
  into new base files (compaction); a bulk write does so at once.

The base and its two sorted companions carry the same random token in their schema metadata: a
companion that does not match its base is ignored and rebuilt in memory.
"""

from __future__ import annotations

import bisect
import logging
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from tom_tui.domain.sky import ARCSEC_PER_DEGREE, separation_arcsec
from tom_tui.domain.target import Target, simplify_name

if TYPE_CHECKING:
    from tom_tui.store.transaction import StoreView, Transaction

INDEX_PATH = "index/targets.arrow"
SKY_PATH = "index/targets.sky.arrow"
KEYS_PATH = "index/targets.keys.arrow"
DELTA_PATH = "index/targets.delta.jsonl"
# Lines the delta may hold before a write folds it into the base: every reader parses it, which
# costs ~1.5 ms per 1,000 lines, while folding costs ~0.5 s at 1M targets.
DELTA_LIMIT = 1000
# Height of a declination band of the sky file; a 10" cone reads one or two bands.
BAND_DEGREES = 0.1
TOKEN_KEY = b"tom_tui.index_token"
# Changes of more targets than this at once build a new base table instead of a set of rows.
BULK_ROWS = 20_000

log = logging.getLogger(__name__)

INDEX_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("ra", pa.float64()),
        pa.field("dec", pa.float64()),
        pa.field("scheme", pa.string()),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("keys", pa.list_(pa.string())),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("lists", pa.list_(pa.string())),
        pa.field("created", pa.string()),
        pa.field("modified", pa.string()),
    ]
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# A companion file, or how to read it when first needed (None if it does not match the base).
Companion: TypeAlias = pa.Table | Callable[[], pa.Table | None] | None


def index_rows(targets: Sequence[Target]) -> pa.Table:
    """Index rows for targets, built a column at a time (bulk imports pass 100k+ targets)."""
    return pa.table(
        {
            "id": [t.id for t in targets],
            "name": [t.name for t in targets],
            "type": [t.type for t in targets],
            "ra": [t.ra for t in targets],
            "dec": [t.dec for t in targets],
            "scheme": [t.scheme for t in targets],
            "aliases": [t.aliases for t in targets],
            "keys": [name_keys(t) for t in targets],
            "tags": [t.tags for t in targets],
            "lists": [t.lists for t in targets],
            "created": [t.created for t in targets],
            "modified": [t.modified for t in targets],
        },
        schema=INDEX_SCHEMA,
    )


def name_keys(target: Target) -> list[str]:
    own = simplify_name(target.name)
    if not target.aliases:
        return [own]
    keys = {own}
    for alias in target.aliases:
        keys.add(simplify_name(alias))
    return sorted(keys)


# -- the sky file: positions sorted by (declination band, RA) --


def sky_keys(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """The sort key of each position: band number × 360 + RA, so a band's RA range is one slice."""
    return _band_of(dec) * 360.0 + np.mod(ra, 360.0)


def _band_of(dec: FloatArray) -> FloatArray:
    last = math.ceil(180.0 / BAND_DEGREES) - 1
    return np.clip(np.floor((np.asarray(dec) + 90.0) / BAND_DEGREES), 0, last)


def build_sky(base: pa.Table) -> pa.Table:
    """The sky file of ``base``: id, row, ra, dec and key of every row with a position, by key."""
    ra = base.column("ra").to_numpy(zero_copy_only=False).astype(np.float64)
    dec = base.column("dec").to_numpy(zero_copy_only=False).astype(np.float64)
    rows = np.flatnonzero(np.isfinite(ra) & np.isfinite(dec))
    keys = sky_keys(ra[rows], dec[rows])
    order = np.argsort(keys, kind="stable")
    rows = rows[order]
    ids = base.column("id").to_numpy(zero_copy_only=False)[rows]
    return pa.table(
        {"key": keys[order], "ra": ra[rows], "dec": dec[rows], "id": ids, "row": rows.astype(np.int64)}
    )


def cone_slices(sky_key: FloatArray, ra: float, dec: float, radius_arcsec: float) -> list[tuple[int, int]]:
    """The (start, stop) row slices of a sky file that can hold positions within the cone."""
    radius = radius_arcsec / ARCSEC_PER_DEGREE + 1e-9
    low_band, high_band = _band_of(np.array([dec - radius, dec + radius]))
    if abs(dec) + radius >= 90.0 or radius >= 90.0:
        ra_ranges = [(0.0, 360.0)]
    else:
        # The widest RA extent of a small circle on the sphere, reached off its centre's parallel.
        half_width = math.degrees(
            math.asin(min(1.0, math.sin(math.radians(radius)) / math.cos(math.radians(dec))))
        )
        ra_ranges = _wrapped(ra - half_width - 1e-9, ra + half_width + 1e-9)
    slices = []
    for band in range(int(low_band), int(high_band) + 1):
        for low, high in ra_ranges:
            start = int(np.searchsorted(sky_key, band * 360.0 + low, side="left"))
            stop = int(np.searchsorted(sky_key, band * 360.0 + high, side="right"))
            if stop > start:
                slices.append((start, stop))
    return slices


def _wrapped(low: float, high: float) -> list[tuple[float, float]]:
    """An RA interval as one or two intervals within [0, 360)."""
    if high - low >= 360.0:
        return [(0.0, 360.0)]
    low, high = low % 360.0, high % 360.0
    return [(low, high)] if low <= high else [(low, 360.0), (0.0, high)]


# -- the keys file: every simplified name and alias, sorted --


def build_keys(base: pa.Table) -> pa.Table:
    """The keys file of ``base``: key, id and row of every simplified name, sorted by key."""
    keys = base.column("keys").combine_chunks()
    flat = pc.list_flatten(keys)
    parents = pc.list_parent_indices(keys).to_numpy().astype(np.int64)
    ids = base.column("id").to_numpy(zero_copy_only=False)[parents]
    order = pc.sort_indices(flat)
    return pa.table(
        {"key": flat.take(order), "id": pa.array(ids).take(order), "row": pa.array(parents).take(order)}
    )


def _key_positions(sorted_keys: pa.Array, key: str) -> range:
    """Positions of ``key`` in a sorted string column, by binary search over its UTF-8 bytes
    (the order Arrow sorts text in), reading only the ~20 values it compares."""
    texts = _Utf8Values(sorted_keys)
    wanted = key.encode()
    start = bisect.bisect_left(texts, wanted)
    stop = start
    while stop < len(texts) and texts[stop] == wanted:
        stop += 1
    return range(start, stop)


class _Utf8Values:
    """The values of an Arrow string array as bytes, read straight from its buffers."""

    def __init__(self, array: pa.Array) -> None:
        _, offsets, data = array.buffers()
        self._offsets = np.frombuffer(offsets, dtype=np.int32)[array.offset : array.offset + len(array) + 1]
        self._data = memoryview(data) if data is not None else memoryview(b"")
        self._length = len(array)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, position: int) -> bytes:
        return bytes(self._data[int(self._offsets[position]) : int(self._offsets[position + 1])])


# -- the delta: index rows written since the base --


def delta_line(target_id: int, row: Mapping[str, Any] | None) -> bytes:
    """One line of the delta: the target's index row, or its deletion."""
    record = {"id": target_id, "deleted": True} if row is None else {"id": target_id, "row": row}
    return orjson.dumps(record) + b"\n"


def parse_delta(data: bytes | None, where: str = DELTA_PATH) -> tuple[dict[int, dict[str, Any] | None], int]:
    """The changes a delta file holds (id → index row, None for deleted) and its number of lines.

    A line that is not a whole record (a write cut short outside tom-tui) is skipped with a warning."""
    changes: dict[int, dict[str, Any] | None] = {}
    lines = (data or b"").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            target_id = int(record["id"])
            row = None if record.get("deleted") else dict(record["row"])
            if row is not None and row.get("id") != target_id:
                raise ValueError("the row is another target's")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("%s: line %d is not a complete index record; ignored", where, number)
            continue
        changes[target_id] = row
    return _well_typed(changes, where), len(lines)


def _well_typed(changes: dict[int, dict[str, Any] | None], where: str) -> dict[int, dict[str, Any] | None]:
    """The changes whose rows fit the index columns; the others are skipped with a warning."""
    rows = [row for row in changes.values() if row is not None]
    try:
        pa.Table.from_pylist(rows, schema=INDEX_SCHEMA)
        return changes
    except (pa.ArrowException, TypeError, ValueError):
        pass
    kept: dict[int, dict[str, Any] | None] = {}
    for target_id, row in changes.items():
        try:
            if row is not None:
                pa.Table.from_pylist([row], schema=INDEX_SCHEMA)
        except (pa.ArrowException, TypeError, ValueError):
            log.warning(
                "%s: the record of target #%d does not fit the index columns; ignored", where, target_id
            )
            continue
        kept[target_id] = row
    return kept


@dataclass
class ConeMatch:
    row: int  # in the index table (:attr:`TargetIndex.table`)
    separation_arcsec: float
    target_id: int = -1


class TargetIndex:
    """An immutable snapshot of the index with fast lookups; edits return a new index.

    ``table`` is the base (sorted by id); ``sky`` and ``keys`` its sorted companions (built in
    memory when not given); ``changes`` the rows written since (id → index row, None: deleted)."""

    def __init__(
        self,
        table: pa.Table | None = None,
        *,
        sky: Companion = None,
        keys: Companion = None,
        changes: Mapping[int, dict[str, Any] | None] | None = None,
        delta_lines: int = 0,
        legacy: bool = False,
    ) -> None:
        if table is None:
            table = INDEX_SCHEMA.empty_table()
        elif not table.schema.equals(INDEX_SCHEMA):
            table = table.cast(INDEX_SCHEMA)
        self.base: pa.Table = table
        self._sky = sky
        self._keys = keys
        self.changes: dict[int, dict[str, Any] | None] = dict(changes or {})
        self.delta_lines = delta_lines
        self.legacy = legacy  # read from files an older version wrote: to be written whole
        self._table: pa.Table | None = None if self.changes else table
        self._key_to_id: dict[str, int] | None = None
        self._ids: IntArray | None = None
        self._base_ids: IntArray | None = None
        self._changed: pa.Table | None = None
        self._changed_keys: dict[str, int] | None = None
        self._sorted_keys: pa.Array | None = None
        self._layout: tuple[IntArray, IntArray, npt.NDArray[np.bool_], IntArray] | None = None

    def __len__(self) -> int:
        if not self.changes:
            return int(self.base.num_rows)
        return int(self.base.num_rows + self.layout()[3][-1])

    @property
    def table(self) -> pa.Table:
        """Every current row, sorted by id: the base with the changes put in their places."""
        if self._table is None:
            self._table = self._merged()
        return self._table

    @property
    def ids(self) -> IntArray:
        if self._ids is None:
            self._ids = self.table.column("id").to_numpy().astype(np.int64)
        return self._ids

    @property
    def base_ids(self) -> IntArray:
        if self._base_ids is None:
            self._base_ids = np.asarray(self.base.column("id").to_numpy(), dtype=np.int64)
        return self._base_ids

    def row_of(self, target_id: int) -> int | None:
        positions = np.flatnonzero(self.ids == target_id)
        return int(positions[0]) if positions.size else None

    # -- base and changes --
    def layout(self) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_], IntArray]:
        """Where the changes go in the base: their ids (sorted), base positions, whether they replace
        a base row, and the running count of rows they add before each (for row numbers)."""
        if self._layout is None:
            change_ids = np.array(sorted(self.changes), dtype=np.int64)
            positions = np.searchsorted(self.base_ids, change_ids).astype(np.int64)
            clipped = np.minimum(positions, max(len(self.base_ids) - 1, 0))
            present = (
                (positions < len(self.base_ids)) & (self.base_ids[clipped] == change_ids)
                if len(self.base_ids)
                else np.zeros(len(change_ids), dtype=bool)
            )
            kept = np.array([self.changes[i] is not None for i in change_ids.tolist()], dtype=np.int64)
            added_before = np.concatenate([[0], np.cumsum(kept - present.astype(np.int64))]).astype(np.int64)
            self._layout = (change_ids, positions, present, added_before)
        return self._layout

    def _changed_rows(self) -> pa.Table:
        """The changed rows that are not deletions, sorted by id."""
        if self._changed is None:
            rows = [self.changes[i] for i in sorted(self.changes) if self.changes[i] is not None]
            self._changed = pa.Table.from_pylist(rows, schema=INDEX_SCHEMA)
        return self._changed

    def _merged(self) -> pa.Table:
        change_ids, positions, present, _ = self.layout()
        changed = self._changed_rows()
        pieces: list[pa.Table] = []
        start = run_start = taken = 0
        for target_id, position, replaces in zip(
            change_ids.tolist(), positions.tolist(), present.tolist(), strict=True
        ):
            if position > start:
                # Base rows come between: close the run of changed rows, then take those rows.
                pieces.append(changed.slice(run_start, taken - run_start))
                pieces.append(self.base.slice(start, position - start))
                run_start = taken
            start = position + 1 if replaces else position
            taken += self.changes[target_id] is not None
        pieces.append(changed.slice(run_start, taken - run_start))
        pieces.append(self.base.slice(start))
        return pa.concat_tables([piece for piece in pieces if piece.num_rows] or [self.base.slice(0, 0)])

    def take_ids(self, target_ids: Sequence[int]) -> pa.Table:
        """The rows of these targets in the order given, without merging the whole index."""
        wanted = np.asarray(target_ids, dtype=np.int64)
        changed_ids = np.array(
            sorted(i for i, row in self.changes.items() if row is not None), dtype=np.int64
        )
        in_changes = np.isin(wanted, np.array(sorted(self.changes), dtype=np.int64))
        from_base = wanted[~in_changes]
        base_rows = np.searchsorted(self.base_ids, from_base)
        if from_base.size and (
            base_rows.max() >= len(self.base_ids) or (self.base_ids[base_rows] != from_base).any()
        ):
            raise KeyError("some targets are not in the index")
        from_changes = wanted[in_changes]
        pieces = [self.base.take(pa.array(base_rows, pa.int64()))]
        if from_changes.size:
            pieces.append(self._changed_rows().take(pa.array(np.searchsorted(changed_ids, from_changes))))
        rows = pa.concat_tables(pieces)
        # Back to the order asked for: base rows first, then changed rows, were concatenated.
        order = np.empty(len(wanted), dtype=np.int64)
        order[np.flatnonzero(~in_changes)] = np.arange(from_base.size)
        order[np.flatnonzero(in_changes)] = from_base.size + np.arange(from_changes.size)
        return rows.take(pa.array(order))

    def _rows_of_base(self, base_rows: IntArray) -> IntArray:
        """Rows in :attr:`table` of base rows that no change replaces."""
        if not self.changes:
            return base_rows
        _, positions, present, added_before = self.layout()
        order_keys = 2 * positions + present
        before = np.searchsorted(order_keys, 2 * base_rows + 1, side="left")
        return np.asarray(base_rows + added_before[before], dtype=np.int64)

    def _row_of_change(self, target_id: int) -> int:
        change_ids, positions, _, added_before = self.layout()
        j = int(np.searchsorted(change_ids, target_id))
        return int(positions[j] + added_before[j])

    # -- names --
    @property
    def keys_file(self) -> pa.Table:
        if not isinstance(self._keys, pa.Table):
            self._keys = (self._keys() if self._keys is not None else None) or build_keys(self.base)
        return self._keys

    def id_for_key(self, key: str) -> int | None:
        """The target whose name or alias simplifies to ``key``, or None (a binary search)."""
        if self._key_to_id is not None:
            return self._key_to_id.get(key)
        if self._changed_keys is None:
            self._changed_keys = {
                changed_key: target_id
                for target_id, row in self.changes.items()
                if row is not None
                for changed_key in row.get("keys") or ()
            }
        if key in self._changed_keys:
            return self._changed_keys[key]
        if self._sorted_keys is None:
            keys = self.keys_file.column("key")
            self._sorted_keys = keys.chunk(0) if keys.num_chunks == 1 else keys.combine_chunks()
        ids = self.keys_file.column("id")
        for position in _key_positions(self._sorted_keys, key):
            target_id = int(ids[position].as_py())
            if target_id not in self.changes:
                return target_id
        return None

    def key_map(self) -> dict[str, int]:
        """Every simplified name → target id (built once; for bulk work)."""
        if self._key_to_id is None:
            keys = self.table.column("keys").combine_chunks()
            flat = pc.list_flatten(keys).to_pylist()
            parents = pc.list_parent_indices(keys).to_numpy()
            ids = self.ids[parents].tolist()
            self._key_to_id = dict(zip(flat, ids, strict=True))
        return self._key_to_id

    # -- positions --
    @property
    def sky(self) -> pa.Table:
        if not isinstance(self._sky, pa.Table):
            self._sky = (self._sky() if self._sky is not None else None) or build_sky(self.base)
        return self._sky

    def cone(self, ra: float, dec: float, radius_arcsec: float) -> list[ConeMatch]:
        """Rows within ``radius_arcsec`` of (ra, dec), nearest first.

        Reads only the sky file's slices of the bands the cone crosses, then the changes."""
        sky = self.sky
        key = sky.column("key").to_numpy()
        found_rows: list[IntArray] = []
        found_ids: list[IntArray] = []
        found_separations: list[FloatArray] = []
        for start, stop in cone_slices(key, ra, dec, radius_arcsec):
            part = sky.slice(start, stop - start)
            separations = separation_arcsec(
                ra, dec, part.column("ra").to_numpy(), part.column("dec").to_numpy()
            )
            inside = np.flatnonzero(separations <= radius_arcsec)
            if inside.size:
                found_ids.append(part.column("id").to_numpy()[inside].astype(np.int64))
                found_rows.append(part.column("row").to_numpy()[inside].astype(np.int64))
                found_separations.append(separations[inside])
        ids = np.concatenate(found_ids) if found_ids else np.zeros(0, dtype=np.int64)
        rows = np.concatenate(found_rows) if found_rows else np.zeros(0, dtype=np.int64)
        separations = np.concatenate(found_separations) if found_separations else np.zeros(0)
        if self.changes:
            unchanged = np.array([i not in self.changes for i in ids.tolist()], dtype=bool)
            ids, rows, separations = (
                ids[unchanged],
                self._rows_of_base(rows[unchanged]),
                separations[unchanged],
            )
        matches = [
            ConeMatch(row, separation, target_id)
            for row, separation, target_id in zip(
                rows.tolist(), separations.tolist(), ids.tolist(), strict=True
            )
        ]
        matches.extend(self._changed_in_cone(ra, dec, radius_arcsec))
        return sorted(matches, key=lambda match: (match.separation_arcsec, match.target_id))

    def _changed_in_cone(self, ra: float, dec: float, radius_arcsec: float) -> list[ConeMatch]:
        placed = [
            (target_id, row["ra"], row["dec"])
            for target_id, row in self.changes.items()
            if row is not None and row.get("ra") is not None and row.get("dec") is not None
        ]
        if not placed:
            return []
        separations = separation_arcsec(ra, dec, [p[1] for p in placed], [p[2] for p in placed])
        return [
            ConeMatch(self._row_of_change(target_id), float(separation), target_id)
            for (target_id, _, _), separation in zip(placed, separations.tolist(), strict=True)
            if separation <= radius_arcsec
        ]

    def nearest_within(self, ra: float, dec: float, radius_arcsec: float) -> ConeMatch | None:
        """The closest target within the radius, or None."""
        matches = self.cone(ra, dec, radius_arcsec)
        return matches[0] if matches else None

    # -- editing --
    def without(self, target_ids: Sequence[int]) -> TargetIndex:
        if not target_ids:
            return self
        return self._with_changes({int(target_id): None for target_id in target_ids})

    def with_targets(self, targets: Sequence[Target]) -> TargetIndex:
        """Insert or replace the rows of ``targets``."""
        if not targets:
            return self
        if len(targets) > BULK_ROWS:
            # Very many rows at once (a bulk import): a new base, written whole by the next flush.
            ids = np.array([t.id for t in targets], dtype=np.int64)
            replaced = np.isin(self.ids, ids)
            remaining = self.table.filter(pa.array(~replaced)) if replaced.any() else self.table
            combined = TargetIndex(pa.concat_tables([remaining, index_rows(targets)]))
            return combined if combined.sorted_by_id_already() else combined.sorted_by_id()
        rows = index_rows(targets).to_pylist()
        return self._with_changes({int(row["id"]): row for row in rows})

    def _with_changes(self, changes: Mapping[int, dict[str, Any] | None]) -> TargetIndex:
        if not self.sorted_by_id_already():
            return self.sorted_by_id()._with_changes({**self.changes, **changes})
        return TargetIndex(
            self.base,
            sky=self._sky,
            keys=self._keys,
            changes={**self.changes, **changes},
            delta_lines=self.delta_lines,
            legacy=self.legacy,
        )

    @property
    def is_compact(self) -> bool:
        """Whether this index has no changes beside its base."""
        return not self.changes

    def sorted_by_id(self) -> TargetIndex:
        return TargetIndex(self.table.sort_by("id"))

    def sorted_by_id_already(self) -> bool:
        """Whether the base is in id order, as changes need (older versions did not keep it so)."""
        return bool(np.all(np.diff(self.base_ids) > 0))


# -- reading and writing the files --


def _read_table(view: StoreView, rel: str) -> pa.Table | None:
    try:
        return view.read_arrow(rel)
    except (OSError, pa.ArrowException):
        return None


def _token(table: pa.Table | None) -> bytes | None:
    metadata = table.schema.metadata if table is not None else None
    return (metadata or {}).get(TOKEN_KEY)


def load_index(view: StoreView) -> TargetIndex | None:
    """The stored index (base, companions, delta), or None when the base is missing or unreadable."""
    base = _read_table(view, INDEX_PATH)
    if base is None:
        return None
    token = _token(base)
    changes, lines = parse_delta(view.read_bytes(DELTA_PATH))
    if token is None:
        # Written by an older version (or by hand): its rows may be in any order, and it has no
        # companions. The next write replaces it with a complete set.
        legacy = TargetIndex(base)
        if not legacy.sorted_by_id_already():
            legacy = legacy.sorted_by_id()
        return TargetIndex(legacy.base, changes=changes, delta_lines=lines, legacy=True)

    def companion(rel: str) -> Callable[[], pa.Table | None]:
        # Read when first used (a cone needs no keys), by path: files are replaced by renames,
        # so one read after the lock is released is a whole file, its token telling whose.
        path = view.path(rel)

        def read() -> pa.Table | None:
            try:
                table = feather.read_table(path, memory_map=True)
            except (OSError, pa.ArrowException):
                return None
            return table if _token(table) == token else None

        return read

    return TargetIndex(
        base, sky=companion(SKY_PATH), keys=companion(KEYS_PATH), changes=changes, delta_lines=lines
    )


def index_files_match(view: StoreView) -> bool:
    """Whether the sky and keys files are there and belong to the stored base."""
    tokens = [_token(_read_table(view, rel)) for rel in (INDEX_PATH, SKY_PATH, KEYS_PATH)]
    return tokens[0] is not None and tokens.count(tokens[0]) == 3


def write_index(tx: Transaction, index: TargetIndex) -> TargetIndex:
    """Write ``index`` as a new base with its companions and no delta; returns it as written."""
    token = uuid.uuid4().hex.encode()
    # One chunk per column: Feather writes a table of many small chunks very slowly.
    base = index.table.combine_chunks()
    if not TargetIndex(base).sorted_by_id_already():
        base = base.sort_by("id")
    compact = TargetIndex(base)
    for rel, table in ((INDEX_PATH, base), (SKY_PATH, compact.sky), (KEYS_PATH, compact.keys_file)):
        tagged = table.replace_schema_metadata({**(table.schema.metadata or {}), TOKEN_KEY: token})
        # One record batch, so that readers get each column as one memory-mapped array.
        feather.write_feather(
            tagged, tx.staged_path(rel), compression="uncompressed", chunksize=max(tagged.num_rows, 1)
        )
    if tx.exists(DELTA_PATH):
        tx.delete(DELTA_PATH)
    return TargetIndex(base, sky=compact.sky, keys=compact.keys_file)


def append_changes(tx: Transaction, index: TargetIndex, target_ids: Sequence[int]) -> None:
    """Append the rows of ``target_ids`` (as ``index`` holds them) to the delta."""
    tx.append_bytes(DELTA_PATH, b"".join(delta_line(i, index.changes.get(i)) for i in target_ids))
