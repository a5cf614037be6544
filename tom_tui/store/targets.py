"""Target documents (sharded TinyDB files with small change logs) and the index that mirrors
them, read and written through a store view or transaction.

Documents are spread over 256 TinyDB files by target id so that changing one target rewrites
~1/256 of the data instead of the whole catalogue (TinyDB rewrites a whole file on every write).
Once a shard is large, a change to a few of its documents is not even that: the new documents are
appended as JSON lines to the shard's log ``db/targets/<xx>.log.jsonl`` (the last line of an id
winning over the shard and earlier lines), and the log is folded into the shard when it grows past
a quarter of the shard or when the shard is rewritten anyway.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.target import Target, TargetRef, simplify_name
from tom_tui.store.target_index import (
    DELTA_LIMIT,
    INDEX_PATH,
    TargetIndex,
    append_changes,
    index_files_match,
    index_rows,
    load_index,
    write_index,
)
from tom_tui.store.transaction import StoreView, Transaction

SHARD_COUNT = 256
TABLE = "targets"
# A shard smaller than this is simply rewritten; a larger one takes its changes in its log.
LOG_FROM_BYTES = 16 * 1024
# A log may grow to a quarter of its shard (or this, if more) before the shard is rewritten.
LOG_MIN_LIMIT_BYTES = 16 * 1024
# An index of fewer rows is rewritten whole on every change (a few milliseconds), so that small
# stores keep everything in ``targets.arrow``; a larger one takes changes in its delta.
DELTA_FROM_ROWS = 20_000
LOG_SUFFIX = ".log.jsonl"

log = logging.getLogger(__name__)


def shard_of(target_id: int) -> str:
    return f"targets/{target_id % SHARD_COUNT:02x}"


def shard_log(shard: str) -> str:
    """The change log beside a shard (``db/targets/2a.log.jsonl``)."""
    return f"db/{shard}{LOG_SUFFIX}"


def shard_documents(view: StoreView, shard: str) -> dict[str, dict[str, Any]]:
    """The documents of one shard (``targets/2a``) by id text, with its log applied."""
    raw = view.read_json(f"db/{shard}.json")
    table = raw.get(TABLE) if isinstance(raw, dict) else None
    documents: dict[str, dict[str, Any]] = table if isinstance(table, dict) else {}
    changes = _read_log(view, shard)
    if not changes:
        return documents
    documents = dict(documents)
    for key, document in changes.items():
        if document is None:
            documents.pop(key, None)
        else:
            documents[key] = document
    return documents


def _read_log(view: StoreView, shard: str) -> dict[str, dict[str, Any] | None]:
    """A shard log's changes: id text → document, None for deleted. Torn lines are skipped."""
    rel = shard_log(shard)
    data = view.read_bytes(rel)
    changes: dict[str, dict[str, Any] | None] = {}
    for number, line in enumerate((data or b"").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            key = str(int(record["id"]))
            changes[key] = None if record.get("deleted") else dict(record["document"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("%s: line %d is not a complete target record; ignored", rel, number)
    return changes


def shard_names(view: StoreView) -> list[str]:
    """Every shard that holds documents or a log (``targets/2a``)."""
    names = set()
    for rel in view.list_dir("db/targets"):
        if rel.endswith(LOG_SUFFIX):
            names.add(rel[len("db/") : -len(LOG_SUFFIX)])
        elif rel.endswith(".json"):
            names.add(rel[len("db/") : -len(".json")])
    return sorted(names)


def read_stored_index(view: StoreView) -> pa.Table | None:
    """The stored index as one table, or None when it is missing or unreadable (it can be rebuilt)."""
    index = load_index(view)
    return None if index is None else index.table


def has_target_documents(view: StoreView) -> bool:
    return any(view.list_dir("db/targets"))


def rebuild_index(view: StoreView) -> TargetIndex:
    """The target index built again from every target document."""
    targets: list[Target] = []
    for shard in shard_names(view):
        documents = shard_documents(view, shard)
        targets.extend(Target.from_document(document, int(key)) for key, document in documents.items())
    return TargetIndex(index_rows(targets)).sorted_by_id()


def repair_index(tx: Transaction) -> bool:
    """Rebuild a missing or unreadable index from the documents; True if it had to."""
    if load_index(tx) is not None or not has_target_documents(tx):
        return False
    write_index(tx, rebuild_index(tx))
    return True


def compact_targets(tx: Transaction) -> int:
    """Fold every shard log into its shard and the index delta into the index; the number of
    files folded."""
    folded = 0
    for shard in shard_names(tx):
        if tx.exists(shard_log(shard)):
            _rewrite_shard(tx, shard, {})
            folded += 1
    repo = TargetRepository(tx)
    if len(repo.index) and (not repo.index.is_compact or repo.index.legacy or not index_files_match(tx)):
        write_index(tx, repo.index)
        folded += 1
    return folded


def _rewrite_shard(tx: Transaction, shard: str, changes: dict[str, dict[str, Any] | None]) -> None:
    """Write a shard whole, with its log and ``changes`` folded in; the log goes."""
    documents = dict(shard_documents(tx, shard))
    for key, document in changes.items():
        if document is None:
            documents.pop(key, None)
        else:
            documents[key] = document
    raw: dict[str, Any] = dict(tx.read_json(f"db/{shard}.json") or {})
    raw[TABLE] = documents
    tx.write_json(f"db/{shard}.json", raw)
    if tx.exists(shard_log(shard)):
        tx.delete(shard_log(shard))


def _log_lines(changes: dict[str, dict[str, Any] | None]) -> bytes:
    return b"".join(
        orjson.dumps({"id": int(key), "deleted": True} if doc is None else {"id": int(key), "document": doc})
        + b"\n"
        for key, doc in changes.items()
    )


def write_shard_changes(tx: Transaction, shard: str, changes: dict[str, dict[str, Any] | None]) -> None:
    """Store changed documents of one shard (None: deleted): appended to its log when the shard is
    large and the log small, else by rewriting the shard."""
    shard_path = tx.path(f"db/{shard}.json")
    already_rewritten = tx.is_rewritten(f"db/{shard}.json")
    size = shard_path.stat().st_size if shard_path.exists() and not already_rewritten else 0
    limit = max(size // 4, LOG_MIN_LIMIT_BYTES)
    # Too many documents for the log (none is under 64 bytes): no need to encode them as lines.
    if size < LOG_FROM_BYTES or len(changes) * 64 > limit:
        _rewrite_shard(tx, shard, changes)
        return
    lines = _log_lines(changes)
    log_size = len(tx.read_bytes(shard_log(shard)) or b"")
    if log_size + len(lines) <= limit:
        tx.append_bytes(shard_log(shard), lines)
    else:
        _rewrite_shard(tx, shard, changes)


class TargetRepository:
    """Reads (and, on a transaction, writes) targets. One instance per view or transaction."""

    def __init__(self, view: StoreView) -> None:
        self.view = view
        self._index: TargetIndex | None = None
        self._index_rewrite = False  # the whole index must be written (rebuilt or bulk-changed)
        self._changed_ids: dict[int, None] = {}  # changed by this repository, in order
        self._shards: dict[str, dict[str, dict[str, Any]]] = {}  # documents read, by shard

    # -- reading --
    @property
    def index(self) -> TargetIndex:
        if self._index is None:
            stored = load_index(self.view)
            if stored is None and has_target_documents(self.view):
                # The index is derived from the documents: rebuilt rather than trusted to be empty,
                # and staged when this is a transaction so the next reader finds it again.
                self._index = rebuild_index(self.view)
                self._index_rewrite = isinstance(self.view, Transaction)
            else:
                self._index = stored or TargetIndex()
        return self._index

    def documents(self, shard: str) -> dict[str, dict[str, Any]]:
        """The documents of one shard with its log applied, read once per repository."""
        if shard not in self._shards:
            self._shards[shard] = shard_documents(self.view, shard)
        return self._shards[shard]

    def get(self, target_id: int) -> Target:
        document = self.documents(shard_of(target_id)).get(str(target_id))
        if not isinstance(document, dict):
            raise NotFoundError(f"target #{target_id} does not exist")
        return Target.from_document(dict(document), target_id)

    def get_many(self, target_ids: Iterable[int]) -> list[Target]:
        by_shard: dict[str, list[int]] = defaultdict(list)
        wanted = list(target_ids)
        for target_id in wanted:
            by_shard[shard_of(target_id)].append(target_id)
        found: dict[int, Target] = {}
        for shard, ids in by_shard.items():
            documents = self.documents(shard)
            for target_id in ids:
                document = documents.get(str(target_id))
                if document is not None:
                    found[target_id] = Target.from_document(document, target_id)
        return [found[i] for i in wanted if i in found]

    def iter_records(self, target_ids: Iterable[int]) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """The stored documents of these targets as plain dicts (no :class:`Target` built), one
        batch per shard, in shard order; within a batch in the order asked. Ids without a
        document are left out.

        Only one shard's documents are held at a time, so listing a million targets takes the
        memory of ~4,000: outside a transaction each shard is read through a view of its own,
        whose parsed files go when the batch is done. The ids are grouped as a numpy array (a
        million Python ints would take ~40 MB).
        """
        ids = target_ids if isinstance(target_ids, np.ndarray) else np.fromiter(target_ids, dtype=np.int64)
        shards = ids % SHARD_COUNT
        order = np.argsort(shards, kind="stable")
        numbers, starts = np.unique(shards[order], return_index=True)
        stops = [*starts[1:].tolist(), len(ids)] if len(ids) else []
        for number, start, stop in zip(numbers.tolist(), starts, stops, strict=True):
            reader = self.view if isinstance(self.view, Transaction) else StoreView(self.view.root)
            documents = shard_documents(reader, shard_of(number))
            wanted = ids[order[start:stop]].tolist()
            pairs = zip(wanted, map(documents.get, map(str, wanted)), strict=True)
            batch = [(target_id, document) for target_id, document in pairs if document is not None]
            del reader, documents
            yield batch

    def find(self, name_or_alias: str) -> Target | None:
        """The target with this name or alias (case, spaces, -, _ and parentheses ignored)."""
        target_id = self.index.id_for_key(simplify_name(name_or_alias))
        return None if target_id is None else self.get(target_id)

    def resolve(self, reference: TargetRef) -> Target:
        """A target by id (an int), or by name, alias or ``#id`` as typed; NotFoundError naming
        what was asked for."""
        if isinstance(reference, int):
            return self.get(reference)
        text = reference.strip()
        if text.startswith("#") and text[1:].isdigit():
            return self.get(int(text[1:]))
        target = self.find(text)
        if target is None:
            raise NotFoundError(f"no target named {reference!r} (name or alias); see `tom-tui target list`")
        return target

    def all(self) -> list[Target]:
        return self.get_many(self.index.ids.tolist())

    # -- writing (transaction only) --
    @property
    def tx(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("target changes need a store transaction")
        return self.view

    def insert_many(self, targets: Sequence[Target]) -> list[Target]:
        """Store new targets, assigning ids; one write per touched shard and one index change."""
        tx = self.tx
        if not targets:
            return []
        stamp = now_iso()
        ids = tx.reserve_ids("target", len(targets))
        by_shard: dict[str, dict[str, dict[str, Any] | None]] = defaultdict(dict)
        for target, target_id in zip(targets, ids, strict=True):
            target.id = target_id
            target.created = target.created or stamp
            target.modified = stamp
            by_shard[shard_of(target_id)][str(target_id)] = target.to_document(copy=False)
        # Written in TinyDB's own file format directly: going through TinyDB would convert every
        # stored id of the shard back and forth, which costs more than the insert itself.
        for shard, documents in by_shard.items():
            write_shard_changes(tx, shard, documents)
            self._shards.pop(shard, None)
        self._changed(targets=targets)
        return list(targets)

    def replace_many(self, targets: Sequence[Target]) -> None:
        """Write back changed targets (whole documents), keeping their ids and creation times."""
        tx = self.tx
        stamp = now_iso()
        by_shard: dict[str, dict[str, dict[str, Any] | None]] = defaultdict(dict)
        for target in targets:
            if target.id is None:
                raise ValueError("replace needs stored targets")
            target.modified = stamp
            by_shard[shard_of(target.id)][str(target.id)] = target.to_document()
        for shard, documents in by_shard.items():
            write_shard_changes(tx, shard, documents)
            self._shards.pop(shard, None)
        self._changed(targets=targets)

    def delete_many(self, target_ids: Sequence[int]) -> None:
        tx = self.tx
        by_shard: dict[str, dict[str, dict[str, Any] | None]] = defaultdict(dict)
        for target_id in target_ids:
            by_shard[shard_of(target_id)][str(target_id)] = None
        for shard, documents in by_shard.items():
            write_shard_changes(tx, shard, documents)
            self._shards.pop(shard, None)
        self._changed(deleted=target_ids)

    def _changed(self, targets: Sequence[Target] = (), deleted: Sequence[int] = ()) -> None:
        before = self.index
        self._index = before.with_targets(targets).without(list(deleted))
        if self._index.base is not before.base:
            self._index_rewrite = True
        for target_id in [*(t.id for t in targets if t.id is not None), *deleted]:
            self._changed_ids[int(target_id)] = None

    def flush(self) -> None:
        """Stage the index change; call once before the transaction commits.

        A few changes are appended to the index delta; a rebuilt or bulk-changed index, or a
        delta that would pass its limit, is written whole."""
        tx = self.tx
        index = self.index
        pending = list(self._changed_ids)
        if (
            self._index_rewrite
            or (pending and index.legacy)
            or index.delta_lines + len(pending) > DELTA_LIMIT
            or (pending and (len(index.base) < DELTA_FROM_ROWS or not tx.exists(INDEX_PATH)))
        ):
            self._index = write_index(tx, index)
        elif pending:
            append_changes(tx, index, pending)
            index.delta_lines += len(pending)
        self._index_rewrite = False
        self._changed_ids = {}


__all__ = [
    "INDEX_PATH",
    "SHARD_COUNT",
    "TargetRepository",
    "compact_targets",
    "rebuild_index",
    "repair_index",
    "shard_documents",
    "shard_of",
]
