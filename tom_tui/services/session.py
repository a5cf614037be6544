"""Opening a store: the handle the CLI, the TUI and cron jobs hold for one store directory.

The CLI and the screens import the handle from here, not from the store package, so that the
store stays an implementation detail behind the services.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tom_tui.domain.errors import ValidationError
from tom_tui.services.config import config_problems
from tom_tui.store.store import Store, resolve_store_path

__all__ = [
    "Store",
    "init_store",
    "open_store",
    "resolve_store_path",
    "store_label",
    "tui_keymap",
    "user_config_path",
]

USER_CONFIG_NAME = "tom-tui.toml"


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


def user_config_path() -> Path:
    """The per-user settings file (``$XDG_CONFIG_HOME/tom-tui/tom-tui.toml``, usually
    ``~/.config/tom-tui/tom-tui.toml``): key remaps that follow a person from store to store."""
    from platformdirs import user_config_path as config_folder

    return config_folder("tom-tui") / USER_CONFIG_NAME


def _user_keys() -> dict[str, str]:
    import tomllib

    path = user_config_path()
    try:
        settings = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValidationError(f"{path}: {error}") from None
    unknown = sorted(set(settings) - {"tui"}) or sorted(set(settings.get("tui", {})) - {"keys"})
    if unknown:
        raise ValidationError(
            f'{path}: only [tui.keys] belongs here (found {unknown[0]!r}); e.g. "targets.add" = "insert"'
        )
    keys = settings.get("tui", {}).get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ValidationError(
            f'{path}: [tui.keys] holds binding id = "key" pairs, e.g. "targets.add" = "insert"'
        )
    return {str(k): v for k, v in keys.items()}


def tui_keymap(store: Store) -> tuple[dict[str, str], str | None]:
    """Remapped TUI keys by binding id: the store's ``[tui.keys]`` (shared by everyone using the
    store), then the user's own file on top (a person's habits win over a group's defaults); and
    what is wrong with the user's file, if anything (then the store's keys alone apply)."""
    shared = {str(k): str(v) for k, v in store.config.get("tui", {}).get("keys", {}).items()}
    try:
        return {**shared, **_user_keys()}, None
    except ValidationError as error:
        return shared, str(error)
