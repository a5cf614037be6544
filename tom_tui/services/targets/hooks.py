"""Other kinds of data (photometry, data products, observations...) that hang off a target.

When targets merge or are deleted, the target service tells every registered holder of
per-target data, inside the same transaction, so that nothing is orphaned or lost. Holders are
found through the ``tom_tui.target_data`` plugin group (:mod:`tom_tui.services.plugins`); each
plugin is a class with a no-argument constructor implementing :class:`TargetDataHolder`.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol, runtime_checkable

from tom_tui.services import plugins
from tom_tui.store.transaction import Transaction


@runtime_checkable
class TargetDataHolder(Protocol):
    """Keeps data keyed by target id."""

    def reassign_target(self, tx: Transaction, from_id: int, to_id: int) -> None:
        """Move everything of target ``from_id`` to ``to_id`` (``from_id`` is about to be removed)."""

    def delete_target(self, tx: Transaction, target_id: int) -> None:
        """Remove everything of a target that is being deleted."""


@cache
def target_data_holders() -> tuple[TargetDataHolder, ...]:
    return tuple(holder_class() for holder_class in plugins.load_all(plugins.TARGET_DATA))
