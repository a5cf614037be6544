"""Run records, latest outcomes and masters in the store: written in transactions, read back, run
ids never reused; products moved in whole and only under reduced/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, MasterUsed, RunRecord, RunSelection
from tom_tui.store.reductions import (
    ReductionArchive,
    master_path,
    new_work_folder,
    reduced_frame_path,
    run_path,
    source_table_path,
)
from tom_tui.store.store import Store


def record(run_id: int, *outcomes: FrameOutcome) -> RunRecord:
    return RunRecord(
        run_id, "2026-01-16T00:00:00+00:00", {}, "h1", "1.0", RunSelection(), outcomes=list(outcomes)
    )


def test_runs_and_latest_outcomes_are_kept(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        first = archive.new_run_id()
        archive.save_run(record(first, FrameOutcome(5, "raw/a.fits", FrameStatus.FAILED, run_id=first)))
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        second = archive.new_run_id()
        archive.save_run(
            record(
                second,
                FrameOutcome(5, "raw/a.fits", FrameStatus.DONE, run_id=second),
                FrameOutcome(6, "raw/b.fits", FrameStatus.SKIPPED),
            )
        )
    with store.read() as view:
        archive = ReductionArchive(view)
        assert [run.id for run in archive.runs()] == [first, second] == [1, 2]
        latest = archive.latest_outcomes()
        assert set(latest) == {5} and latest[5].status is FrameStatus.DONE and latest[5].run_id == second
        assert archive.get(1).outcomes[0].status is FrameStatus.FAILED
        with pytest.raises(NotFoundError, match="reduction run 3 does not exist"):
            archive.get(3)
    (store.root / "state" / "counters.json").unlink()
    with store.transaction() as tx:
        assert ReductionArchive(tx).new_run_id() == 3  # a lost counters file never reuses an id


def test_products_move_in_whole_under_reduced_only(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    work = new_work_folder(store.root)
    product = work / "x.fits"
    product.write_bytes(b"whole product")
    rel = reduced_frame_path("SIM 1", "20260115", "science0.fits.fz")
    assert rel == "reduced/SIM_1/20260115/science0.fits"
    assert (
        source_table_path("SIM 1", "20260115", "science0.fits")
        == "reduced/SIM_1/20260115/science0.sources.parquet"
    )
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        with pytest.raises(ValueError, match="never elsewhere"):
            archive.adopt(product, "raw/SIM/20260115/science0.fits")
        archive.adopt(product, rel)
        assert not (store.root / rel).exists()  # not before the commit
        bias = MasterUsed(
            "bias", "binning=1x1", "20260115", master_path("SIM 1", "20260115", "bias", "binning=1x1")
        )
        archive.add_masters([bias])
    assert (store.root / rel).read_bytes() == b"whole product"
    assert bias.path == "reduced/SIM_1/20260115/masters/bias-binning-1x1.fits"
    with store.read() as view:
        assert ReductionArchive(view).masters() == [bias]
    assert run_path(12) == "reductions/runs/000012.json"
