"""Photometry operations the CLI, TUI, jobs and brokers call: ingest, read, undo, summaries.

Everything here runs inside a caller's transaction (writes) or view (reads), so an ingest and
the data product that carries it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError
from tom_tui.processing.photometry.dedup import DedupPolicy, find_duplicates
from tom_tui.processing.photometry.schema import MEASUREMENT_SCHEMA, STORED_SCHEMA
from tom_tui.store import photometry as photometry_store
from tom_tui.store.dataproducts import UPLOAD_COUNTER, DataProductRepository, PhotometryUpload
from tom_tui.store.transaction import Transaction

if TYPE_CHECKING:
    from tom_tui.adapters.simulated.sky import SimObject


@dataclass
class IngestResult:
    upload_id: int
    target_id: int
    added: int
    duplicates_skipped: int = 0
    replaced: int = 0
    skipped_lines: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "target_id": self.target_id,
            "added": self.added,
            "duplicates_skipped": self.duplicates_skipped,
            "replaced": self.replaced,
            "rows_without_measurement": len(self.skipped_lines),
        }


def _stored_rows(measurements: pa.Table, target_id: int, upload_id: int, product_id: int | None) -> pa.Table:
    count = measurements.num_rows
    table = measurements.select(MEASUREMENT_SCHEMA.names).cast(MEASUREMENT_SCHEMA)
    table = table.add_column(0, "target_id", pa.array(np.full(count, target_id, dtype=np.int64)))
    table = table.append_column("upload_id", pa.array(np.full(count, upload_id, dtype=np.int64)))
    product = pa.nulls(count, pa.int64()) if product_id is None else pa.array(np.full(count, product_id))
    return table.append_column("product_id", product).cast(STORED_SCHEMA)


def ingest_points(
    tx: Transaction,
    target_id: int,
    measurements: pa.Table,
    *,
    policy: DedupPolicy | None = None,
    product_id: int | None = None,
    source: str = "upload",
    line_numbers: np.ndarray | None = None,
    skipped_lines: list[int] | None = None,
) -> IngestResult:
    """Store measurements (measurement schema) of one target as one undoable upload."""
    results = ingest_batch(
        tx,
        [(target_id, measurements)],
        policy=policy,
        product_id=product_id,
        source=source,
        line_numbers=line_numbers,
    )
    results[0].skipped_lines = list(skipped_lines or [])
    return results[0]


def ingest_batch(
    tx: Transaction,
    items: Iterable[tuple[int, pa.Table]],
    *,
    policy: DedupPolicy | None = None,
    product_id: int | None = None,
    source: str = "upload",
    line_numbers: np.ndarray | None = None,
) -> list[IngestResult]:
    """Store measurements of many targets as ONE undoable upload (brokers, the demo, imports).

    Summaries and the upload record are written once for the whole batch. ``line_numbers`` (file
    lines of the rows, for error messages) only makes sense for a batch of one table.
    """
    policy = policy or DedupPolicy()
    upload_id = tx.next_id(UPLOAD_COUNTER)
    results: list[IngestResult] = []
    summary_inputs: list[pa.Table] = []
    totals = {"rows": 0, "skipped": 0, "replaced": 0}
    for target_id, measurements in items:
        result, current = _ingest_one(
            tx, target_id, measurements, policy, upload_id, product_id, source, line_numbers
        )
        results.append(result)
        summary_inputs.append(current)
        totals["rows"] += result.added
        totals["skipped"] += result.duplicates_skipped
        totals["replaced"] += result.replaced
    target_ids = sorted({result.target_id for result in results})
    if summary_inputs:
        photometry_store.refresh_summary(tx, target_ids, pa.concat_tables(summary_inputs))
    DataProductRepository(tx).save_upload(
        PhotometryUpload(
            id=upload_id,
            target_ids=target_ids,
            rows=totals["rows"],
            created=now_iso(),
            product_id=product_id,
            source=source,
            skipped=totals["skipped"],
            replaced=totals["replaced"],
            policy=policy.describe(),
        )
    )
    return results


SUMMARY_COLUMNS = ["target_id", "mjd", "filter", "mag"]


def _ingest_one(
    tx: Transaction,
    target_id: int,
    measurements: pa.Table,
    policy: DedupPolicy,
    upload_id: int,
    product_id: int | None,
    source: str,
    line_numbers: np.ndarray | None,
) -> tuple[IngestResult, pa.Table]:
    """Store one target's rows; returns the result and the target's points for its summary."""
    existing = photometry_store.read_points(tx, target_id)
    dedup = find_duplicates(existing, measurements, policy, source=source, line_numbers=line_numbers)
    keep = dedup.keep_incoming
    incoming = measurements if keep.all() else measurements.filter(pa.array(keep))
    new_rows = _stored_rows(incoming, target_id, upload_id, product_id)
    if dedup.replaced:
        replaced = existing.filter(pa.array(dedup.remove_existing))
        rel = photometry_store.replaced_path(upload_id)
        previous = tx.read_parquet(rel)
        tx.write_parquet(rel, replaced if previous is None else pa.concat_tables([previous, replaced]))
        photometry_store.remove_points(
            tx, photometry_store.bucket_of(target_id), {target_id: ~dedup.remove_existing}
        )
        existing = existing.filter(pa.array(~dedup.remove_existing))
    photometry_store.append_points(tx, target_id, upload_id, new_rows)
    current = pa.concat_tables([existing.select(SUMMARY_COLUMNS), new_rows.select(SUMMARY_COLUMNS)])
    result = IngestResult(
        upload_id=upload_id,
        target_id=target_id,
        added=new_rows.num_rows,
        duplicates_skipped=dedup.skipped,
        replaced=dedup.replaced,
    )
    return result, current


def undo_upload(tx: Transaction, upload_id: int) -> PhotometryUpload:
    """Remove exactly the rows of an upload and put back the stored rows it replaced."""
    repository = DataProductRepository(tx)
    upload = repository.upload(upload_id)
    photometry_store.remove_upload(tx, upload_id, upload.target_ids)
    replaced_rel = photometry_store.replaced_path(upload_id)
    restored = tx.read_parquet(replaced_rel)
    if restored is not None:
        target = np.asarray(restored.column("target_id").to_numpy(), dtype=np.int64)
        for bucket in sorted({photometry_store.bucket_of(int(t)) for t in np.unique(target)}):
            in_bucket = restored.filter(pa.array(target % photometry_store.BUCKETS == bucket))
            current = photometry_store.read_bucket(tx, bucket)
            photometry_store.write_bucket(
                tx, bucket, pa.concat_tables([current, in_bucket.cast(STORED_SCHEMA)])
            )
        tx.delete(replaced_rel)
    # Rows of this upload that a later upload replaced must not come back when that one is undone.
    photometry_store.rewrite_replaced(
        tx, lambda rows: rows.filter(pc.not_equal(rows.column("upload_id"), upload_id))
    )
    photometry_store.refresh_summary(tx, upload.target_ids)
    _drop_empty_summaries(tx, upload.target_ids)
    repository.remove_upload(upload_id)
    if upload.product_id is not None:
        try:
            product = repository.get(upload.product_id)
        except NotFoundError:
            product = None
        if product is not None:
            product.upload_id = None
            product.details["photometry_undone"] = upload_id
            repository.save(product)
    return upload


def _drop_empty_summaries(tx: Transaction, target_ids: list[int]) -> None:
    """Targets left with no points lose their summary row (refresh only writes non-empty ones)."""
    summary = photometry_store.read_summary(tx)
    points = photometry_store.read_points_many(tx, target_ids, columns=["target_id"])
    still = set(np.unique(np.asarray(points.column("target_id").to_numpy())).tolist())
    gone = [t for t in target_ids if t not in still]
    if gone:
        mask = pc.invert(pc.is_in(summary.column("target_id"), pa.array(gone, type=pa.int64())))
        tx.write_parquet(photometry_store.SUMMARY_PATH, summary.filter(mask))


def delete_target_photometry(tx: Transaction, target_id: int) -> None:
    photometry_store.delete_target_points(tx, target_id)
    _drop_empty_summaries(tx, [target_id])


def move_target_photometry(tx: Transaction, from_id: int, to_id: int) -> None:
    photometry_store.move_target_points(tx, from_id, to_id)
    photometry_store.refresh_summary(tx, [to_id])
    _drop_empty_summaries(tx, [from_id])
    repository = DataProductRepository(tx)
    for upload in repository.uploads():
        if from_id in upload.target_ids:
            upload.target_ids = sorted({to_id, *(t for t in upload.target_ids if t != from_id)})
            repository.save_upload(upload)


def ingest_simulated(
    tx: Transaction,
    objects: Iterable[tuple[int, SimObject]],
    start_mjd: float,
    end_mjd: float,
    *,
    seed: int = 2026,
) -> list[IngestResult]:
    """Simulated survey photometry of (target id, simulated-sky object) pairs as ONE upload (the demo)."""
    from tom_tui.adapters.simulated.photometry import simulated_photometry

    tables = []
    for target_id, sim_object in objects:
        table = simulated_photometry(sim_object, start_mjd, end_mjd, seed=seed)
        if table.num_rows:
            tables.append((target_id, table))
    if not tables:
        return []
    return ingest_batch(tx, tables, source="simulated ZTF forced photometry")
