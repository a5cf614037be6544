"""Alerts merging into stored targets write only the changed documents: the shard files and the
index base stay as they were, and every reader sees the merge."""

from __future__ import annotations

import pytest

from tests.support.paths import ALERTS
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store import targets
from tom_tui.store.store import Store
from tom_tui.store.target_index import INDEX_PATH
from tom_tui.store.targets import TargetRepository

PACKET = ALERTS / "fink_ZTF19acihgng.avro"


def test_a_merge_appends_the_changed_document_instead_of_rewriting_its_shard(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets, "LOG_FROM_BYTES", 0)
    monkeypatch.setattr(targets, "DELTA_FROM_ROWS", 0)
    [packet] = read_alerts([PACKET]).packets
    service = TargetService(store)
    for number in range(20):
        service.add({"name": f"Field {number}", "ra": str(10 + number), "dec": "-20"})
    known = service.add({"name": "SN 2019xyz", "ra": str(packet.ra + 0.2 / 3600), "dec": str(packet.dec)})
    service.compact()
    shard_files = sorted((store.root / "db" / "targets").glob("*.json"))
    before = {path.name: path.read_bytes() for path in shard_files}
    index_before = (store.root / INDEX_PATH).read_bytes()

    report = ingest_alert_files(store, [PACKET])

    assert report.updated == 1 and report.created == 0
    assert {path.name: path.read_bytes() for path in shard_files} == before
    assert (store.root / INDEX_PATH).read_bytes() == index_before
    assert list((store.root / "db" / "targets").glob("*.log.jsonl"))
    with store.read() as view:
        repo = TargetRepository(view)
        merged = repo.find("ZTF19acihgng")
        assert merged is not None and merged.id == known.target.id and merged.name == "SN 2019xyz"
        assert [t.name for t in repo.get_many([int(known.target.id or 0)])] == ["SN 2019xyz"]
        assert "ZTF19acihgng" in next(t for t in repo.all() if t.name == "SN 2019xyz").aliases
    rows = service.query(TargetFilter(cone=(packet.ra, packet.dec, 2.0)))
    assert rows.column("name").to_pylist() == ["SN 2019xyz"]
    assert "ZTF19acihgng" in rows.column("aliases").to_pylist()[0]
