"""Storing the photometry of many targets at once (alert batches), as one undoable upload.

:func:`tom_tui.services.photometry.engine.ingest_points` stores one target per call and refreshes the
summary table each time; an alert batch touches thousands of targets, so this does the same work
batched: one read of the touched targets' points, duplicate detection per target with the
photometry store's own policy, one write per touched bucket (or a small delta file per target when
a bucket is touched lightly), one summary refresh and one upload record.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.processing.photometry.dedup import DedupPolicy, find_duplicates
from tom_tui.processing.photometry.schema import MEASUREMENT_SCHEMA, STORED_SCHEMA
from tom_tui.store import photometry as photometry_store
from tom_tui.store.dataproducts import UPLOAD_COUNTER, DataProductRepository, PhotometryUpload
from tom_tui.store.transaction import Transaction


def to_stored(table: pa.Table, upload_id: int) -> pa.Table:
    """Alert photometry (with ``target_id``) in the store's schema, AB magnitudes."""
    count = table.num_rows
    columns = {}
    for field in STORED_SCHEMA:
        if field.name == "upload_id":
            columns[field.name] = pa.array(np.full(count, upload_id, dtype=np.int64))
        elif field.name == "magsys":
            columns[field.name] = pa.array(["AB"] * count, pa.string())
        elif field.name in table.column_names:
            columns[field.name] = table.column(field.name).cast(field.type)
        else:
            columns[field.name] = pa.nulls(count, field.type)
    return pa.table(columns, schema=STORED_SCHEMA)


def store_photometry(
    tx: Transaction, table: pa.Table, policy: DedupPolicy, source: str
) -> tuple[int, int, int | None]:
    """Store ``table`` (alert photometry with ``target_id``); (added, skipped, upload id)."""
    if table.num_rows == 0:
        return 0, 0, None
    table = table.sort_by([("target_id", "ascending"), ("mjd", "ascending")])
    upload_id = tx.next_id(UPLOAD_COUNTER)
    incoming = to_stored(table, upload_id)
    incoming_ids = np.asarray(incoming.column("target_id").to_numpy(), dtype=np.int64)
    target_ids = np.unique(incoming_ids)
    existing = photometry_store.read_points_many(tx, target_ids.tolist())
    existing_ids = np.asarray(existing.column("target_id").to_numpy(), dtype=np.int64)
    keep = np.ones(incoming.num_rows, dtype=bool)
    removals: dict[int, dict[int, np.ndarray]] = defaultdict(dict)
    replaced_parts: list[pa.Table] = []
    measurement_columns = MEASUREMENT_SCHEMA.names
    for target_id in np.intersect1d(target_ids, np.unique(existing_ids)):
        new_rows = np.flatnonzero(incoming_ids == target_id)
        old_rows = np.flatnonzero(existing_ids == target_id)
        old = existing.take(pa.array(old_rows))
        result = find_duplicates(
            old.select(measurement_columns),
            incoming.take(pa.array(new_rows)).select(measurement_columns),
            policy,
            source=source,
        )
        keep[new_rows[~result.keep_incoming]] = False
        if result.replaced:
            replaced_parts.append(old.filter(pa.array(result.remove_existing)))
            removals[photometry_store.bucket_of(int(target_id))][int(target_id)] = ~result.remove_existing
    if replaced_parts:
        tx.write_parquet(photometry_store.replaced_path(upload_id), pa.concat_tables(replaced_parts))
        for bucket, masks in removals.items():
            photometry_store.remove_points(tx, bucket, masks)
    added = incoming.filter(pa.array(keep))
    _write_rows(tx, added, upload_id)
    remaining = existing
    if replaced_parts:
        remaining = photometry_store.read_points_many(tx, target_ids.tolist())
    summary_columns = ["target_id", "mjd", "filter", "mag"]
    photometry_store.refresh_summary(
        tx,
        target_ids.tolist(),
        pa.concat_tables([remaining.select(summary_columns), added.select(summary_columns)])
        if not replaced_parts
        else remaining.select(summary_columns),
    )
    touched = sorted({int(t) for t in np.unique(np.asarray(added.column("target_id").to_numpy()))})
    DataProductRepository(tx).save_upload(
        PhotometryUpload(
            id=upload_id,
            target_ids=touched or target_ids.tolist(),
            rows=added.num_rows,
            created=now_iso(),
            source=source,
            skipped=int((~keep).sum()),
            replaced=sum(p.num_rows for p in replaced_parts),
            policy=policy.describe(),
        )
    )
    return added.num_rows, int((~keep).sum()), upload_id


def _write_rows(tx: Transaction, rows: pa.Table, upload_id: int) -> None:
    """New rows go in as delta files, or by rewriting a bucket that many targets touch."""
    if rows.num_rows == 0:
        return
    ids = np.asarray(rows.column("target_id").to_numpy(), dtype=np.int64)
    buckets = ids % photometry_store.BUCKETS
    for bucket in np.unique(buckets):
        in_bucket = rows.filter(pa.array(buckets == bucket))
        bucket_ids = np.unique(np.asarray(in_bucket.column("target_id").to_numpy()))
        if len(bucket_ids) <= 2:
            for target_id in bucket_ids:
                photometry_store.append_points(
                    tx,
                    int(target_id),
                    upload_id,
                    in_bucket.filter(pc.equal(in_bucket.column("target_id"), target_id)),
                )
        else:
            current = photometry_store.read_bucket(tx, int(bucket))
            photometry_store.write_bucket(tx, int(bucket), pa.concat_tables([current, in_bucket]))
