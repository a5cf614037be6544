"""Catalog adapters (name → target), discovered through the ``tom_tui.catalogs`` entry point group."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from tom_tui.adapters.catalogs.base import Catalog
from tom_tui.adapters.http import HttpClient
from tom_tui.domain.errors import NotFoundError

ENTRY_POINT_GROUP = "tom_tui.catalogs"
DEFAULT_ORDER = ("simbad", "ned", "tns", "mpc", "jpl_horizons")

__all__ = ["DEFAULT_ORDER", "Catalog", "catalog_names", "make_catalog"]


@cache
def catalog_names() -> tuple[str, ...]:
    return tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)))


def make_catalog(
    name: str,
    config: Mapping[str, Any] | None = None,
    store_root: Path | None = None,
    client: HttpClient | None = None,
) -> Catalog:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name:
            cls = entry_point.load()
            settings = dict(((config or {}).get("catalogs") or {}).get(name) or {})
            catalog: Catalog = cls(client=client, settings=settings, store_root=store_root)
            return catalog
    raise NotFoundError(f"no catalog named {name!r}; installed: {', '.join(catalog_names()) or 'none'}")
