"""What a run keeps of the frames its workers reduced: products moved into the store, the
targets' measurements onto their light curves, outcomes in the run record; one transaction per
batch of frames."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import DedupPolicy
from tom_tui.domain.reduction import REDUCTION_SOURCE, FrameFlag, FrameStatus, RunRecord
from tom_tui.services.photometry.ingest import ingest
from tom_tui.services.reduction.work import FrameResult
from tom_tui.store.reductions import ReductionArchive, reduced_frame_path, source_table_path
from tom_tui.store.store import Store
from tom_tui.store.transaction import Transaction


def log_line(record: RunRecord, message: str) -> None:
    """A line of the run's log, stamped with the time (UTC)."""
    record.log.append(f"{now_iso()} {message}")


def commit_results(
    store: Store, record: RunRecord, results: Sequence[FrameResult], policy: DedupPolicy
) -> None:
    """Move the products of finished frames into the store, ingest their targets' measurements
    and save the run record, in one transaction."""
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        measured: list[tuple[FrameResult, pa.Table]] = []
        for result in results:
            outcome = result.outcome
            if not _products_arrived(result):
                continue
            name = Path(outcome.raw_path).name
            if result.reduced_file is not None:
                outcome.reduced_path = reduced_frame_path(outcome.telescope, outcome.night, name)
                archive.adopt(Path(result.reduced_file), outcome.reduced_path)
            if result.sources_file is not None:
                outcome.sources_path = source_table_path(outcome.telescope, outcome.night, name)
                archive.adopt(Path(result.sources_file), outcome.sources_path)
            if result.measurements is not None and result.measurements.num_rows:
                measured.append((result, _with_frame_id(result.measurements, outcome.frame_id)))
        _ingest_measurements(tx, record, measured, policy)
        archive.save_run(record)


def _products_arrived(result: FrameResult) -> bool:
    """Whether a worker's products are where it wrote them; a frame whose products are not (a
    worker on a machine that does not share the store's file system) fails with the reason."""
    missing = [
        f for f in (result.reduced_file, result.sources_file) if f is not None and not Path(f).exists()
    ]
    if not missing:
        return True
    outcome = result.outcome
    outcome.status = FrameStatus.FAILED
    outcome.flags |= FrameFlag.CRASHED
    outcome.reasons.append(
        f"the worker's product {missing[0]} is not there; workers on other machines need the store "
        "on a shared file system at the same path"
    )
    result.measurements = None
    return False


def _ingest_measurements(
    tx: Transaction, record: RunRecord, measured: Sequence[tuple[FrameResult, pa.Table]], policy: DedupPolicy
) -> None:
    if not measured:
        return
    try:
        ingest(tx, pa.concat_tables([table for _, table in measured]), policy=policy, source=REDUCTION_SOURCE)
    except ValidationError:
        for result, table in measured:  # one frame's bad point must not keep the others' off
            _ingest_one(tx, record, result, table, policy)
        return
    for result, table in measured:
        result.outcome.measurements = table.num_rows


def _ingest_one(
    tx: Transaction, record: RunRecord, result: FrameResult, table: pa.Table, policy: DedupPolicy
) -> None:
    try:
        ingest(tx, table, policy=policy, source=REDUCTION_SOURCE)
    except ValidationError as error:
        result.outcome.reasons.append(f"its targets' measurements were not stored: {error}")
        log_line(record, f"frame {result.outcome.frame_id}: measurements not stored: {error}")
        return
    result.outcome.measurements = table.num_rows


def _with_frame_id(table: pa.Table, frame_id: int) -> pa.Table:
    """The rows with the frame's id in their provenance (``extra``)."""
    extras = [
        json.dumps({**(json.loads(text) if text else {}), "frame_id": frame_id})
        for text in table.column("extra").to_pylist()
    ]
    index = table.schema.get_field_index("extra")
    return table.set_column(index, table.schema.field(index), pa.array(extras, type=pa.string()))
