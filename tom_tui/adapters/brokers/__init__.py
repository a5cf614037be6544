"""Alert broker adapters, discovered through the ``tom_tui.brokers`` entry point group.

Built-in brokers register there exactly as a third-party package would (see ``pyproject.toml``).
A store overrides a broker's settings (base URL, ...) in ``tom-tui.toml``::

    [brokers.alerce]
    base_url = "https://api.alerce.online/ztf/v1"
    lsst_base_url = "https://api-lsst.alerce.online"
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from tom_tui.adapters.brokers.base import Broker, GenericAlert, QueryOption
from tom_tui.adapters.http import HttpClient
from tom_tui.domain.errors import NotFoundError

ENTRY_POINT_GROUP = "tom_tui.brokers"

__all__ = ["Broker", "GenericAlert", "QueryOption", "broker_class", "broker_names", "make_broker"]


@cache
def broker_names() -> tuple[str, ...]:
    """Names of the installed brokers, read from metadata without importing them."""
    return tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)))


def broker_class(name: str) -> type[Broker]:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name:
            loaded = entry_point.load()
            if not (isinstance(loaded, type) and issubclass(loaded, Broker)):
                raise TypeError(f"entry point {name!r} in {ENTRY_POINT_GROUP} is not a Broker subclass")
            return loaded
    raise NotFoundError(f"no broker named {name!r}; installed: {', '.join(broker_names()) or 'none'}")


def make_broker(
    name: str,
    config: Mapping[str, Any] | None = None,
    store_root: Path | None = None,
    client: HttpClient | None = None,
) -> Broker:
    """An instance of broker ``name`` configured from a store's ``[brokers.<name>]`` settings."""
    settings = dict(((config or {}).get("brokers") or {}).get(name) or {})
    return broker_class(name)(client=client, store_root=store_root, settings=settings)
