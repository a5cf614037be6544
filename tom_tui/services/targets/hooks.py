"""Other kinds of data (photometry, data products, observations...) that hang off a target.

When targets merge or are deleted, the target service tells every registered holder of
per-target data, inside the same transaction, so that nothing is orphaned or lost. Holders are
found through the ``tom_tui.target_data`` entry point group; each entry point names a class with
a no-argument constructor implementing :class:`TargetDataHolder`.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from tom_tui.store.transaction import Transaction

ENTRY_POINT_GROUP = "tom_tui.target_data"


@runtime_checkable
class TargetDataHolder(Protocol):
    """Keeps data keyed by target id."""

    def reassign_target(self, tx: Transaction, from_id: int, to_id: int) -> None:
        """Move everything of target ``from_id`` to ``to_id`` (``from_id`` is about to be removed)."""

    def delete_target(self, tx: Transaction, target_id: int) -> None:
        """Remove everything of a target that is being deleted."""


@cache
def target_data_holders() -> tuple[TargetDataHolder, ...]:
    holders: list[TargetDataHolder] = []
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        holder_class = entry_point.load()
        holders.append(holder_class())
    return tuple(holders)
