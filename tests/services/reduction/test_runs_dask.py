"""Runs on Dask: a local cluster of two worker processes on 127.0.0.1, and a scheduler started
apart (as `dask scheduler` would be) that the run connects to by address."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from dask.distributed import LocalCluster

from tests.support.reduction import NightFiles, import_night
from tom_tui.domain.errors import ValidationError
from tom_tui.services.photometry.reads import photometry_of
from tom_tui.services.reduction.runs import RunProgress, start_run
from tom_tui.store.store import Store

pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def test_a_local_cluster_of_two_processes_reduces_the_night(store: Store, night_files: NightFiles) -> None:
    target_id = import_night(store, night_files)
    seen: list[RunProgress] = []
    record = start_run(store, catalog=night_files.catalog, workers=2, progress=seen.append)
    assert record.scheduler == "local cluster of 2 worker processes" and record.workers == 2
    assert record.counts["done"] == 4 and not record.failed
    assert [p.done for p in seen if p.stage == "frames"] == [1, 2, 3, 4]
    _, points = photometry_of(store, target_id)
    variable = night_files.night.variable
    for row in points.to_pylist():
        index = min(range(4), key=lambda i: abs(night_files.science_mjd(i) - row["mjd"]))
        assert abs(row["mag"] - variable.magnitude(night_files.science_mjd(index))) < 3 * row["magerr"] + 0.01


def test_a_run_connects_to_a_scheduler_started_apart(
    store: Store, night_files: NightFiles, scheduler_address: str
) -> None:
    import_night(store, night_files)
    record = start_run(store, catalog=night_files.catalog, scheduler=scheduler_address)
    assert record.scheduler == scheduler_address
    assert record.counts["done"] == 4


def test_a_scheduler_address_that_is_no_address_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="expected tcp://HOST:PORT"):
        start_run(store, scheduler="localhost:8786")
