"""Target documents (sharded TinyDB files) and the index that mirrors them, read and written
through a store view or transaction.

Documents are spread over 256 TinyDB files by target id so that changing one target rewrites
~1/256 of the data instead of the whole catalogue (TinyDB rewrites a whole file on every write).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.target import Target, TargetRef
from tom_tui.store.target_index import INDEX_PATH, TargetIndex, index_rows
from tom_tui.store.transaction import StoreView, Transaction

SHARD_COUNT = 256
TABLE = "targets"


def shard_of(target_id: int) -> str:
    return f"targets/{target_id % SHARD_COUNT:02x}"


def read_stored_index(view: StoreView) -> pa.Table | None:
    """The stored index, or None when it is missing or unreadable (it can be rebuilt)."""
    try:
        return view.read_arrow(INDEX_PATH)
    except (OSError, pa.ArrowException):
        return None


def has_target_documents(view: StoreView) -> bool:
    return any(view.list_dir("db/targets"))


def rebuild_index(view: StoreView) -> TargetIndex:
    """The target index built again from every target document."""
    targets: list[Target] = []
    for rel in view.list_dir("db/targets"):
        raw = view.read_json(rel) if rel.endswith(".json") else None
        table = raw.get(TABLE, {}) if isinstance(raw, dict) else {}
        targets.extend(Target.from_document(document, int(key)) for key, document in table.items())
    return TargetIndex(index_rows(targets)).sorted_by_id()


def repair_index(tx: Transaction) -> bool:
    """Rebuild a missing or unreadable index from the documents; True if it had to."""
    if read_stored_index(tx) is not None or not has_target_documents(tx):
        return False
    tx.write_arrow(INDEX_PATH, rebuild_index(tx).table)
    return True


class TargetRepository:
    """Reads (and, on a transaction, writes) targets. One instance per view or transaction."""

    def __init__(self, view: StoreView) -> None:
        self.view = view
        self._index: TargetIndex | None = None
        self._index_dirty = False

    # -- reading --
    @property
    def index(self) -> TargetIndex:
        if self._index is None:
            stored = read_stored_index(self.view)
            if stored is None and has_target_documents(self.view):
                # The index is derived from the documents: rebuilt rather than trusted to be empty,
                # and staged when this is a transaction so the next reader finds it again.
                self._index = rebuild_index(self.view)
                self._index_dirty = isinstance(self.view, Transaction)
            else:
                self._index = TargetIndex(stored)
        return self._index

    def get(self, target_id: int) -> Target:
        document = self.view.db(shard_of(target_id)).table(TABLE).get(doc_id=target_id)
        if document is None or isinstance(document, list):
            raise NotFoundError(f"target #{target_id} does not exist")
        return Target.from_document(dict(document), target_id)

    def get_many(self, target_ids: Iterable[int]) -> list[Target]:
        by_shard: dict[str, list[int]] = defaultdict(list)
        wanted = list(target_ids)
        for target_id in wanted:
            by_shard[shard_of(target_id)].append(target_id)
        found: dict[int, Target] = {}
        for shard, ids in by_shard.items():
            raw = self.view.read_json(f"db/{shard}.json") or {}
            table = raw.get(TABLE, {})
            for target_id in ids:
                document = table.get(str(target_id))
                if document is not None:
                    found[target_id] = Target.from_document(document, target_id)
        return [found[i] for i in wanted if i in found]

    def find(self, name_or_alias: str) -> Target | None:
        """The target with this name or alias (case, spaces, -, _ and parentheses ignored)."""
        from tom_tui.domain.target import simplify_name

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
        """Store new targets, assigning ids; one write per touched shard and one index rewrite."""
        tx = self.tx
        if not targets:
            return []
        stamp = now_iso()
        ids = tx.reserve_ids("target", len(targets))
        by_shard: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for target, target_id in zip(targets, ids, strict=True):
            target.id = target_id
            target.created = target.created or stamp
            target.modified = stamp
            by_shard[shard_of(target_id)][str(target_id)] = target.to_document(copy=False)
        # Written in TinyDB's own file format directly: going through TinyDB would convert every
        # stored id of the shard back and forth, which costs more than the insert itself.
        for shard, documents in by_shard.items():
            path = f"db/{shard}.json"
            raw: dict[str, Any] = dict(tx.read_json(path) or {})
            table = dict(raw.get(TABLE, {}))
            clashing = documents.keys() & table.keys()
            if clashing:
                raise RuntimeError(f"{path}: target ids {sorted(clashing)[:5]} already used")
            table.update(documents)
            raw[TABLE] = table
            tx.write_json(path, raw)
        self._index = self.index.with_targets(targets)
        self._index_dirty = True
        return list(targets)

    def replace_many(self, targets: Sequence[Target]) -> None:
        """Write back changed targets (whole documents), keeping their ids and creation times."""
        tx = self.tx
        stamp = now_iso()
        by_shard: dict[str, list[Target]] = defaultdict(list)
        for target in targets:
            if target.id is None:
                raise ValueError("replace needs stored targets")
            target.modified = stamp
            by_shard[shard_of(target.id)].append(target)
        for shard, shard_targets in by_shard.items():
            raw: dict[str, Any] = dict(tx.read_json(f"db/{shard}.json") or {})
            table = dict(raw.get(TABLE, {}))
            for target in shard_targets:
                table[str(target.id)] = target.to_document()
            raw[TABLE] = table
            tx.write_json(f"db/{shard}.json", raw)
        self._index = self.index.with_targets(targets)
        self._index_dirty = True

    def delete_many(self, target_ids: Sequence[int]) -> None:
        tx = self.tx
        by_shard: dict[str, list[int]] = defaultdict(list)
        for target_id in target_ids:
            by_shard[shard_of(target_id)].append(target_id)
        for shard, ids in by_shard.items():
            tx.db(shard).table(TABLE).remove(doc_ids=ids)
        self._index = self.index.without(list(target_ids))
        self._index_dirty = True

    def flush(self) -> None:
        """Stage the index; call once before the transaction commits."""
        if self._index_dirty:
            self.tx.write_arrow(INDEX_PATH, self.index.table)
            self._index_dirty = False
