"""Reduction with no hand work: the ``reduce_frames`` job kind for cron, and the demo's night.

``reduce_frames`` (``telescope``, ``catalog``, ``workers``, ``scheduler``, all optional) reduces
the light frames no run has reached yet, so frames that ``obs update`` downloads end as points
on their targets' light curves at the next ``tom-tui cron``. The demo asks the simulated
telescope for a few frames of a demo variable star taken last week and reduces them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from tom_tui.adapters.facilities.base import DataProduct, Facility, SubmittedObservation
from tom_tui.domain.clock import now
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.reduction import FrameStatus, RunSelection, frames_summary
from tom_tui.domain.target import Target
from tom_tui.services import plugins
from tom_tui.services.jobs.base import JobContext
from tom_tui.services.reduction.frames import import_frames
from tom_tui.services.reduction.runs import frames_not_reduced, list_runs, start_run
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

DEMO_FACILITY = "simulated"
DEMO_LISTS = ("Variables", "Monitoring", "SNe Ia")
DEMO_EXPOSURES = 3
DEMO_DAYS_AGO = 8


def reduce_frames_job(context: JobContext) -> dict[str, int]:
    """Reduce the frames no run has reached yet; counts of done, failed and skipped frames."""
    params = context.job.params
    workers = params.get("workers")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValidationError(f"job {context.job.name}: workers must be a whole number of at least 1")
    selection = RunSelection.of(telescope=params.get("telescope"))
    waiting = frames_not_reduced(context.store, selection)
    if not waiting:
        context.log.info("no new frames to reduce")
        return {"frames": 0}
    catalog = params.get("catalog")
    record = start_run(
        context.store,
        selection,
        workers=workers,
        scheduler=params.get("scheduler"),
        catalog=Path(str(catalog)).expanduser() if catalog else None,
    )
    context.log.info("run %d: %s", record.id, frames_summary(record.outcomes))
    for outcome in record.outcomes:
        if outcome.status is FrameStatus.FAILED:
            context.log.warning("frame %d failed: %s", outcome.frame_id, "; ".join(outcome.reasons))
    return {"run": record.id, "frames": len(record.outcomes), **record.counts}


def _demo_target(store: Store) -> Target | None:
    with store.read() as view:
        targets = TargetRepository(view).all()
    for wanted in DEMO_LISTS:
        for target in targets:
            if wanted in target.lists and target.is_sidereal and target.ra is not None:
                return target
    return None


def _observed_last_week(facility: Facility, target: Target) -> tuple[SubmittedObservation, list[DataProduct]]:
    observation = SubmittedObservation(
        facility_id=f"SIM-DEMO{target.id}",
        target=target,
        parameters={
            "filters": "r",
            "exposure_count": DEMO_EXPOSURES,
            "exposure_time": 60.0,
            "window_days": 7,
        },
        submitted=now() - dt.timedelta(days=DEMO_DAYS_AGO),
    )
    return observation, facility.data_products(observation)


def add_reduced_frames(store: Store) -> str:
    """A few frames of a demo variable star from the simulated telescope, imported and reduced."""
    if list_runs(store):
        return "frames already reduced"
    target = _demo_target(store)
    if target is None:
        return "no demo target to observe"
    facility = plugins.load_facility(DEMO_FACILITY, store.config.get("facilities", {}).get(DEMO_FACILITY))
    observation, products = _observed_last_week(facility, target)
    if not products:
        return f"the simulated telescope could not observe {target.name} last week"
    with tempfile.TemporaryDirectory(prefix="tom-tui-demo-") as folder:
        for product in products:
            facility.download(observation, product, Path(folder) / product.filename)
        import_frames(store, [Path(folder)])
    record = start_run(store, workers=1)
    summary = frames_summary(record.outcomes)
    return f"{len(products)} frames of {target.name} from the simulated telescope: {summary}"
