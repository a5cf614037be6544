"""Automated follow-up: rules in ``tom-tui.toml`` that submit requests when targets qualify.

::

    [[followup]]
    name = "bright-rising-sn"       # unique; a rule fires at most once per target
    facility = "simulated"          # or leave out and give a template
    template = "sn-gr"              # optional: a saved `obs template`
    options = { exposure_time = 120 }
    # Conditions; every one given must hold:
    list = "SN candidates"          # the target is in this list (e.g. put there by an ingest rule)
    tag = "SN"                      # the target has this tag
    alert_rule = "bright-sne"       # an [[alert_rules]] rule matched it (ingest tags targets so)
    brighter_than = 18.5            # its latest detection is brighter than this magnitude
    rising_faster_than = 0.1        # mag/day brightening between its last two detections
    band = "r"                      # the photometry conditions only look at this filter

Run with ``tom-tui obs followup`` or the ``followup`` cron job kind. Each firing is recorded with
the rule's name on the observation (``rule``) and in ``db/followup.json``, so a rule never fires
twice for one target, even after the request fails.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.domain.config import ConfigTables
from tom_tui.domain.errors import TomError
from tom_tui.services.observations.requests import ObservationService
from tom_tui.store.observations import ObservationRepository
from tom_tui.store.photometry import read_points_many
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

log = logging.getLogger("tom_tui.followup")
CONDITIONS = ("list", "tag", "alert_rule", "brighter_than", "rising_faster_than")


@dataclass(frozen=True)
class FollowupRule:
    name: str
    facility: str | None
    template: str | None
    options: dict[str, Any]
    list: str | None = None
    tag: str | None = None
    alert_rule: str | None = None
    brighter_than: float | None = None
    rising_faster_than: float | None = None
    band: str | None = None


def load_followup_rules(config: Mapping[str, Any]) -> list[FollowupRule]:
    """The ``[[followup]]`` tables, validated; every problem is reported at once."""
    tables = ConfigTables(config, "followup", where_format="{config}: [[{key}]] #{number}")
    problems = tables.problems
    rules: list[FollowupRule] = []
    seen: set[str] = set()
    for where, raw in tables:
        name = str(raw.get("name") or "").strip()
        if not name:
            problems.append(f"{where}: name missing")
        elif name in seen:
            problems.append(f"{where}: name {name!r} used twice")
        seen.add(name)
        if not raw.get("facility") and not raw.get("template"):
            problems.append(f"{where} ({name}): needs facility or template")
        if not any(raw.get(key) is not None for key in CONDITIONS):
            problems.append(f"{where} ({name}): needs at least one condition of {', '.join(CONDITIONS)}")
        numbers: dict[str, float | None] = {}
        for key in ("brighter_than", "rising_faster_than"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                problems.append(f"{where} ({name}): {key} = {value!r} is not a number")
                value = None
            numbers[key] = None if value is None else float(value)
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            problems.append(f"{where} ({name}): options must be a table")
            options = {}
        rules.append(
            FollowupRule(
                name=name,
                facility=raw.get("facility"),
                template=raw.get("template"),
                options=dict(options),
                list=raw.get("list"),
                tag=raw.get("tag"),
                alert_rule=raw.get("alert_rule"),
                brighter_than=numbers["brighter_than"],
                rising_faster_than=numbers["rising_faster_than"],
                band=raw.get("band"),
            )
        )
    tables.raise_problems()
    return rules


@dataclass
class FollowupReport:
    fired: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"fired": self.fired, "errors": self.errors}


def _photometry_ok(rule: FollowupRule, points: Any) -> bool:
    """Check the photometric conditions on one target's points (a pyarrow table sorted by MJD)."""
    if rule.brighter_than is None and rule.rising_faster_than is None:
        return True
    detections = points.filter(pc.is_valid(points.column("mag")))
    if rule.band:
        detections = detections.filter(pc.equal(detections.column("filter"), rule.band))
    if detections.num_rows == 0:
        return False
    mjd = np.asarray(detections.column("mjd").to_numpy(zero_copy_only=False), dtype=np.float64)
    mag = np.asarray(detections.column("mag").to_numpy(zero_copy_only=False), dtype=np.float64)
    if rule.brighter_than is not None and not mag[-1] < rule.brighter_than:
        return False
    if rule.rising_faster_than is not None:
        if mag.size < 2 or mjd[-1] - mjd[-2] <= 0:
            return False
        rate = (mag[-2] - mag[-1]) / (mjd[-1] - mjd[-2])  # positive when brightening
        if not (math.isfinite(rate) and rate >= rule.rising_faster_than):
            return False
    return True


def run_followup(store: Store, dry_run: bool = False) -> FollowupReport:
    """Submit a request for every (rule, target) that qualifies and has not fired before."""
    rules = load_followup_rules(store.config)
    report = FollowupReport()
    if not rules:
        return report
    with store.read() as view:
        index = TargetRepository(view).index.table
        fired = ObservationRepository(view).fired()
        ids = index.column("id").to_pylist()
        names = index.column("name").to_pylist()
        lists = index.column("lists").to_pylist()
        tags = index.column("tags").to_pylist()
        candidates: dict[str, list[int]] = {}
        for rule in rules:
            candidates[rule.name] = [
                target_id
                for target_id, target_lists, target_tags in zip(ids, lists, tags, strict=True)
                if (rule.name, target_id) not in fired
                and (rule.list is None or rule.list in (target_lists or []))
                and (rule.tag is None or rule.tag in (target_tags or []))
                and (rule.alert_rule is None or rule.alert_rule in (target_tags or []))
            ]
        needs_photometry = {
            target_id
            for rule in rules
            if rule.brighter_than is not None or rule.rising_faster_than is not None
            for target_id in candidates[rule.name]
        }
        points = (
            read_points_many(view, needs_photometry, ["target_id", "mjd", "filter", "mag"])
            if needs_photometry
            else None
        )
    name_of = dict(zip(ids, names, strict=True))
    service = ObservationService(store)
    for rule in rules:
        for target_id in candidates[rule.name]:
            if points is not None and (rule.brighter_than is not None or rule.rising_faster_than is not None):
                own = points.filter(pc.equal(points.column("target_id"), target_id))
                if not _photometry_ok(rule, own):
                    continue
            entry: dict[str, Any] = {"rule": rule.name, "target": name_of[target_id], "observation_id": None}
            if not dry_run:
                entry["observation_id"] = _fire(service, rule, target_id, name_of[target_id], report)
            report.fired.append(entry)
    return report


def _fire(
    service: ObservationService, rule: FollowupRule, target_id: int, target_name: str, report: FollowupReport
) -> int | None:
    """Submit the rule's request for one target and record that the rule fired; the new
    observation's id, or None when the request failed (the error goes into ``report``)."""
    observation_id: int | None = None
    detail = ""
    try:
        record = service.request(
            f"#{target_id}", rule.facility, rule.options, template=rule.template, rule=rule.name
        )
        observation_id = record.id
    except TomError as error:
        detail = str(error).splitlines()[0]
        report.errors.append(f"rule {rule.name}, target {target_name}: {detail}")
    # Recorded even when the request failed: a bad rule must not retry every run.
    with service.store.transaction() as tx:
        ObservationRepository(tx).record_firing(rule.name, target_id, observation_id, now_iso(), detail)
    log.info("follow-up rule %s fired for %s", rule.name, target_name)
    return observation_id
