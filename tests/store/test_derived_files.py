"""Losing `state/counters.json` or `index/targets.arrow` never reuses ids, hides targets or lets
a duplicate name in: both are derived again from the records."""

from __future__ import annotations

import pytest

from tests.support.paths import PHOTOMETRY
from tom_tui.domain.errors import DuplicateError
from tom_tui.services.data import products as data_service
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store.store import Store
from tom_tui.store.target_index import INDEX_PATH
from tom_tui.store.transaction import COUNTERS_FILE

ATLAS = PHOTOMETRY / "tom_base_test_atlas_fp.csv"
TOM_SAMPLE = PHOTOMETRY / "tom_base_photometry_sample.csv"


def test_a_lost_counters_file_never_reuses_upload_product_or_target_ids(store: Store) -> None:
    targets = TargetService(store)
    targets.add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0"})
    targets.add({"name": "SN 2026abd", "ra": "160.0", "dec": "3.0"})
    first = data_service.upload_data_product(store, "SN 2026abc", ATLAS, "photometry")
    (store.root / COUNTERS_FILE).unlink()

    second = data_service.upload_data_product(store, "SN 2026abd", TOM_SAMPLE, "photometry")
    third = targets.add({"name": "SN 2026abe", "ra": "170.0", "dec": "4.0"}).target

    assert first.ingest is not None and second.ingest is not None
    assert second.ingest.upload_id > first.ingest.upload_id
    assert second.product.id > first.product.id
    assert third.id == 3
    # Undoing the second upload leaves the first one's points where they were.
    before = data_service.photometry_of(store, "SN 2026abc")[1].num_rows
    data_service.undo_photometry_upload(store, second.ingest.upload_id)
    assert data_service.photometry_of(store, "SN 2026abc")[1].num_rows == before > 0


def test_a_counters_file_restored_from_an_old_backup_is_corrected(store: Store) -> None:
    targets = TargetService(store)
    targets.add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0"})
    old_counters = (store.root / COUNTERS_FILE).read_bytes()
    targets.add({"name": "SN 2026abd", "ra": "160.0", "dec": "3.0"})
    (store.root / COUNTERS_FILE).write_bytes(old_counters)
    added = targets.add({"name": "SN 2026abe", "ra": "170.0", "dec": "4.0"}).target
    assert added.id == 3
    assert targets.get("SN 2026abd").id == 2


def test_a_lost_target_index_is_rebuilt_and_still_refuses_duplicate_names(store: Store) -> None:
    targets = TargetService(store)
    targets.add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0", "aliases": ["ZTF26aaaaaaa"]})
    targets.add({"name": "AT 2026xyz", "ra": "20.0", "dec": "-30.0", "tags": ["nova"]})
    (store.root / INDEX_PATH).unlink()

    listed = targets.query(TargetFilter())
    assert sorted(listed.column("name").to_pylist()) == ["AT 2026xyz", "SN 2026abc"]
    assert (store.root / INDEX_PATH).exists()  # written again for the next reader
    with pytest.raises(DuplicateError, match="ZTF26aaaaaaa"):
        targets.add({"name": "ZTF26aaaaaaa", "ra": "300.0", "dec": "10.0"})


def test_a_damaged_target_index_is_rebuilt_on_write(store: Store) -> None:
    targets = TargetService(store)
    targets.add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0"})
    (store.root / INDEX_PATH).write_bytes(b"ARROW1\x00\x00truncated")
    with pytest.raises(DuplicateError):
        targets.add({"name": "sn2026abc", "ra": "10.0", "dec": "10.0"})
    targets.add({"name": "SN 2026new", "ra": "10.0", "dec": "10.0"})
    assert sorted(targets.query(TargetFilter()).column("name").to_pylist()) == ["SN 2026abc", "SN 2026new"]


def test_losing_both_the_index_and_the_counters_reuses_no_target_id(store: Store) -> None:
    targets = TargetService(store)
    for number in range(3):
        targets.add({"name": f"SN 2026a{number}", "ra": str(10 * number), "dec": "0"})
    targets.delete("SN 2026a1")
    (store.root / INDEX_PATH).unlink()
    (store.root / COUNTERS_FILE).unlink()
    added = targets.add({"name": "SN 2026new", "ra": "100", "dec": "50"}).target
    assert added.id == 4 and targets.get("SN 2026a2").id == 3
