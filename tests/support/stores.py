"""The stores tests start from. A folder's conftest.py (or a test module) binds one to the name
``store``; fixtures such as ``run`` then work on whichever store that is."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

OBSERVATIONS_START = "2026-11-22T12:00:00+00:00"


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    yield Store.init(tmp_path / "store")


@pytest.fixture
def photometry_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Three real transients (one with an alias), the clock pinned to 2024-02-01."""
    monkeypatch.setenv("TOM_TUI_NOW", "2024-02-01T00:00:00")
    store = Store.init(tmp_path / "store")
    service = TargetService(store)
    service.add({"name": "SN 2024abc", "ra": 65.00165, "dec": -54.93795, "aliases": ["ATLAS24xyz"]})
    service.add({"name": "ZTF21aaqjmps", "ra": 10.0, "dec": 20.0})
    service.add({"name": "AT2017gfo", "ra": 197.450375, "dec": -23.381486})
    yield store


@pytest.fixture
def observation_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """An empty store, the clock pinned to a November night, and no LCO token from the environment."""
    monkeypatch.setenv("TOM_TUI_NOW", OBSERVATIONS_START)
    for variable in ("TOM_TUI_LCO_TOKEN", "LCO_API_TOKEN", "TOM_TUI_STORE"):
        monkeypatch.delenv(variable, raising=False)
    return Store.init(tmp_path / "store")


def snapshot(store: Store) -> dict[str, str]:
    """Every file of the store (except the lock) with a hash of its content."""
    files: dict[str, str] = {}
    for path in sorted(store.root.rglob("*")):
        if path.is_file() and path.name != ".lock":
            files[path.relative_to(store.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files
