"""`tom-tui store compact`: appended target changes folded into the plain files, nothing lost."""

from __future__ import annotations

import json

import pyarrow.feather as feather
import pytest
from click.testing import CliRunner

from tom_tui.cli.main import cli
from tom_tui.store import targets
from tom_tui.store.store import Store
from tom_tui.store.target_index import DELTA_PATH, INDEX_PATH


def test_compact_folds_the_delta_and_logs_into_the_plain_files(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets, "DELTA_FROM_ROWS", 0)
    monkeypatch.setattr(targets, "LOG_FROM_BYTES", 0)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--store", str(store.root), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    run("target", "add", "SN 2026abc", "--ra", "150.1", "--dec", "25.3")
    run("target", "add", "SN 2026abd", "--ra", "150.2", "--dec", "25.3", "--tag", "hot")
    assert (store.root / DELTA_PATH).exists()
    assert set(feather.read_table(store.root / INDEX_PATH).column("name").to_pylist()) == {"SN 2026abc"}
    assert run("store", "compact").startswith("Compacted")
    assert not (store.root / DELTA_PATH).exists()
    assert not list((store.root / "db" / "targets").glob("*.log.jsonl"))
    plain = feather.read_table(store.root / INDEX_PATH)
    assert set(plain.column("name").to_pylist()) == {"SN 2026abc", "SN 2026abd"}
    shards = [
        json.loads(path.read_text())["targets"] for path in (store.root / "db" / "targets").glob("*.json")
    ]
    assert sorted(doc["name"] for shard in shards for doc in shard.values()) == ["SN 2026abc", "SN 2026abd"]
    assert run("store", "compact").strip() == "Nothing to compact"
    listed = json.loads(run("target", "list", "--json"))
    names = [row["name"] for row in (listed["targets"] if isinstance(listed, dict) else listed)]
    assert sorted(names) == ["SN 2026abc", "SN 2026abd"]
