"""The target index as the target list shows it: one row per target, sortable and filterable."""

from __future__ import annotations

from tom_tui.services.targets.operations import TargetFilter, filter_index
from tom_tui.store.target_index import TargetIndex

__all__ = ["TargetIndex", "sorted_index"]


def sorted_index(index: TargetIndex, sort: str, descending: bool) -> TargetIndex:
    """``index`` sorted by ``sort`` (a column name), kept as an index so it can be filtered again."""
    return TargetIndex(filter_index(index, TargetFilter(sort=sort, descending=descending)))
