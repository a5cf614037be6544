"""Flagged photometry points in the store: ``flags/photometry.parquet``, one row per flag.

The points themselves are never touched: a reader drops the stored rows a flag names (see
:mod:`tom_tui.processing.photometry.flags`). Kept apart from the photometry files, so that
compaction, undo and re-ingest, which rewrite those, cannot lose a flag.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.photometry_flags import FLAG_SCHEMA, empty_flags
from tom_tui.store.transaction import StoreView, Transaction

FLAGS_PATH = "flags/photometry.parquet"


def read_flags(view: StoreView, target_ids: Iterable[int] | None = None) -> pa.Table:
    """Every flag, or only those of ``target_ids``, sorted by target and MJD."""
    table = view.read_parquet(FLAGS_PATH)
    if table is None:
        return empty_flags()
    table = table.cast(FLAG_SCHEMA)
    if target_ids is not None:
        wanted = pa.array(sorted(set(target_ids)), type=pa.int64())
        table = table.filter(pc.is_in(table.column("target_id"), wanted))
    return table


def write_flags(tx: Transaction, table: pa.Table) -> None:
    """Make ``table`` (flag schema) the store's flags; no flags left removes the file."""
    if table.num_rows == 0:
        if tx.exists(FLAGS_PATH):
            tx.delete(FLAGS_PATH)
        return
    ordered = table.cast(FLAG_SCHEMA).sort_by([("target_id", "ascending"), ("mjd", "ascending")])
    tx.write_parquet(FLAGS_PATH, ordered, compression="zstd")


def drop_target_flags(tx: Transaction, target_id: int) -> None:
    """Forget the flags of a target whose points are deleted."""
    table = read_flags(tx)
    kept = table.filter(pc.not_equal(table.column("target_id"), target_id))
    if kept.num_rows != table.num_rows:
        write_flags(tx, kept)


def move_target_flags(tx: Transaction, from_id: int, to_id: int) -> None:
    """Give a target's flags to the target its points moved to (a merge)."""
    table = read_flags(tx)
    moving = pc.equal(table.column("target_id"), from_id)
    if pc.any(moving).as_py():
        ids = pc.if_else(moving, pa.scalar(to_id, pa.int64()), table.column("target_id"))
        write_flags(tx, table.set_column(0, "target_id", ids))
