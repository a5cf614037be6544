"""The target index as the target list shows it: one row per target, sortable and filterable."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.services.targets.operations import TargetFilter, filter_index
from tom_tui.store.target_index import TargetIndex

__all__ = ["SUMMARY_SORTS", "TargetIndex", "sorted_index"]

# Orders that come from the photometry summary rather than from the index itself.
SUMMARY_SORTS = {"last_det_mag": "latest magnitude"}


def sorted_index(
    index: TargetIndex, sort: str, descending: bool, summary: pa.Table | None = None
) -> TargetIndex:
    """``index`` sorted by ``sort`` (a column name, or a photometry summary column such as the
    latest magnitude, targets without one last), kept as an index so it can be filtered again."""
    if sort in SUMMARY_SORTS and summary is not None:
        table = index.table
        found = pc.index_in(table.column("id"), summary.column("target_id"))
        values = pc.take(summary.column(sort), found)
        order = "descending" if descending else "ascending"
        indices = pc.sort_indices(pa.table({"k": values}), sort_keys=[("k", order)], null_placement="at_end")
        return TargetIndex(table.take(indices))
    return TargetIndex(filter_index(index, TargetFilter(sort=sort, descending=descending)))
