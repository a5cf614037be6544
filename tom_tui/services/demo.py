"""The demo store: the simulated sky written into a store, so every screen has something real.

Building is idempotent: run it again later and only what is new in the sky since then is added.
Other areas add their part of the demo (photometry, alerts, observations) as further steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.domain.clock import now_mjd
from tom_tui.domain.target import build_target
from tom_tui.services.targets.operations import OnDuplicate, TargetService, add_targets, ensure_lists
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

DEMO_LIST_DESCRIPTIONS = {
    "SNe Ia": "Type Ia supernova candidates from the simulated survey",
    "Transients": "Other transients: core-collapse SNe, TDEs, novae",
    "Variables": "Periodic variable stars",
    "Monitoring": "AGN monitored for variability",
    "Solar system": "Asteroids and comets (orbital elements)",
    "Standards": "Bright clusters for calibration",
}


@dataclass
class DemoContext:
    store: Store
    sky: SimulatedSky
    now_mjd: float


DemoStep = Callable[[DemoContext], str]


def add_sky_targets(context: DemoContext) -> str:
    targets = [build_target(fields) for fields in context.sky.target_fields_for_demo(context.now_mjd)]
    with context.store.transaction() as tx:
        repo = TargetRepository(tx)
        outcomes = add_targets(
            repo, targets, OnDuplicate.SKIP, TargetService(context.store).duplicate_radius_arcsec
        )
        ensure_lists(tx, sorted({name for target in targets for name in target.lists}))
        table = tx.db("lists").table("lists")
        for document in table.all():
            description = DEMO_LIST_DESCRIPTIONS.get(document["name"])
            if description and not document.get("description"):
                table.update({"description": description}, doc_ids=[document.doc_id])
        repo.flush()
    created = sum(1 for outcome in outcomes if outcome.action == "created")
    return f"{created} new target(s) from the simulated sky ({len(targets)} known)"


def add_survey_photometry(context: DemoContext) -> str:
    """A year of simulated survey photometry for every demo target that has none yet."""
    from tom_tui.services.photometry.ingest import ingest_simulated
    from tom_tui.services.photometry.reads import photometry_summary

    by_name = {obj.name: obj for obj in context.sky.objects_known_at(context.now_mjd)}
    with context.store.transaction() as tx:
        index = TargetRepository(tx).index.table
        summary = photometry_summary(tx)
        has_points = set(summary.column("target_id").to_pylist()) if summary.num_rows else set()
        pairs = [
            (target_id, by_name[name])
            for target_id, name in zip(
                index.column("id").to_pylist(), index.column("name").to_pylist(), strict=True
            )
            if name in by_name and target_id not in has_points and by_name[name].elements is None
        ]
        outcome = ingest_simulated(tx, pairs, context.now_mjd - 365.0, context.now_mjd)
    return f"{outcome.added} photometry points for {len(outcome.targets)} target(s)"


def add_alerts(context: DemoContext) -> str:
    """Import the simulated broker's alerts of the last day (new transients, with history)."""
    from tom_tui.services.alerts.ingest import ingest_broker_alerts
    from tom_tui.services.plugins import make_broker

    broker = make_broker("simulated", context.store.config, context.store.root)
    alerts = broker.query(lookback_days=1.0)
    report = ingest_broker_alerts(context.store, broker, alerts, lists=["Transients"])
    counts = report.counts()
    return (
        f"{len(alerts)} alert(s) from the simulated broker: {counts['created']} new target(s), "
        f"{counts['updated']} updated, {counts['photometry']} points"
    )


def add_observations(context: DemoContext) -> str:
    """Ask the simulated telescope to follow the three newest supernova candidates, once."""
    from tom_tui.domain.errors import TomError
    from tom_tui.services.observations.requests import ObservationService

    service = ObservationService(context.store)
    if service.records():
        return "observations already requested"
    newest = sorted(
        (obj for obj in context.sky.objects_known_at(context.now_mjd) if obj.kind == "SN Ia"),
        key=lambda obj: obj.discovery_mjd or 0.0,
    )[-3:]
    requested = 0
    for obj in newest:
        try:
            service.request(obj.name)
            requested += 1
        except TomError:
            continue  # not observable from the simulated site this week: no request
    return f"{requested} observation request(s) at the simulated telescope"


DEMO_JOBS = """
# Added by `tom-tui demo`: the simulated broker and telescope, run by `tom-tui cron`.
[[jobs]]
name = "simulated-broker"
kind = "broker_query"
every = "30m"
broker = "simulated"
options = { lookback_days = 1 }

[[jobs]]
name = "observation-update"
kind = "observation_update"
every = "10m"
"""


def add_jobs(context: DemoContext) -> str:
    if context.store.config.get("jobs"):
        return "jobs already configured"
    config = context.store.config_path.read_text()
    from tom_tui.store.transaction import atomic_write_bytes

    atomic_write_bytes(context.store.config_path, (config + DEMO_JOBS).encode())
    return "2 scheduled jobs configured (run them with `tom-tui cron`)"


def add_reduced_frames(context: DemoContext) -> str:
    """Frames of a demo variable star from the simulated telescope, reduced onto its light curve."""
    from tom_tui.services.reduction.jobs import add_reduced_frames as reduce_demo_frames

    return reduce_demo_frames(context.store)


DEMO_STEPS: list[DemoStep] = [
    add_sky_targets,
    add_survey_photometry,
    add_alerts,
    add_observations,
    add_jobs,
    add_reduced_frames,
]


def build_demo_store(path: Path, progress: Callable[[str], None] | None = None) -> Store:
    store = Store.init(path)
    context = DemoContext(store, SimulatedSky(), now_mjd())
    for step in DEMO_STEPS:
        message = step(context)
        if progress is not None:
            progress(message)
    return store
