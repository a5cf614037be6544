"""Reduction runs and their products: run records, the latest outcome of every frame, masters,
reduced frames and their source tables.

- ``reductions/runs/<id>.json``: one run record (:class:`~tom_tui.domain.reduction.RunRecord`)
  per run, rewritten while the run goes on.
- ``reductions/latest.json``: ``{frame id: outcome}``, the latest done or failed outcome of each
  frame, so a new run skips what is already done without reading every run.
- ``reductions/masters.json``: the masters built so far (:class:`MasterUsed` records), so a night
  without its own calibration frames can use the nearest night's.
- ``reduced/<telescope>/<night>/<name>.fits``: a reduced frame (data in electrons, then its
  uncertainty and mask as image extensions, astropy ``CCDData`` layout, the fitted WCS in the
  header); ``<name>.sources.parquet`` beside it, every star measured on it;
  ``reduced/<telescope>/<night>/masters/<kind>-<keywords>.fits``: master calibration frames.

Products are made by reduction workers in a scratch folder, ``.work/reductions/<token>/`` (not
part of the store's data: whatever a killed run leaves there is never read), and moved into the
store by a transaction: a reader sees a whole product or none. ``raw/`` is never written here.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, MasterUsed, RunRecord
from tom_tui.store.transaction import StoreView, Transaction

RUNS_FOLDER = "reductions/runs"
LATEST_OUTCOMES = "reductions/latest.json"
MASTERS_INDEX = "reductions/masters.json"
REDUCED_FOLDER = "reduced"
WORK_FOLDER = ".work/reductions"
RUN_COUNTER = "reduction_run"
SOURCES_SUFFIX = ".sources.parquet"
# Scratch folders of runs killed this long ago are removed by the next run.
STALE_WORK_SECONDS = 24 * 3600.0


def run_path(run_id: int) -> str:
    return f"{RUNS_FOLDER}/{run_id:06d}.json"


def _stem(file_name: str) -> str:
    name = file_name
    for suffix in (".gz", ".fz"):
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[0] if "." in name else name


def reduced_frame_path(telescope: str, night: str, raw_name: str) -> str:
    """Where the reduced frame of raw file ``raw_name`` goes, relative to the store root."""
    return f"{REDUCED_FOLDER}/{safe_file_name(telescope)}/{safe_file_name(night)}/{_stem(raw_name)}.fits"


def source_table_path(telescope: str, night: str, raw_name: str) -> str:
    """Where the source table of a reduced frame goes, beside it."""
    stem = _stem(raw_name)
    return f"{REDUCED_FOLDER}/{safe_file_name(telescope)}/{safe_file_name(night)}/{stem}{SOURCES_SUFFIX}"


def master_path(telescope: str, night: str, kind: str, key: str) -> str:
    """Where the master ``kind`` of ``key`` (``binning=1x1 filter=r``) for a night goes."""
    name = safe_file_name(f"{kind}-{key.replace(' ', '_').replace('=', '-')}" if key else kind)
    return f"{REDUCED_FOLDER}/{safe_file_name(telescope)}/{safe_file_name(night)}/masters/{name}.fits"


def highest_run_id(view: StoreView) -> int:
    """The highest run id with a record (for the id counter's check)."""
    ids = [_run_id_of(rel) for rel in view.list_dir(RUNS_FOLDER)]
    return max((i for i in ids if i is not None), default=0)


def _run_id_of(rel: str) -> int | None:
    name = rel.rsplit("/", 1)[-1]
    stem = name.removesuffix(".json")
    return int(stem) if name.endswith(".json") and stem.isdigit() else None


class ReductionArchive:
    """Run records, frame outcomes and masters of a store: read with any view, written in a
    transaction."""

    def __init__(self, view: StoreView) -> None:
        self.view = view

    # -- reading --
    def runs(self) -> list[RunRecord]:
        """Every run record, oldest first."""
        records = [self.view.read_json(rel) for rel in self.view.list_dir(RUNS_FOLDER) if _run_id_of(rel)]
        return sorted(
            (RunRecord.from_record(record) for record in records if isinstance(record, dict)),
            key=lambda record: record.id,
        )

    def get(self, run_id: int) -> RunRecord:
        record = self.view.read_json(run_path(run_id))
        if not isinstance(record, dict):
            raise NotFoundError(f"reduction run {run_id} does not exist; see `tom-tui reduce list`")
        return RunRecord.from_record(record)

    def latest_outcomes(self) -> dict[int, FrameOutcome]:
        """The latest done or failed outcome of every frame a run has reached, by frame id."""
        stored = self.view.read_json(LATEST_OUTCOMES)
        if not isinstance(stored, dict):
            return {}
        return {int(key): FrameOutcome.from_record(value) for key, value in stored.items()}

    def masters(self) -> list[MasterUsed]:
        """Every master built so far, in the order they were built."""
        stored = self.view.read_json(MASTERS_INDEX)
        return [MasterUsed.from_record(item) for item in stored or [] if isinstance(item, dict)]

    # -- writing --
    def _transaction(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("saving a reduction run needs a store transaction")
        return self.view

    def new_run_id(self) -> int:
        return self._transaction().next_id(RUN_COUNTER)

    def save_run(self, record: RunRecord) -> None:
        """Write the run record, and the latest outcome of each frame it has done or failed."""
        tx = self._transaction()
        tx.write_json(run_path(record.id), record.to_record())
        reached = [o for o in record.outcomes if o.status in (FrameStatus.DONE, FrameStatus.FAILED)]
        if reached:
            latest = dict(tx.read_json(LATEST_OUTCOMES) or {})
            for outcome in reached:
                latest[str(outcome.frame_id)] = outcome.to_record()
            tx.write_json(LATEST_OUTCOMES, latest)

    def add_masters(self, masters: Iterable[MasterUsed]) -> None:
        """Record masters a run built (their files already moved in with :meth:`adopt`); a master
        of the same file replaces the older record."""
        tx = self._transaction()
        arriving = list(masters)
        paths = {master.path for master in arriving}
        kept = [m.to_record() for m in self.masters() if m.path not in paths]
        tx.write_json(MASTERS_INDEX, kept + [master.to_record() for master in arriving])

    def adopt(self, work_file: Path, rel: str) -> None:
        """Move a finished product from the scratch folder into the store at ``rel`` (on commit)."""
        if rel.split("/", 1)[0] != REDUCED_FOLDER:
            raise ValueError(f"{rel}: reduction products go under {REDUCED_FOLDER}/, never elsewhere")
        os.replace(work_file, self._transaction().staged_path(rel))


def new_work_folder(root: Path) -> Path:
    """A fresh scratch folder for one run's workers; old ones of killed runs are removed."""
    parent = root / WORK_FOLDER
    parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for leftover in parent.iterdir():
        try:
            if now - leftover.stat().st_mtime > STALE_WORK_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except FileNotFoundError:
            continue
    folder = parent / uuid.uuid4().hex
    folder.mkdir()
    return folder
