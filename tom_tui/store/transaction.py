"""Consistent reads and all-or-nothing multi-file writes inside a store directory.

A :class:`Transaction` stages every new file under ``.staging/<txid>/`` and keeps JSON documents
(TinyDB tables) in memory until commit. Commit writes and fsyncs the staged files, then writes the
journal ``.journal.json`` atomically: that rename is the commit point. The journal's renames are
then applied and the journal removed. Recovery (run by whoever next takes the lock) finishes a
journal that exists and throws away staging directories that never reached one, so a process
killed at any instant leaves every operation either done entirely or not at all.
"""

from __future__ import annotations

import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
from tinydb import TinyDB
from tinydb.storages import Storage

from tom_tui.domain.errors import StoreError
from tom_tui.store.counters import last_used_id

JOURNAL_NAME = ".journal.json"
STAGING_DIR = ".staging"
COUNTERS_FILE = "state/counters.json"

_DELETED = object()


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write one file so that readers see either the old or the new content, never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)


@lru_cache(maxsize=4096)
def _check_relative(rel: str) -> str:
    candidate = Path(rel)
    if candidate.is_absolute() or ".." in candidate.parts or not candidate.parts:
        raise ValueError(f"store path {rel!r} must be relative and stay inside the store")
    return candidate.as_posix()


def recover(root: Path) -> bool:
    """Finish an interrupted commit and drop abandoned staging. Caller holds the exclusive lock.

    Returns True when something had to be repaired. A journal that is damaged, or that names a
    path outside the store, is refused with a :class:`StoreError` before any file is touched.
    """
    repaired = False
    journal_path = root / JOURNAL_NAME
    if journal_path.exists():
        journal = read_journal(root)
        _apply_journal(root, journal)
        journal_path.unlink()
        fsync_directory(root)
        repaired = True
    staging = root / STAGING_DIR
    if staging.exists():
        for leftover in staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
            repaired = True
    return repaired


def read_journal(root: Path) -> dict[str, Any]:
    """The journal of an interrupted commit, checked: every path it names stays inside the store."""
    journal_path = root / JOURNAL_NAME
    damaged = f"{journal_path}: damaged journal of an interrupted write"
    advice = (
        "; nothing was changed. Remove it only if no tom-tui command is running and the store looks right"
    )
    try:
        journal = orjson.loads(journal_path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise StoreError(f"{damaged} (not valid JSON: {error}){advice}") from None
    operations = journal.get("operations") if isinstance(journal, dict) else None
    if not isinstance(operations, list):
        raise StoreError(f"{damaged} (expected an object with a list of operations){advice}")
    resolved_root = root.resolve()
    for number, operation in enumerate(operations, 1):
        problem = _journal_operation_problem(resolved_root, operation)
        if problem:
            raise StoreError(f"{damaged} (operation {number}: {problem}){advice}")
    return {"txid": journal.get("txid"), "operations": operations}


def _journal_operation_problem(resolved_root: Path, operation: Any) -> str | None:
    """What is wrong with one journal operation, or None if it only touches files in the store."""
    if not isinstance(operation, dict) or operation.get("action") not in {"replace", "delete", "append"}:
        return "expected an object with action 'replace', 'delete' or 'append'"
    fields = ["path"] if operation["action"] == "delete" else ["path", "staged"]
    for field in fields:
        rel = operation.get(field)
        if not isinstance(rel, str) or not _stays_inside(resolved_root, rel):
            return f"{field} {rel!r} is not a path inside the store"
    if operation["action"] != "delete" and not operation["staged"].startswith(f"{STAGING_DIR}/"):
        return f"staged file {operation['staged']!r} is not in {STAGING_DIR}/"
    offset = operation.get("offset")
    if operation["action"] == "append" and (not isinstance(offset, int) or offset < 0):
        return f"append offset {offset!r} is not a byte position"
    if operation["action"] == "append" and (resolved_root / operation["path"]).is_symlink():
        return f"path {operation['path']!r} is a link; appends never follow links"
    if _check_relative(operation["path"]).split("/")[0] in {STAGING_DIR, JOURNAL_NAME}:
        return f"path {operation['path']!r} is tom-tui's own bookkeeping"
    return None


def _stays_inside(resolved_root: Path, rel: str) -> bool:
    """Relative, without `..`, and inside the store even after following symbolic links."""
    try:
        rel = _check_relative(rel)
    except ValueError:
        return False
    # The parent is resolved, not the file: replacing or deleting a link touches the link only.
    parent = (resolved_root / rel).parent.resolve()
    return parent == resolved_root or parent.is_relative_to(resolved_root)


def _apply_journal(root: Path, journal: dict[str, Any]) -> None:
    touched_dirs: set[Path] = set()
    for operation in journal["operations"]:
        target = root / operation["path"]
        if operation["action"] == "replace":
            staged = root / operation["staged"]
            if staged.exists():  # absent means this rename already happened before a crash
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
                touched_dirs.add(target.parent)
        elif operation["action"] == "append":
            staged = root / operation["staged"]
            if staged.exists():
                _append_at(target, operation["offset"], staged.read_bytes())
                touched_dirs.add(target.parent)
        elif operation["action"] == "delete":
            if target.is_symlink():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            touched_dirs.add(target.parent)
    for directory in touched_dirs:
        if directory.exists():
            fsync_directory(directory)


def _append_at(target: Path, offset: int, data: bytes) -> None:
    """Put ``data`` at byte ``offset`` of ``target`` and cut what follows: replaying the same
    append after a crash gives the same file, so an append can be finished like a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        offset = min(offset, os.fstat(fd).st_size)
        os.ftruncate(fd, offset)
        os.pwrite(fd, data, offset)
        os.fsync(fd)
    finally:
        os.close(fd)


class _DocumentStorage(Storage):
    """TinyDB storage that reads and writes through a store view or transaction."""

    def __init__(self, source: StoreView, rel: str) -> None:
        self._source = source
        self._rel = rel

    def read(self) -> dict[str, dict[str, Any]] | None:
        document = self._source.read_json(self._rel)
        return document if isinstance(document, dict) else None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if not isinstance(self._source, Transaction):
            raise PermissionError(f"{self._rel}: writes need a store transaction")
        self._source.write_json(self._rel, data)

    def close(self) -> None:
        pass


class StoreView:
    """A consistent, read-only look at the store, valid while its lock is held."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._json_cache: dict[str, Any] = {}

    def path(self, rel: str) -> Path:
        """Absolute path of a committed file, for libraries that open paths (FITS, Parquet)."""
        return self.root / _check_relative(rel)

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def read_bytes(self, rel: str) -> bytes | None:
        path = self.path(rel)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def read_json(self, rel: str) -> Any:
        rel = _check_relative(rel)
        if rel not in self._json_cache:
            raw = self.read_bytes(rel)
            self._json_cache[rel] = None if raw is None else orjson.loads(raw)
        return self._json_cache[rel]

    def read_parquet(self, rel: str, columns: list[str] | None = None, **kwargs: Any) -> pa.Table | None:
        path = self.path(rel)
        if not path.exists():
            return None
        return pq.read_table(path, columns=columns, **kwargs)

    def read_arrow(self, rel: str) -> pa.Table | None:
        """An Arrow IPC file, memory-mapped: opening it costs about a millisecond at any size."""
        path = self.path(rel)
        if not path.exists():
            return None
        return feather.read_table(path, memory_map=True)

    def list_dir(self, rel: str) -> list[str]:
        directory = self.path(rel)
        if not directory.is_dir():
            return []
        return sorted(f"{_check_relative(rel)}/{entry.name}" for entry in directory.iterdir())

    def db(self, name: str) -> TinyDB:
        """The TinyDB database ``db/<name>.json``; names may contain ``/`` for sharded tables."""
        return TinyDB(storage=_DocumentStorage, source=self, rel=f"db/{name}.json")


class Transaction(StoreView):
    """A view that also stages writes; nothing is visible to others until :meth:`commit`."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.txid = uuid.uuid4().hex
        self._staging = root / STAGING_DIR / self.txid
        self._staged_files: dict[str, Path | object] = {}
        self._dirty_json: set[str] = set()
        self._private: set[str] = set()  # files only their owner may read (they may quote secrets)
        self._appends: dict[str, bytearray] = {}  # bytes to add at the end of committed files
        self._counter = 0
        self.committed = False

    # -- reading sees this transaction's own writes first --
    def path(self, rel: str) -> Path:
        rel = _check_relative(rel)
        staged = self._staged_files.get(rel)
        if isinstance(staged, Path):
            return staged
        return self.root / rel

    def exists(self, rel: str) -> bool:
        rel = _check_relative(rel)
        staged = self._staged_files.get(rel)
        if staged is _DELETED:
            return False
        if rel in self._dirty_json:
            return self._json_cache.get(rel) is not None
        return isinstance(staged, Path) or rel in self._appends or (self.root / rel).exists()

    def read_bytes(self, rel: str) -> bytes | None:
        rel = _check_relative(rel)
        if rel in self._dirty_json:
            document = self._json_cache[rel]
            return None if document is None else orjson.dumps(document)
        if self._staged_files.get(rel) is _DELETED:
            return None
        if rel in self._appends:
            return (super().read_bytes(rel) or b"") + bytes(self._appends[rel])
        return super().read_bytes(rel)

    def read_parquet(self, rel: str, columns: list[str] | None = None, **kwargs: Any) -> pa.Table | None:
        if not self.exists(rel):
            return None
        return super().read_parquet(rel, columns=columns, **kwargs)

    def read_arrow(self, rel: str) -> pa.Table | None:
        if not self.exists(rel):
            return None
        return super().read_arrow(rel)

    def list_dir(self, rel: str) -> list[str]:
        prefix = _check_relative(rel) + "/"
        names = set(super().list_dir(rel))
        for staged_rel, staged in self._staged_files.items():
            if staged_rel.startswith(prefix) and "/" not in staged_rel[len(prefix) :]:
                if staged is _DELETED:
                    names.discard(staged_rel)
                else:
                    names.add(staged_rel)
        for json_rel in [*self._dirty_json, *self._appends]:
            if json_rel.startswith(prefix) and "/" not in json_rel[len(prefix) :]:
                names.add(json_rel)
        return sorted(names)

    # -- staging --
    def _new_staged_path(self, rel: str) -> Path:
        self._counter += 1
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging / f"{self._counter:06d}-{Path(rel).name}"

    def staged_path(self, rel: str) -> Path:
        """A fresh file path to write ``rel`` into (e.g. with astropy or pyarrow); staged on return."""
        rel = _check_relative(rel)
        self._dirty_json.discard(rel)
        self._json_cache.pop(rel, None)
        self._appends.pop(rel, None)
        target = self._new_staged_path(rel)
        self._staged_files[rel] = target
        return target

    def write_bytes(self, rel: str, data: bytes) -> None:
        self.staged_path(rel).write_bytes(data)

    def append_bytes(self, rel: str, data: bytes) -> None:
        """Add ``data`` at the end of ``rel`` at commit (a log line), without rewriting the file.

        Committed like every other change: a crash leaves the whole append or none of it."""
        rel = _check_relative(rel)
        if rel in self._staged_files or rel in self._dirty_json:
            self.write_bytes(rel, (self.read_bytes(rel) or b"") + data)
        else:
            self._appends.setdefault(rel, bytearray()).extend(data)

    def is_rewritten(self, rel: str) -> bool:
        """Whether this transaction already replaces or deletes ``rel`` as a whole."""
        rel = _check_relative(rel)
        return rel in self._staged_files or rel in self._dirty_json

    def keep_private(self, rel: str) -> None:
        """Write ``rel`` readable by its owner only (mode 600) at commit."""
        self._private.add(_check_relative(rel))

    def write_json(self, rel: str, document: Any) -> None:
        rel = _check_relative(rel)
        self._staged_files.pop(rel, None)
        self._appends.pop(rel, None)
        self._json_cache[rel] = document
        self._dirty_json.add(rel)

    def write_parquet(self, rel: str, table: pa.Table, **kwargs: Any) -> None:
        kwargs.setdefault("compression", "zstd")
        pq.write_table(table, self.staged_path(rel), **kwargs)

    def write_arrow(self, rel: str, table: pa.Table) -> None:
        feather.write_feather(table, self.staged_path(rel), compression="uncompressed")

    def copy_file_in(self, source: Path, rel: str) -> None:
        shutil.copyfile(source, self.staged_path(rel))

    def delete(self, rel: str) -> None:
        """Delete a file or a whole directory at commit."""
        rel = _check_relative(rel)
        self._dirty_json.discard(rel)
        self._appends.pop(rel, None)
        self._json_cache[rel] = None
        self._staged_files[rel] = _DELETED

    def next_id(self, counter: str) -> int:
        """The next integer of a named counter, starting at 1; never reused, even after deletes."""
        return self.reserve_ids(counter, 1)[0]

    def reserve_ids(self, counter: str, count: int) -> range:
        """``count`` consecutive new ids; a lost or stale counters file is corrected from the
        records that carry the ids, so no id is ever handed out twice."""
        stored = self.read_json(COUNTERS_FILE)
        counters = dict(stored) if isinstance(stored, dict) else None
        first = last_used_id(self, counter, counters) + 1
        counters = counters or {}
        counters[counter] = first + count - 1
        self.write_json(COUNTERS_FILE, counters)
        return range(first, first + count)

    @property
    def has_changes(self) -> bool:
        return bool(self._staged_files or self._dirty_json or self._appends)

    # -- commit --
    def commit(self) -> None:
        if self.committed:
            raise RuntimeError("transaction already committed")
        if not self.has_changes:
            self.committed = True
            self.abandon()
            return
        counters = dict(self.read_json(COUNTERS_FILE) or {})
        counters["generation"] = int(counters.get("generation", 0)) + 1
        self.write_json(COUNTERS_FILE, counters)

        for rel in sorted(self._dirty_json):
            document = self._json_cache[rel]
            if document is None:
                self._staged_files[rel] = _DELETED
            else:
                self.write_bytes(rel, orjson.dumps(document))
        operations: list[dict[str, Any]] = []
        for rel, staged in self._staged_files.items():
            if staged is _DELETED:
                operations.append({"path": rel, "action": "delete"})
            else:
                assert isinstance(staged, Path)
                if rel in self._private:
                    staged.chmod(0o600)
                with open(staged, "rb+") as handle:
                    os.fdatasync(handle.fileno())
                operations.append(
                    {"path": rel, "action": "replace", "staged": staged.relative_to(self.root).as_posix()}
                )
        operations.extend(self._stage_appends())
        fsync_directory(self._staging)
        journal = {"txid": self.txid, "operations": operations}
        atomic_write_bytes(self.root / JOURNAL_NAME, orjson.dumps(journal))
        # The journal is on disk: from here on the transaction has happened.
        _apply_journal(self.root, journal)
        # Removing the journal needs no fsync: if the removal is lost in a crash, recovery
        # replays a journal whose renames are all done already, which changes nothing.
        (self.root / JOURNAL_NAME).unlink()
        self.committed = True
        shutil.rmtree(self._staging, ignore_errors=True)

    def _stage_appends(self) -> list[dict[str, Any]]:
        """Journal operations for the appends, their bytes staged and synced."""
        operations: list[dict[str, Any]] = []
        for rel, data in self._appends.items():
            target = self.root / rel
            offset = target.stat().st_size if target.exists() else 0
            if offset and _last_byte(target) != b"\n":
                # A line cut short by something outside tom-tui stays a line of its own.
                data = bytearray(b"\n") + data
            staged = self._new_staged_path(rel)
            with open(staged, "wb") as handle:
                handle.write(data)
                os.fdatasync(handle.fileno())
            staged_rel = staged.relative_to(self.root).as_posix()
            operations.append({"path": rel, "action": "append", "staged": staged_rel, "offset": offset})
        return operations

    def abandon(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)
