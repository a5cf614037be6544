"""Reading many target documents a shard at a time, as plain dicts."""

from __future__ import annotations

import pytest

from tom_tui.domain.target import Target
from tom_tui.store import targets as targets_store
from tom_tui.store.store import Store
from tom_tui.store.targets import SHARD_COUNT, TargetRepository


def test_records_come_a_shard_at_a_time_with_what_is_stored(store: Store) -> None:
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        repo.insert_many([Target(name=f"T{n}", ra=n * 0.5, dec=0.0, tags=[f"t{n}"]) for n in range(600)])
        repo.flush()
    wanted = [5, 600, 1, 5 + SHARD_COUNT, 999_999, 5 + 2 * SHARD_COUNT, 257]
    with store.read() as view:
        repo = TargetRepository(view)
        batches = list(repo.iter_records(wanted))
        stored = {target_id: repo.get(target_id).to_document() for target_id in wanted if target_id <= 600}
    assert [[target_id for target_id, _ in batch] for batch in batches] == [
        [1, 257],  # shard 01, in the order asked
        [5, 5 + SHARD_COUNT, 5 + 2 * SHARD_COUNT],
        [],  # shard 3f: no target 999999
        [600],  # shard 58
    ]
    assert {target_id: document for batch in batches for target_id, document in batch} == stored


def test_a_transaction_reads_its_own_changes(store: Store) -> None:
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        [target] = repo.insert_many([Target(name="new", ra=1.0, dec=2.0)])
        assert target.id is not None
        [[(target_id, document)]] = list(repo.iter_records([target.id]))
        assert target_id == target.id and document["name"] == "new"
        repo.flush()


def test_no_ids_read_nothing(store: Store) -> None:
    with store.read() as view:
        assert list(TargetRepository(view).iter_records([])) == []


def test_changes_kept_in_a_shard_log_are_read(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        [target, other] = repo.insert_many(
            [Target(name="logged", ra=1.0, dec=1.0), Target(name="gone", ra=2.0, dec=2.0)]
        )
        repo.flush()
    monkeypatch.setattr(targets_store, "LOG_FROM_BYTES", 0)  # every change goes to the shard's log
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        target.tags = ["changed"]
        repo.replace_many([target])
        assert target.id is not None and other.id is not None
        repo.delete_many([other.id])
        repo.flush()
    assert list((store.root / "db" / "targets").glob("*.log.jsonl"))
    with store.read() as view:
        found = [
            pair for batch in TargetRepository(view).iter_records([target.id, other.id]) for pair in batch
        ]
    assert [(target_id, document["tags"]) for target_id, document in found] == [(target.id, ["changed"])]
