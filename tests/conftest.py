"""Fixtures shared by every test: a fresh store, and the switch for tests that need the internet.

A folder whose tests start from another store binds that one to ``store`` in its own conftest.py
(the set-ups live in tests/support/stores.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import stores
from tom_tui.store.store import Store

os.environ.setdefault("TZ", "UTC")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--online", action="store_true", help="Also run tests that reach the internet.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--online"):
        return
    skip = pytest.mark.skip(reason="needs the internet; run with --online")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


store = stores.empty_store


@pytest.fixture
def store_path(store: Store) -> Path:
    return store.root
