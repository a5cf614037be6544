"""A full disk or a store that cannot be written: one clear error, the store as it was, and
reads still working on a read-only store."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import PHOTOMETRY
from tests.support.stores import snapshot
from tom_tui.domain.errors import StoreError
from tom_tui.services.data import products as data_service
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store.store import Store

ATLAS = PHOTOMETRY / "tom_base_test_atlas_fp.csv"


def _make_read_only(root: Path) -> None:
    if os.geteuid() == 0:
        # Permissions do not stop root; the immutable attribute does.
        subprocess.run(["chattr", "-R", "+i", str(root)], check=True, capture_output=True)
    else:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)


def _make_writable(root: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-R", "-i", str(root)], check=False, capture_output=True)
    else:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)


@pytest.fixture
def read_only_store(store: Store) -> Iterator[Store]:
    service = TargetService(store)
    service.add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0", "tags": ["sn"]})
    data_service.upload_data_product(store, "SN 2026abc", ATLAS, "photometry")
    if os.geteuid() == 0 and shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a store read-only")
    try:
        _make_read_only(store.root)
    except subprocess.CalledProcessError:
        pytest.skip("this file system does not support the immutable attribute")
    try:
        yield Store.open(store.root)
    finally:
        _make_writable(store.root)


def test_reads_work_on_a_read_only_store(read_only_store: Store) -> None:
    service = TargetService(read_only_store)
    assert service.query(TargetFilter()).column("name").to_pylist() == ["SN 2026abc"]
    assert service.get("SN 2026abc").tags == ["sn"]
    assert data_service.photometry_of(read_only_store, "SN 2026abc")[1].num_rows > 0


def test_writes_to_a_read_only_store_are_one_clear_error(read_only_store: Store) -> None:
    before = snapshot(read_only_store)
    with pytest.raises(StoreError, match=r"store.*read-only.*changes need write access"):
        TargetService(read_only_store).add({"name": "SN 2026new", "ra": "1", "dec": "2"})
    assert snapshot(read_only_store) == before


def test_a_full_disk_is_one_clear_error_and_changes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    TargetService(store).add({"name": "SN 2026abc", "ra": "150.0", "dec": "2.0"})
    before = snapshot(store)

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # The disk fills while the upload's files are flushed to it, before the commit point.
    monkeypatch.setattr(os, "fdatasync", disk_full)
    with pytest.raises(
        StoreError, match=r"the disk is full \(No space left on device\); nothing was changed"
    ):
        data_service.upload_data_product(store, "SN 2026abc", ATLAS, "photometry")
    monkeypatch.undo()
    assert snapshot(store) == before
    assert not list((store.root / ".staging").glob("*"))
