"""Reference catalogs fetched from a service, kept so a field is asked for once.

``catalogs/<service>/<key>.parquet``: one table per sky cell and radius, as the service answered
(plus what the query was, in the file's metadata). Written through the transaction like every
other file, so a killed process leaves no half-written table.
"""

from __future__ import annotations

import pyarrow as pa

from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.store.transaction import StoreView, Transaction

CATALOGS_FOLDER = "catalogs"


def cached_catalog_path(service: str, key: str) -> str:
    """Where the store keeps a service's catalog of one field, relative to its root."""
    return f"{CATALOGS_FOLDER}/{safe_file_name(service)}/{safe_file_name(key)}.parquet"


def read_cached_catalog(view: StoreView, service: str, key: str) -> pa.Table | None:
    """The cached table, or None when the field was never fetched."""
    return view.read_parquet(cached_catalog_path(service, key))


def write_cached_catalog(tx: Transaction, service: str, key: str, table: pa.Table) -> None:
    tx.write_parquet(cached_catalog_path(service, key), table)
