"""The store directory: locking, transactions, and the target repository."""

from tom_tui.store.store import Store, resolve_store_path
from tom_tui.store.transaction import StoreView, Transaction

__all__ = ["Store", "StoreView", "Transaction", "resolve_store_path"]
