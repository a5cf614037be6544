"""Alert filters and watch lists, declared in the store's ``tom-tui.toml``::

    [[alert_rules]]
    name = "bright-sne"              # the tag matching targets get
    broker = ["fink", "simulated"]   # broker or survey names (ztf, lsst); any when left out
    classification = ["SN candidate", "SN Ia"]   # any of these (case-insensitive)
    max_mag = 19.0                   # brighter than this

    [[alert_rules]]
    name = "near-monitoring"
    near_list = "Monitoring"         # within radius_arcsec of a target in this list
    radius_arcsec = 5.0

Every condition a rule gives must hold. An alert matching a rule is imported (or updates its
target) and its target is tagged with the rule's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tom_tui.domain.config import ConfigTables
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.sky import crossmatch
from tom_tui.store.target_index import TargetIndex

RULE_KEYS = {"name", "broker", "classification", "max_mag", "near_list", "radius_arcsec"}


@dataclass
class AlertCandidate:
    """An alert from any source (Avro packet, broker result, upload), as rules and ingest see it."""

    name: str
    ra: float | None
    dec: float | None
    source: str  # broker name or survey ("ztf", "lsst", "fink", "simulated"...)
    mjd: float | None = None
    mag: float | None = None
    filter: str | None = None
    classification: str | None = None
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it came from, for error messages (file and alert number, broker)


@dataclass(frozen=True)
class AlertRule:
    name: str
    brokers: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    max_mag: float | None = None
    near_list: str | None = None
    radius_arcsec: float = 5.0

    def matches_fields(self, candidate: AlertCandidate) -> bool:
        if self.brokers and candidate.source.lower() not in self.brokers:
            return False
        if self.classifications and (candidate.classification or "").lower() not in self.classifications:
            return False
        return not (self.max_mag is not None and (candidate.mag is None or candidate.mag >= self.max_mag))


def _as_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.lower(),)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.lower() for v in value)
    raise ValidationError(f"{where}: {value!r} is not a name or a list of names")


def load_rules(config: Mapping[str, Any], config_name: str = "tom-tui.toml") -> list[AlertRule]:
    """The ``[[alert_rules]]`` of a store config; every problem reported at once."""
    tables = ConfigTables(config, "alert_rules", config_name)
    problems = tables.problems
    rules: list[AlertRule] = []
    for where, raw in tables:
        unknown = sorted(set(raw) - RULE_KEYS)
        if unknown:
            problems.append(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(RULE_KEYS))}"
            )
        name = str(raw.get("name") or "").strip()
        if not name:
            problems.append(f"{where}.name: missing; a rule needs a name (it becomes the tag)")
        try:
            max_mag = None if raw.get("max_mag") is None else float(raw["max_mag"])
            radius = float(raw.get("radius_arcsec", 5.0))
            if radius <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"{where}: max_mag and radius_arcsec must be numbers (radius > 0)")
            continue
        try:
            brokers = _as_list(raw.get("broker"), f"{where}.broker")
            classes = _as_list(raw.get("classification"), f"{where}.classification")
        except ValidationError as error:
            problems.append(str(error))
            continue
        near_list = raw.get("near_list")
        if near_list is not None and not isinstance(near_list, str):
            problems.append(f"{where}.near_list: {near_list!r} is not a list name")
            continue
        rules.append(AlertRule(name, brokers, classes, max_mag, near_list, radius))
    tables.raise_problems()
    return rules


def match_rules(
    rules: Sequence[AlertRule], candidates: Sequence[AlertCandidate], index: TargetIndex
) -> list[list[str]]:
    """For each candidate, the names of the rules it matches."""
    matched: list[list[str]] = [[] for _ in candidates]
    for rule in rules:
        hits = np.array([rule.matches_fields(c) for c in candidates], dtype=bool)
        if rule.near_list is not None and hits.any():
            hits &= _near_list(rule, candidates, index)
        for row in np.flatnonzero(hits):
            matched[row].append(rule.name)
    return matched


def _near_list(rule: AlertRule, candidates: Sequence[AlertCandidate], index: TargetIndex) -> np.ndarray:
    """Which candidates lie within the rule's radius of a target in its list."""
    table = index.table
    in_list = np.array(
        [rule.near_list in (lists or []) for lists in table.column("lists").to_pylist()], dtype=bool
    )
    list_ra = table.column("ra").to_numpy(zero_copy_only=False).astype(np.float64)[in_list]
    list_dec = table.column("dec").to_numpy(zero_copy_only=False).astype(np.float64)[in_list]
    # Candidates without a position get NaN, which matches nothing.
    ra = np.array([np.nan if c.ra is None else c.ra for c in candidates], dtype=np.float64)
    dec = np.array([np.nan if c.dec is None else c.dec for c in candidates], dtype=np.float64)
    near = np.zeros(len(candidates), dtype=bool)
    matched_rows, _, _ = crossmatch(list_ra, list_dec, ra, dec, rule.radius_arcsec)
    near[matched_rows] = True
    return near
