"""Opening a store: the handle the CLI, the TUI and cron jobs hold for one store directory.

The CLI and the screens import the handle from here, not from the store package, so that the
store stays an implementation detail behind the services.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tom_tui.services.config import config_problems
from tom_tui.store.store import Store, resolve_store_path

__all__ = ["Store", "init_store", "open_store", "resolve_store_path", "store_label"]


def open_store(root: Path) -> Store:
    """The store at ``root``, its config checked whenever it is read; StoreError if it is missing
    or not a tom-tui store."""
    store = Store.open(root)
    return _checking_config(store)


def init_store(root: Path) -> Store:
    """Create a store at ``root``, or open the one already there (safe to repeat)."""
    return _checking_config(Store.init(root))


def _checking_config(store: Store) -> Store:
    """Check the config now, so that a typo is reported by the first command whatever it does,
    and again whenever the file changes."""
    store.config_check = functools.partial(config_problems, config_name=str(store.config_path))
    store.config  # noqa: B018 - reading it runs the check
    return store


def store_label(store: Store) -> str:
    """The store's directory as a person reads it: ``~/...`` under the home directory."""
    home = str(Path.home())
    root = str(store.root)
    return "~" + root[len(home) :] if root.startswith(home + os.sep) else root
