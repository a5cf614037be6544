from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

DATA = Path(__file__).resolve().parent.parent / "data"
PHOTOMETRY = DATA / "photometry"
SPECTRA = DATA / "spectra"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TOM_TUI_NOW", "2024-02-01T00:00:00")
    store = Store.init(tmp_path / "store")
    service = TargetService(store)
    service.add({"name": "SN 2024abc", "ra": 65.00165, "dec": -54.93795, "aliases": ["ATLAS24xyz"]})
    service.add({"name": "ZTF21aaqjmps", "ra": 10.0, "dec": 20.0})
    service.add({"name": "AT2017gfo", "ra": 197.450375, "dec": -23.381486})
    yield store


def snapshot(store: Store) -> dict[str, str]:
    """Every file of the store (except the lock) with a hash of its content."""
    files: dict[str, str] = {}
    for path in sorted(store.root.rglob("*")):
        if path.is_file() and path.name != ".lock":
            files[path.relative_to(store.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files
