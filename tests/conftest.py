"""Fixtures shared by every test: a fresh store, and the switch for tests that need the internet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tom_tui.store.store import Store

os.environ.setdefault("TZ", "UTC")
DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--online", action="store_true", help="Also run tests that reach the internet.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--online"):
        return
    skip = pytest.mark.skip(reason="needs the internet; run with --online")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    yield Store.init(tmp_path / "store")


@pytest.fixture
def store_path(store: Store) -> Path:
    return store.root
