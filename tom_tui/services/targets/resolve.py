"""Resolve a name in catalogs (SIMBAD, NED, TNS, MPC, JPL Horizons) and optionally add the target.

Catalogs are tried in the order of ``[catalogs] order`` in ``tom-tui.toml`` (default
:data:`~tom_tui.adapters.catalogs.DEFAULT_ORDER`) until one knows the name. All remote work happens
before the store is locked; adding goes through duplicate protection (merging into a known target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tom_tui.adapters.catalogs import DEFAULT_ORDER
from tom_tui.domain.errors import AdapterError, NotFoundError
from tom_tui.domain.target import build_target
from tom_tui.services.plugins import CATALOGS, make_catalog, plugin_names
from tom_tui.services.targets.operations import OnDuplicate, TargetService
from tom_tui.store.store import Store


@dataclass
class ResolveOutcome:
    name: str
    catalog: str
    fields: dict[str, Any]
    action: str = "previewed"  # previewed, created or merged
    target_id: int | None = None
    tried: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "catalog": self.catalog,
            "fields": self.fields,
            "action": self.action,
            "target_id": self.target_id,
            "tried": self.tried,
        }


class CatalogService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def order(self) -> list[str]:
        configured = (self.store.config.get("catalogs") or {}).get("order")
        names = list(configured) if isinstance(configured, list) else list(DEFAULT_ORDER)
        installed = set(plugin_names(CATALOGS))
        return [name for name in names if name in installed]

    def resolve(self, name: str, catalog: str | None = None, add: bool = False) -> ResolveOutcome:
        names = [catalog] if catalog else self.order()
        failures: list[str] = []
        tried: list[str] = []
        for catalog_name in names:
            adapter = make_catalog(catalog_name, self.store.config, self.store.root)
            tried.append(catalog_name)
            try:
                fields = adapter.lookup(name)
            except AdapterError as error:
                failures.append(f"{adapter.label}: {error}")
                continue
            if fields is None:
                continue
            build_target(fields)  # validate before showing or adding
            outcome = ResolveOutcome(name, catalog_name, fields, tried=tried)
            if add:
                added = TargetService(self.store).add(dict(fields), OnDuplicate.MERGE)
                outcome.action, outcome.target_id = added.action, added.target.id
            return outcome
        if failures and len(failures) == len(tried):
            raise AdapterError(f"{name!r}: no catalog could be asked; " + "; ".join(failures))
        note = f" ({'; '.join(failures)})" if failures else ""
        raise NotFoundError(f"{name!r} is not known to {', '.join(tried)}{note}")
