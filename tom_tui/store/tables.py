"""The store's records as Arrow tables, for readers that ask questions across kinds (``tom-tui sql``).

Parquet data (photometry, the frame archive's night indexes) is read where it lies, through the
file patterns below; the JSON documents (observations, data products, spectra, uploads, job runs)
become one flat table per kind: scalar fields as they are, nested values (lists, tables) as JSON
text, so a reader never meets a column whose type changes from row to row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import pyarrow as pa

from tom_tui.store import dataproducts, frames, jobs, observations, photometry, spectra
from tom_tui.store.target_index import INDEX_SCHEMA
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView

# Every current measurement (compacted and per-upload files alike; replaced rows live elsewhere).
PHOTOMETRY_FILES = f"{photometry.ROOT}/*/*.parquet"
# One Parquet index per telescope and night of the raw-frame archive.
FRAME_INDEX_FILES = f"{frames.FRAMES_FOLDER}/*/*.parquet"
PHOTOMETRY_SUMMARY_FILE = photometry.SUMMARY_PATH

# The index's own lookup column (simplified names) is an implementation detail, not a field.
TARGET_COLUMNS = tuple(name for name in INDEX_SCHEMA.names if name != "keys")


def targets_table(view: StoreView) -> pa.Table:
    """One row per target: the index's columns (id, name, type, ra, dec, aliases, tags, lists...)."""
    table = TargetRepository(view).index.table
    return table.select(list(TARGET_COLUMNS))


def target_extras_table(view: StoreView) -> pa.Table:
    """One row per extra field of a target: target_id, key, value (as text) and its JSON type."""
    target_ids: list[int] = []
    keys: list[str] = []
    values: list[str | None] = []
    kinds: list[str] = []
    for target in TargetRepository(view).all():
        for key, value in (target.extra or {}).items():
            target_ids.append(int(target.id or 0))
            keys.append(str(key))
            values.append(None if value is None else value if isinstance(value, str) else _json(value))
            kinds.append(_kind(value))
    return pa.table(
        {
            "target_id": pa.array(target_ids, pa.int64()),
            "key": pa.array(keys, pa.string()),
            "value": pa.array(values, pa.string()),
            "value_type": pa.array(kinds, pa.string()),
        }
    )


def observations_table(view: StoreView) -> pa.Table:
    records = observations.ObservationRepository(view).all()
    return documents_table({"id": record.id, **record.to_json()} for record in records)


def data_products_table(view: StoreView) -> pa.Table:
    products = dataproducts.DataProductRepository(view).all()
    return documents_table({"id": product.id, **product.to_json()} for product in products)


def photometry_uploads_table(view: StoreView) -> pa.Table:
    uploads = dataproducts.DataProductRepository(view).uploads()
    return documents_table({"id": upload.id, **upload.to_json()} for upload in uploads)


def spectra_table(view: StoreView) -> pa.Table:
    records = spectra.SpectrumRepository(view).all()
    return documents_table({"id": record.id, **record.to_json()} for record in records)


def job_runs_table(view: StoreView) -> pa.Table:
    return documents_table(vars(run) for run in jobs.all_runs(view))


def documents_table(documents: Iterable[Mapping[str, Any]]) -> pa.Table:
    """A flat table of JSON documents: the union of their fields, nested values as JSON text."""
    rows = [dict(document) for document in documents]
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {name: _column([row.get(name) for row in rows]) for name in names}
    return pa.table(columns) if columns else pa.table({"id": pa.array([], pa.int64())})


def _column(values: list[Any]) -> pa.Array:
    kinds = {_kind(value) for value in values if value is not None}
    if kinds <= {"integer"}:
        return pa.array(values, pa.int64())
    if kinds <= {"integer", "number"}:
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if kinds == {"boolean"}:
        return pa.array(values, pa.bool_())
    return pa.array(
        [None if v is None else v if isinstance(v, str) else _json(v) for v in values], pa.string()
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "json"


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()
