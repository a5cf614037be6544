"""Target names for shell completion: the names and aliases that start with what was typed."""

from __future__ import annotations

import pyarrow.compute as pc

from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

MOST_NAMES = 50  # a shell shows a screenful; more is noise


def names_starting_with(store: Store, typed: str, limit: int = MOST_NAMES) -> list[str]:
    """Names (then aliases) beginning with ``typed``, ignoring case, in alphabetical order."""
    with store.read() as view:
        table = TargetRepository(view).index.table
    lowered = typed.lower()
    found: list[str] = []
    for column in ("name", "aliases"):
        values = table.column(column)
        if column == "aliases":
            values = pc.list_flatten(values)
        mask = pc.starts_with(pc.utf8_lower(values), lowered)
        found.extend(str(name) for name in values.filter(mask).to_pylist() if name)
    unique = sorted(set(found), key=str.lower)
    return unique[:limit]
