"""The demo store: the simulated sky written into a store, so every screen has something real.

Building is idempotent: run it again later and only what is new in the sky since then is added.
Other areas add their part of the demo (photometry, alerts, observations) as further steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.clock import now_mjd
from tom_tui.domain.target import build_target
from tom_tui.services.targets import OnDuplicate, TargetService, add_targets, ensure_lists
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


DEMO_STEPS: list[DemoStep] = [add_sky_targets]


def build_demo_store(path: Path, progress: Callable[[str], None] | None = None) -> Store:
    store = Store.init(path)
    context = DemoContext(store, SimulatedSky(), now_mjd())
    for step in DEMO_STEPS:
        message = step(context)
        if progress is not None:
            progress(message)
    return store
