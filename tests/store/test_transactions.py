"""The store's write path: all-or-nothing commits, recovery after a crash, consistent reads."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from tom_tui.domain.errors import StoreError
from tom_tui.store.store import MANIFEST_NAME, SCHEMA_VERSION, Store
from tom_tui.store.transaction import JOURNAL_NAME, STAGING_DIR, Transaction, recover


def test_init_is_idempotent_and_refuses_foreign_directories(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "s")
    with store.transaction() as tx:
        tx.write_json("db/notes.json", {"a": 1})
    again = Store.init(tmp_path / "s")
    with again.read() as view:
        assert view.read_json("db/notes.json") == {"a": 1}
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "thesis.tex").write_text("keep me")
    with pytest.raises(StoreError, match="not a tom-tui store"):
        Store.init(tmp_path / "other")
    assert (tmp_path / "other" / "thesis.tex").read_text() == "keep me"


def test_open_refuses_missing_and_newer_stores(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="tom-tui init"):
        Store.open(tmp_path / "nothing")
    store = Store.init(tmp_path / "s")
    manifest = orjson.loads((store.root / MANIFEST_NAME).read_bytes())
    manifest["schema_version"] = SCHEMA_VERSION + 1
    (store.root / MANIFEST_NAME).write_bytes(orjson.dumps(manifest))
    with pytest.raises(StoreError, match="newer"):
        Store.open(store.root)


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with store.transaction() as tx:
        tx.write_json("db/a.json", {"v": 1})
    generation = store.generation()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.write_json("db/a.json", {"v": 2})
        tx.write_parquet("photometry/x.parquet", pa.table({"mag": [1.0]}))
        raise RuntimeError("boom")
    with store.read() as view:
        assert view.read_json("db/a.json") == {"v": 1}
        assert not view.exists("photometry/x.parquet")
    assert store.generation() == generation
    assert not any((store.root / STAGING_DIR).glob("*"))


def test_transaction_sees_its_own_writes_and_others_do_not(store: Store) -> None:
    with store.transaction() as tx:
        tx.write_parquet("photometry/p.parquet", pa.table({"mag": [18.0, 18.5]}))
        staged = tx.read_parquet("photometry/p.parquet")
        assert staged is not None and staged.num_rows == 2
        assert not (store.root / "photometry/p.parquet").exists()
        assert tx.list_dir("photometry") == ["photometry/p.parquet"]
    assert (store.root / "photometry/p.parquet").exists()


def test_paths_cannot_escape_the_store(store: Store) -> None:
    with pytest.raises(ValueError, match="inside the store"), store.transaction() as tx:
        tx.write_bytes("../evil.txt", b"x")
    assert not (store.root.parent / "evil.txt").exists()


def test_recovery_finishes_a_commit_whose_journal_was_written(store: Store) -> None:
    # Stage two files and write the journal, as commit() does, then "crash" before applying it.
    tx = Transaction(store.root)
    tx.write_bytes("db/one.json", b'{"n": 1}')
    tx.write_bytes("db/two.json", b'{"n": 2}')
    operations = [
        {"path": rel, "action": "replace", "staged": path.relative_to(store.root).as_posix()}
        for rel, path in tx._staged_files.items()
        if isinstance(path, Path)
    ]
    (store.root / JOURNAL_NAME).write_bytes(orjson.dumps({"txid": tx.txid, "operations": operations}))
    # Half of it applied before the crash:
    first = operations[0]
    (store.root / first["staged"]).rename(store.root / first["path"])
    with store.read() as view:  # the next reader finishes the job
        assert view.read_json("db/one.json") == {"n": 1}
        assert view.read_json("db/two.json") == {"n": 2}
    assert not (store.root / JOURNAL_NAME).exists()


def test_recovery_discards_staging_that_never_reached_a_journal(store: Store) -> None:
    tx = Transaction(store.root)
    tx.write_bytes("db/ghost.json", b"{}")
    assert recover(store.root) is True
    assert not (store.root / "db/ghost.json").exists()
    assert not any((store.root / STAGING_DIR).iterdir())


def test_counters_never_reuse_ids(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.next_id("target") == 1
        assert list(tx.reserve_ids("target", 3)) == [2, 3, 4]
    with store.transaction() as tx:
        assert tx.next_id("target") == 5


def test_readers_never_see_a_torn_file(store: Store) -> None:
    stop = threading.Event()
    errors: list[Exception] = []

    def read_loop() -> None:
        while not stop.is_set():
            try:
                with store.read() as view:
                    document = view.read_json("db/big.json")
                    if document is not None:
                        assert len(document["rows"]) == document["count"]
            except Exception as error:  # pragma: no cover - only on failure
                errors.append(error)
                return

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for count in range(1, 60):
            with store.transaction() as tx:
                tx.write_json("db/big.json", {"count": count * 100, "rows": list(range(count * 100))})
    finally:
        stop.set()
        reader.join()
    assert errors == []


def test_an_older_store_is_migrated_in_one_step_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tom_tui.store.store as store_module

    store = Store.init(tmp_path / "s")
    with store.transaction() as tx:
        tx.write_json("db/notes.json", {"colour": "red"})

    def rename_colour(tx: Transaction) -> None:
        notes = tx.read_json("db/notes.json")
        tx.write_json("db/notes.json", {"color": notes["colour"]})

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, SCHEMA_VERSION, rename_colour)
    migrated = Store.open(store.root)
    assert migrated.manifest()["schema_version"] == SCHEMA_VERSION + 1
    with migrated.read() as view:
        assert view.read_json("db/notes.json") == {"color": "red"}
