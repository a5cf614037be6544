"""The `reduce_frames` job kind: cron reduces the frames no run has reached, and nothing else."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.support.cli import Run, append_config, json_of
from tests.support.reduction import NightFiles, import_night
from tom_tui.domain.errors import ValidationError
from tom_tui.services import plugins
from tom_tui.services.jobs.base import JobContext, JobSpec
from tom_tui.services.photometry.reads import photometry_of
from tom_tui.store.store import Store


def context(store: Store, **params: object) -> JobContext:
    spec = JobSpec(name="reduce", kind="reduce_frames", every_seconds=600, params=dict(params))
    return JobContext(store, spec, logging.getLogger("test.reduce_frames"))


def test_new_frames_are_reduced_onto_the_light_curve_once(store: Store, night_files: NightFiles) -> None:
    job = plugins.job_function("reduce_frames")
    assert job(context(store, catalog=str(night_files.catalog), workers=1)) == {"frames": 0}
    target_id = import_night(store, night_files)
    counts = job(context(store, catalog=str(night_files.catalog), workers=1))
    assert counts["done"] == 4 and counts["failed"] == 0 and counts["run"] == 1
    _, points = photometry_of(store, target_id)
    assert points.num_rows == 4
    assert job(context(store, catalog=str(night_files.catalog), workers=1)) == {"frames": 0}
    with pytest.raises(ValidationError, match="workers"):
        job(context(store, workers=0))


@pytest.mark.usefixtures("targets")
def test_cron_takes_frames_from_obs_update_to_the_light_curve(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_config(
        store,
        '[[jobs]]\nname = "observation-update"\nkind = "observation_update"\nevery = "10m"\n\n'
        '[[jobs]]\nname = "reduce"\nkind = "reduce_frames"\nevery = "10m"\nworkers = 1\n\n'
        "[facilities.simulated]\nframe_size = 768",
    )
    run("obs", "request", "SN 2026abc", "--filters", "r", "--exposure-time", "60", "--exposure-count", "2")
    run("obs", "update")
    end = dt.datetime.fromisoformat(json_of(run("obs", "show", "1", "--json"))["scheduled_end"])
    monkeypatch.setenv("TOM_TUI_NOW", (end + dt.timedelta(minutes=1)).isoformat())
    assert "reduce: ok run=1 frames=2 done=2" in run("cron").stdout  # the frames it just downloaded
    [reduce_run] = json_of(run("reduce", "list", "--json"))
    assert reduce_run["counts"]["done"] == 2, run("reduce", "show", str(reduce_run["id"])).stdout
    points = json_of(run("photometry", "SN 2026abc", "--json"))
    rows = points["points"] if isinstance(points, dict) else points
    assert sum(1 for row in rows if row["source"] == "reduction") == 2
