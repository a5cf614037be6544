"""A crafted or damaged `.journal.json` never makes tom-tui touch anything outside the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tom_tui.domain.errors import StoreError
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store.store import Store
from tom_tui.store.transaction import JOURNAL_NAME


def _outside_files(tmp_path: Path) -> tuple[Path, Path]:
    victim = tmp_path / "outside" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("keep me")
    planted = tmp_path / "outside" / "planted.txt"
    planted.write_text("attacker's content")
    return victim, planted


def _hostile_operations(store: Store, victim: Path, planted: Path) -> list[list[dict[str, Any]]]:
    escape = Path("..") / ".." / victim.relative_to(store.root.parent.parent)
    (store.root / "raw" / "escape").symlink_to(victim.parent, target_is_directory=True)
    return [
        [{"path": str(escape), "action": "delete"}],
        [{"path": str(victim), "action": "delete"}],
        [{"path": "raw/escape/precious.txt", "action": "delete"}],
        [{"path": "raw/escape", "action": "delete"}, {"path": "raw/escape/precious.txt", "action": "delete"}],
        [{"path": "db/x.json", "action": "replace", "staged": str(planted)}],
        [{"path": str(escape), "action": "replace", "staged": ".staging/t/000001-x"}],
        [{"path": "raw/escape/precious.txt", "action": "replace", "staged": ".staging/t/000001-x"}],
    ]


def test_a_journal_naming_paths_outside_the_store_is_refused_and_nothing_is_touched(
    store: Store, tmp_path: Path
) -> None:
    TargetService(store).add({"name": "SN 2026abc", "ra": "10", "dec": "20"})
    victim, planted = _outside_files(tmp_path)
    staged = store.root / ".staging" / "t" / "000001-x"
    staged.parent.mkdir(parents=True)
    staged.write_text("overwrite")
    for operations in _hostile_operations(store, victim, planted):
        journal = store.root / JOURNAL_NAME
        journal.write_bytes(orjson.dumps({"txid": "t", "operations": operations}))
        with pytest.raises(
            StoreError, match=r"\.journal\.json: damaged journal.*not a path inside the store"
        ):
            TargetService(store).query(TargetFilter())
        assert victim.read_text() == "keep me", operations
        assert planted.exists() and staged.exists()
        assert journal.exists()  # left for a person to look at
    assert (store.root / "raw" / "escape").is_symlink()


def test_a_truncated_journal_is_one_clear_error(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "SN 2026abc", "ra": "10", "dec": "20"})
    (store.root / JOURNAL_NAME).write_bytes(b'{"txid": "abc", "operations": [{"path": "db/')
    with pytest.raises(
        StoreError, match=r"\.journal\.json: damaged journal .*not valid JSON.*nothing was changed"
    ):
        service.get("SN 2026abc")
