"""The one way photometry gets into a store: file uploads, alert batches, brokers, the demo.

:func:`ingest` takes the measurements of any number of targets (the measurement schema plus
``target_id``), finds per target which points are already stored (the upload's
:class:`~tom_tui.domain.photometry.DedupPolicy`), writes the new rows, keeps the rows it replaced
so that undo can bring them back, refreshes the touched targets' summaries once and records ONE
upload. It runs inside the caller's transaction, so an ingest and the data product that carries
it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.domain.dataproducts import PhotometryUpload
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import (
    INCOMING_SCHEMA,
    MEASUREMENT_COLUMNS,
    SUMMARY_INPUT_COLUMNS,
    DedupPolicy,
    IngestOutcome,
    TargetIngest,
    measurement_problems,
    with_canonical_names,
    with_detection_fluxes,
    with_target_ids,
)
from tom_tui.processing.photometry.dedup import find_duplicates
from tom_tui.processing.photometry.flags import with_identity, without_flagged
from tom_tui.processing.photometry.summary import summarise
from tom_tui.processing.photometry.timeformat import MAX_REPORTED_PROBLEMS
from tom_tui.store import photometry as photometry_store
from tom_tui.store.dataproducts import UPLOAD_COUNTER, DataProductRepository
from tom_tui.store.photometry_flags import read_flags
from tom_tui.store.transaction import Transaction

if TYPE_CHECKING:
    from tom_tui.adapters.simulated.sky import SimObject


@dataclass
class _Plan:
    """What an ingest will write, decided before anything is written."""

    keep_incoming: np.ndarray
    remove_existing: np.ndarray
    targets: list[TargetIngest] = field(default_factory=list)


def ingest(
    tx: Transaction,
    table: pa.Table,
    *,
    policy: DedupPolicy,
    source: str,
    product_id: int | None = None,
    line_numbers: np.ndarray | None = None,
    for_targets: Iterable[int] = (),
) -> IngestOutcome:
    """Store measurements of many targets (``target_id`` + measurement schema) as ONE upload.

    ``line_numbers`` (file lines of the rows, for error messages) goes with the rows of ``table``.
    ``for_targets`` names targets the upload is about even when ``table`` has none of their rows
    (a file with no measurements is still recorded). Nothing to store and no such targets: no
    upload, ``upload_id`` None. A duplicate under the ``error`` policy, or a point no route may
    store (:func:`~tom_tui.domain.photometry.measurement_problems`), raises before any write.
    Bands are stored under their canonical names; AB detections get the flux of their magnitude.
    """
    prepared = with_detection_fluxes(with_canonical_names(_conform(table)))
    refuse_invalid(prepared, source, line_numbers)
    incoming, line_numbers = _by_target(prepared, line_numbers)
    incoming_ids = np.asarray(incoming.column("target_id").to_numpy(), dtype=np.int64)
    target_ids = sorted({*np.unique(incoming_ids).tolist(), *for_targets})
    if not target_ids:
        return IngestOutcome(upload_id=None)
    existing = photometry_store.read_points_many(tx, target_ids)
    # Points stored before names were made canonical are compared under their canonical names.
    plan = _plan(with_canonical_names(existing), incoming, target_ids, policy, source, line_numbers)
    upload_id = tx.next_id(UPLOAD_COUNTER)
    remaining = existing
    if plan.remove_existing.any():
        photometry_store.keep_replaced(tx, upload_id, existing.filter(pa.array(plan.remove_existing)))
        remaining = existing.filter(pa.array(~plan.remove_existing))
        changed = np.unique(np.asarray(existing.column("target_id").to_numpy())[plan.remove_existing])
        photometry_store.replace_points(tx, changed.tolist(), _points_of(remaining, changed))
    # Filtering copies every column: skip it in the common case of nothing to leave out.
    added = incoming if plan.keep_incoming.all() else incoming.filter(pa.array(plan.keep_incoming))
    photometry_store.add_points(tx, upload_id, added, product_id)
    # Flagged points stay stored (a re-upload does not unflag them) but are no summary's points.
    flags = read_flags(tx, target_ids)
    summary_columns = with_identity(SUMMARY_INPUT_COLUMNS, flags)
    summary_input = pa.concat_tables([remaining.select(summary_columns), added.select(summary_columns)])
    summary_input = without_flagged(summary_input, flags, SUMMARY_INPUT_COLUMNS)
    photometry_store.write_summaries(tx, target_ids, summarise(summary_input))
    outcome = IngestOutcome(upload_id=upload_id, targets=plan.targets)
    DataProductRepository(tx).save_upload(
        PhotometryUpload(
            id=upload_id,
            target_ids=target_ids,
            rows=outcome.added,
            created=now_iso(),
            product_id=product_id,
            source=source,
            skipped=outcome.duplicates_skipped,
            replaced=outcome.replaced,
            policy=policy.describe(),
        )
    )
    return outcome


def refuse_invalid(table: pa.Table, source: str, line_numbers: np.ndarray | None = None) -> None:
    """Raise one ValidationError naming every bad point (its file line when known)."""
    problems = measurement_problems(table)
    if not problems:
        return
    messages = []
    for row, problem in sorted(problems.items())[:MAX_REPORTED_PROBLEMS]:
        where = f"line {line_numbers[row]}" if line_numbers is not None else f"point {row + 1}"
        messages.append(f"{source}: {where}: {problem}; nothing was stored")
    if len(problems) > MAX_REPORTED_PROBLEMS:
        messages.append(f"{source}: ... {len(problems)} bad points in all")
    raise ValidationError(messages[0], problems=messages)


def _conform(table: pa.Table) -> pa.Table:
    """``table`` in the incoming schema; measurement columns it lacks are null."""
    columns = {
        name: table.column(name).cast(field.type)
        if name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for name, field in zip(INCOMING_SCHEMA.names, INCOMING_SCHEMA, strict=True)
    }
    return pa.table(columns, schema=INCOMING_SCHEMA)


def _by_target(table: pa.Table, line_numbers: np.ndarray | None) -> tuple[pa.Table, np.ndarray | None]:
    """Rows grouped by target (file order kept within a target), line numbers along."""
    ids = np.asarray(table.column("target_id").to_numpy(), dtype=np.int64)
    if len(ids) < 2 or np.all(ids[1:] >= ids[:-1]):
        return table, line_numbers
    order = np.argsort(ids, kind="stable")
    return table.take(pa.array(order)), None if line_numbers is None else np.asarray(line_numbers)[order]


def _rows_of_target(ids: np.ndarray, target_id: int) -> slice:
    """The rows of ``target_id`` in ``ids`` sorted by target."""
    return slice(
        int(np.searchsorted(ids, target_id, side="left")), int(np.searchsorted(ids, target_id, side="right"))
    )


def _plan(
    existing: pa.Table,
    incoming: pa.Table,
    target_ids: Sequence[int],
    policy: DedupPolicy,
    source: str,
    line_numbers: np.ndarray | None,
) -> _Plan:
    """Which incoming rows to add and which stored rows they replace, target by target."""
    plan = _Plan(np.ones(incoming.num_rows, dtype=bool), np.zeros(existing.num_rows, dtype=bool))
    incoming_ids = np.asarray(incoming.column("target_id").to_numpy(), dtype=np.int64)
    existing_ids = np.asarray(existing.column("target_id").to_numpy(), dtype=np.int64)
    for target_id in target_ids:
        new_rows, old_rows = (
            _rows_of_target(incoming_ids, target_id),
            _rows_of_target(existing_ids, target_id),
        )
        count = new_rows.stop - new_rows.start
        result = TargetIngest(target_id=target_id, added=count)
        plan.targets.append(result)
        if count == 0 or old_rows.stop == old_rows.start:
            continue
        found = find_duplicates(
            existing.slice(old_rows.start, old_rows.stop - old_rows.start).select(MEASUREMENT_COLUMNS),
            incoming.slice(new_rows.start, count).select(MEASUREMENT_COLUMNS),
            policy,
            source=source,
            line_numbers=None if line_numbers is None else line_numbers[new_rows],
        )
        plan.keep_incoming[new_rows] = found.keep_incoming
        plan.remove_existing[old_rows] = found.remove_existing
        result.added = int(found.keep_incoming.sum())
        result.duplicates_skipped = found.skipped
        result.replaced = found.replaced
    return plan


def _points_of(table: pa.Table, target_ids: np.ndarray) -> pa.Table:
    return table.filter(pc.is_in(table.column("target_id"), pa.array(target_ids, type=pa.int64())))


def refresh_summaries(tx: Transaction, target_ids: Iterable[int]) -> None:
    """Recompute the summaries of ``target_ids`` from their stored points (targets left with no
    points lose their summary row)."""
    ids = sorted(set(target_ids))
    flags = read_flags(tx, ids)
    points = photometry_store.read_points_many(tx, ids, columns=with_identity(SUMMARY_INPUT_COLUMNS, flags))
    unflagged = without_flagged(points, flags, SUMMARY_INPUT_COLUMNS)
    photometry_store.write_summaries(tx, ids, summarise(unflagged))


@dataclass
class IngestResult:
    """One file's upload to one target, as the data services report it."""

    upload_id: int
    target_id: int
    added: int
    duplicates_skipped: int = 0
    replaced: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    invalid_lines: list[str] = field(default_factory=list)  # left out with --skip-invalid, and why
    notes: list[str] = field(default_factory=list)  # sentinel values read as "no value"

    def to_json(self) -> dict[str, Any]:
        return {
            "upload_id": self.upload_id,
            "target_id": self.target_id,
            "added": self.added,
            "duplicates_skipped": self.duplicates_skipped,
            "replaced": self.replaced,
            "rows_without_measurement": len(self.skipped_lines),
            "invalid_lines": self.invalid_lines,
            "notes": self.notes,
        }


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
    invalid_lines: list[str] | None = None,
    notes: list[str] | None = None,
) -> IngestResult:
    """Store measurements (measurement schema) of one target, e.g. one file, as one upload."""
    outcome = ingest(
        tx,
        with_target_ids(measurements, target_id),
        policy=policy or DedupPolicy(),
        source=source,
        product_id=product_id,
        line_numbers=line_numbers,
        for_targets=[target_id],
    )
    assert outcome.upload_id is not None  # for_targets always records an upload
    result = outcome.for_target(target_id)
    return IngestResult(
        upload_id=outcome.upload_id,
        target_id=target_id,
        added=result.added,
        duplicates_skipped=result.duplicates_skipped,
        replaced=result.replaced,
        skipped_lines=list(skipped_lines or []),
        invalid_lines=list(invalid_lines or []),
        notes=list(notes or []),
    )


def ingest_simulated(
    tx: Transaction,
    objects: Iterable[tuple[int, SimObject]],
    start_mjd: float,
    end_mjd: float,
    *,
    seed: int = 2026,
) -> IngestOutcome:
    """Simulated survey photometry of (target id, simulated-sky object) pairs as ONE upload (the demo)."""
    from tom_tui.adapters.simulated.photometry import simulated_photometry

    tables = []
    for target_id, sim_object in objects:
        table = simulated_photometry(sim_object, start_mjd, end_mjd, seed=seed)
        if table.num_rows:
            tables.append(with_target_ids(table, target_id))
    if not tables:
        return IngestOutcome(upload_id=None)
    return ingest(
        tx, pa.concat_tables(tables), policy=DedupPolicy(), source="simulated ZTF forced photometry"
    )
