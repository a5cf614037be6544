"""A project on a real local Dask cluster of two worker processes on 127.0.0.1, against the
simulated survey: the same results as one process, and a run cut short resumes without redoing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import distributed as untyped_distributed
import pandas as pd
import pytest

from tom_tui.services.projects.results import histogram_totals
from tom_tui.services.projects.run import run_project
from tom_tui.services.projects.stages import read_output
from tom_tui.store.store import Store

pytestmark = pytest.mark.serial
# distributed has no type annotations.
distributed: Any = untyped_distributed

PROJECT = """
[project]
name = "field"
[catalogue]
path = "field.csv"
[download]
surveys = ["simulated"]
[inject]
copies = 1
"""
# Six positions in three RA bins, away from every object of the simulated sky.
CATALOGUE = "ra,dec\n101.21,12.5\n101.62,13.5\n102.13,14.5\n102.74,15.5\n103.35,16.5\n103.96,17.5\n"


@pytest.fixture
def project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Worker processes inherit the environment: every process sees the same survey up to "now".
    monkeypatch.setenv("TOM_TUI_NOW", "2020-03-01T00:00:00")
    (tmp_path / "field.csv").write_text(CATALOGUE)
    path = tmp_path / "field.toml"
    path.write_text(PROJECT)
    return path


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, ignore_index=True)


def test_two_workers_give_what_one_process_gives_and_a_cut_short_run_resumes(
    project_file: Path, tmp_path: Path
) -> None:
    alone = Store.init(tmp_path / "alone")
    reference = run_project(alone, project_file, workers=1)
    assert reference.bins == 3 and reference.sources == 6

    cluster_store = Store.init(tmp_path / "cluster")
    first = run_project(cluster_store, project_file, workers=2, stop_after_bins=1)
    assert first.interrupted and 1 <= first.bins_done < 3
    # The rest on a cluster started beforehand, reached through its scheduler's address.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        resumed = run_project(cluster_store, project_file, scheduler=cluster.scheduler_address)
        assert len(client.scheduler_info()["workers"]) == 2
    assert not resumed.interrupted and resumed.bins_skipped >= 1
    assert resumed.version == reference.version

    pd.testing.assert_frame_equal(
        histogram_totals(cluster_store, resumed.folder), histogram_totals(alone, reference.folder)
    )
    keys = ["source", "filter", "season"]
    pd.testing.assert_frame_equal(
        _sorted(read_output(cluster_store, resumed.folder, "candidates"), keys),
        _sorted(read_output(alone, reference.folder, "candidates"), keys),
    )
    counted = histogram_totals(alone, reference.folder)
    lightcurves = read_output(alone, reference.folder, "candidates")
    assert counted[counted["kind"] == "real"]["count"].sum() == len(lightcurves) > 0


def test_a_run_killed_with_sigkill_resumes_without_redoing_finished_bins(
    project_file: Path, tmp_path: Path
) -> None:
    store = Store.init(tmp_path / "killed")
    command = [
        sys.executable,
        "-m",
        "tom_tui",
        "--store",
        str(store.root),
        "project",
        "run",
        str(project_file),
    ]
    process = subprocess.Popen(
        [*command, "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    done = store.root / "projects" / "field"
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if len(list(done.glob("*/done/*.json"))) >= 1:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    finished = {path: path.stat().st_mtime_ns for path in done.glob("*/*/*.parquet")}
    killed_done = len(list(done.glob("*/done/*.json")))
    assert finished and killed_done >= 1

    resumed = run_project(Store.open(store.root), project_file, workers=1)
    assert resumed.bins_skipped >= killed_done and resumed.bins_done == 3
    # Nothing a finished bin wrote before the kill was written again.
    assert all(path.stat().st_mtime_ns == stamp for path, stamp in finished.items())
    assert len(read_output(Store.open(store.root), resumed.folder, "candidates")) > 0
