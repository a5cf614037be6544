"""Alerts → targets and photometry: Avro alert files, broker results and YSE-PZ uploads.

Every path ends in :func:`ingest_candidates`: one store transaction in which the alerts' objects go
through the foundation's duplicate protection (:func:`~tom_tui.services.targets.operations.add_targets` with
``MERGE``: an alert of a known object, by name or within the duplicate radius, updates that target
instead of creating another), alert rules (:mod:`tom_tui.services.alerts.rules`) tag or filter them,
and their photometry is attached to the resulting target ids. Bad input raises before anything is
written, so a failed ingest leaves the store exactly as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.adapters.alerts.avro import AlertBatch, AlertPacket, default_workers, read_alerts
from tom_tui.adapters.brokers.base import Broker, GenericAlert
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import (
    DedupPolicy,
    IngestOutcome,
    OnDuplicatePoint,
    empty_alert_photometry,
    measurement_problems,
)
from tom_tui.domain.target import Target, build_target, simplify_name
from tom_tui.services.alerts.rules import AlertCandidate, AlertRule, load_rules, match_rules
from tom_tui.services.bulk import cyclic_gc_paused
from tom_tui.services.photometry.ingest import ingest
from tom_tui.services.targets.operations import (
    OnDuplicate,
    TargetService,
    add_targets,
    ensure_lists,
)
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import Transaction

PhotometryWriter = Callable[[Transaction, pa.Table], IngestOutcome]


@dataclass
class IngestReport:
    alerts: int = 0
    objects: int = 0
    created: int = 0
    updated: int = 0
    filtered_out: int = 0
    photometry_points: int = 0  # offered (each alert repeats its object's history)
    photometry_stored: int = 0  # added to the store
    photometry_duplicates: int = 0  # already stored, skipped
    photometry_replaced: int = 0  # stored points the new ones replaced
    photometry_invalid: int = 0  # refused by the measurement checks, each named in ``skipped``
    unreadable_files: int = 0  # alert files skipped whole, each named in ``skipped``
    rule_matches: dict[str, int] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}

    def counts(self) -> dict[str, int]:
        return {
            "alerts": self.alerts,
            "created": self.created,
            "updated": self.updated,
            "filtered_out": self.filtered_out,
            "photometry": self.photometry_stored,
            "photometry_duplicates": self.photometry_duplicates,
            "photometry_replaced": self.photometry_replaced,
            "photometry_invalid": self.photometry_invalid,
        }


def candidate_from_packet(packet: AlertPacket) -> AlertCandidate:
    extra: dict[str, Any] = {"survey": packet.survey, **packet.extra}
    if packet.classification:
        extra["classification"] = packet.classification
    return AlertCandidate(
        name=packet.object_id,
        ra=packet.ra,
        dec=packet.dec,
        source=packet.survey,
        mjd=packet.mjd,
        mag=packet.mag,
        filter=packet.filter,
        classification=packet.classification,
        extra=extra,
        origin=packet.source_file,
    )


def candidate_from_generic(alert: GenericAlert, target_fields: Mapping[str, Any]) -> AlertCandidate:
    return AlertCandidate(
        name=str(target_fields["name"]),
        ra=target_fields.get("ra"),
        dec=target_fields.get("dec"),
        source=alert.broker,
        mjd=alert.mjd,
        mag=alert.mag,
        filter=alert.filter,
        classification=alert.classification,
        aliases=list(target_fields.get("aliases") or []),
        extra=dict(target_fields.get("extra") or {}),
        origin=f"{alert.broker} result {alert.id}",
    )


def default_writer(store: Store) -> PhotometryWriter:
    return photometry_writer(source="alerts")


def photometry_writer(policy: DedupPolicy | None = None, source: str = "alerts") -> PhotometryWriter:
    """Store alert photometry as one undoable upload; points already stored are skipped (or, with
    a YSE-style policy, matched within ``mjd_match_days`` and replaced when it says clobber)."""
    chosen = policy or DedupPolicy(OnDuplicatePoint.IGNORE)

    def write(tx: Transaction, table: pa.Table) -> IngestOutcome:
        return ingest(tx, table, policy=chosen, source=source)

    return write


def _latest_per_object(candidates: Sequence[AlertCandidate]) -> list[AlertCandidate]:
    """One candidate per object name, the newest alert describing it."""
    latest: dict[str, AlertCandidate] = {}
    for candidate in candidates:
        key = simplify_name(candidate.name)
        current = latest.get(key)
        if current is None or (candidate.mjd or 0.0) >= (current.mjd or 0.0):
            latest[key] = candidate
    return list(latest.values())


def ingest_candidates(
    store: Store,
    candidates: Sequence[AlertCandidate],
    photometry: pa.Table | None = None,
    *,
    rules: Sequence[AlertRule] | None = None,
    rules_only: bool = False,
    lists: Sequence[str] = (),
    photometry_writer: PhotometryWriter | None = None,
    alert_count: int | None = None,
    overwrite_extra: Sequence[str] = (),
    skip_invalid_points: bool = True,
) -> IngestReport:
    """Create or update one target per alerted object and attach the alerts' photometry.

    ``rules`` default to the store's ``[[alert_rules]]``; with ``rules_only`` an alert matching no
    rule is left out. ``photometry`` has a ``target`` column of object names (as the readers give).
    Merging keeps a known target's extras; keys in ``overwrite_extra`` take the alert's value instead.
    A point no route may store (NaN or out-of-range values) is left out and named in ``skipped``,
    or, without ``skip_invalid_points``, refused with nothing stored.
    """
    started = time.perf_counter()
    report = IngestReport(alerts=alert_count if alert_count is not None else len(candidates))
    rules = list(load_rules(store.config) if rules is None else rules)
    radius = TargetService(store).duplicate_radius_arcsec
    objects = _latest_per_object(candidates)
    writer = photometry_writer if photometry_writer is not None else default_writer(store)
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        matched = match_rules(rules, objects, repo.index) if rules else [[] for _ in objects]
        targets, labels, kept = _alert_targets(objects, matched, lists, rules_only, report)
        outcomes = add_targets(repo, targets, OnDuplicate.MERGE, radius, labels)
        name_to_id: dict[str, int] = {}
        overwritten = {}
        for candidate, outcome in zip(kept, outcomes, strict=True):
            assert outcome.target.id is not None
            name_to_id[simplify_name(candidate.name)] = outcome.target.id
            if outcome.action == "created":
                report.created += 1
            else:
                report.updated += 1
                changes = {k: candidate.extra[k] for k in overwrite_extra if k in candidate.extra}
                if changes and any(outcome.target.extra.get(k) != v for k, v in changes.items()):
                    outcome.target.extra.update(changes)
                    overwritten[outcome.target.id] = outcome.target
            report.targets.append(outcome.target.name)
        if overwritten:
            repo.replace_many(list(overwritten.values()))
        report.objects = len(kept)
        if lists:
            ensure_lists(tx, list(lists))
        repo.flush()
        table = attach_target_ids(
            photometry if photometry is not None else empty_alert_photometry(), name_to_id
        )
        _store_photometry(tx, table, writer, report, skip_invalid_points)
    report.seconds = round(time.perf_counter() - started, 4)
    return report


def _alert_targets(
    objects: Sequence[AlertCandidate],
    matched: Sequence[Sequence[str]],
    lists: Sequence[str],
    rules_only: bool,
    report: IngestReport,
) -> tuple[list[Target], list[str], list[AlertCandidate]]:
    """The target of each alerted object the rules keep, tagged with the rules it matched.

    Counts rule matches and filtered-out objects in ``report``; a bad alert raises (naming every
    bad one) before anything is written.
    """
    targets: list[Target] = []
    labels: list[str] = []
    kept: list[AlertCandidate] = []
    problems: list[str] = []
    for candidate, rule_names in zip(objects, matched, strict=True):
        if rules_only and not rule_names:
            report.filtered_out += 1
            continue
        for rule_name in rule_names:
            report.rule_matches[rule_name] = report.rule_matches.get(rule_name, 0) + 1
        try:
            targets.append(
                build_target(
                    {
                        "name": candidate.name,
                        "ra": candidate.ra,
                        "dec": candidate.dec,
                        "aliases": candidate.aliases,
                        "tags": [*candidate.tags, *rule_names],
                        "lists": list(lists),
                        "extra": candidate.extra,
                    }
                )
            )
        except ValidationError as error:
            problems.extend(f"{candidate.origin or candidate.name}: {p}" for p in error.problems)
            continue
        labels.append(candidate.origin or candidate.name)
        kept.append(candidate)
    if problems:
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} bad alerts; nothing was ingested"
        raise ValidationError(summary, problems)
    return targets, labels, kept


def _store_photometry(
    tx: Transaction, table: pa.Table, writer: PhotometryWriter, report: IngestReport, skip_invalid: bool
) -> None:
    """Write the valid points through ``writer``, counting what was offered, added and skipped."""
    report.photometry_points = table.num_rows
    table = _without_invalid_points(table, report, skip_invalid)
    if table.num_rows:
        stored = writer(tx, table)
        report.photometry_stored = stored.added
        report.photometry_duplicates = stored.duplicates_skipped
        report.photometry_replaced = stored.replaced


def _without_invalid_points(table: pa.Table, report: IngestReport, skip: bool) -> pa.Table:
    """``table`` without the points the measurement checks refuse, each named by its object,
    time, band and source; without ``skip`` they raise instead."""
    problems = measurement_problems(table)
    if not problems:
        return table
    rows = table.select(["target", "mjd", "filter", "source"]).take(pa.array(sorted(problems))).to_pylist()
    reasons = [
        f"{row['target']} ({row['source']}) point at MJD {row['mjd']:g} in {row['filter']}: {problems[index]}"
        for index, row in zip(sorted(problems), rows, strict=True)
    ]
    if not skip:
        raise ValidationError(
            f"{reasons[0]}; nothing was ingested", [f"{r}; nothing was ingested" for r in reasons]
        )
    report.photometry_invalid = len(reasons)
    report.skipped.extend(f"{reason}; point skipped" for reason in reasons)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[sorted(problems)] = False
    return table.filter(pa.array(keep))


def attach_target_ids(photometry: pa.Table, name_to_id: Mapping[str, int]) -> pa.Table:
    """Replace object names by store target ids (``target_id``); rows of objects not kept go."""
    if photometry.num_rows == 0:
        return photometry.append_column("target_id", pa.array([], pa.int64()))
    names = photometry.column("target").to_pylist()
    cache: dict[str, int] = {}
    ids = np.full(len(names), -1, dtype=np.int64)
    for row, name in enumerate(names):
        target_id = cache.get(name)
        if target_id is None:
            target_id = name_to_id.get(simplify_name(name), -1)
            cache[name] = target_id
        ids[row] = target_id
    table = photometry.append_column("target_id", pa.array(ids))
    return table.filter(pc.greater_equal(table.column("target_id"), 0))


# -- sources --
def ingest_alert_files(
    store: Store,
    paths: Iterable[Path | str],
    *,
    rules_only: bool = False,
    lists: Sequence[str] = (),
    photometry_writer: PhotometryWriter | None = None,
    workers: int | None = 1,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Read alert packets and ingest them in one transaction; ``progress`` hears each stage.

    ``workers`` is the number of decoding processes; None means one per CPU, at most 4.
    """
    tell = progress or (lambda _stage: None)
    with cyclic_gc_paused():
        tell("decoding alert files")
        batch: AlertBatch = read_alerts(paths, workers=workers or default_workers())
        tell(f"matching {len(batch.packets):,} alerts against the store and writing them")
        report = ingest_candidates(
            store,
            [candidate_from_packet(p) for p in batch.packets],
            batch.photometry,
            rules_only=rules_only,
            lists=lists,
            photometry_writer=photometry_writer,
            alert_count=len(batch.packets) + len(batch.skipped),
        )
    report.skipped.extend(batch.skipped)
    report.unreadable_files = batch.unreadable_files
    return report


def ingest_broker_alerts(
    store: Store,
    broker: Broker,
    alerts: Sequence[GenericAlert],
    *,
    with_history: bool = True,
    rules_only: bool = False,
    lists: Sequence[str] = (),
    photometry_writer: PhotometryWriter | None = None,
) -> IngestReport:
    """Import broker results (e.g. the ones a user selected) as targets with their light curves.

    Remote calls (completing a result, fetching its history) all happen before the store is locked.
    """
    candidates: list[AlertCandidate] = []
    tables: list[pa.Table] = []
    for alert in alerts:
        complete = broker.complete(alert)
        candidates.append(candidate_from_generic(complete, broker.to_target(complete)))
        if with_history:
            tables.append(broker.photometry_history(complete))
    photometry = pa.concat_tables(tables) if tables else empty_alert_photometry()
    return ingest_candidates(
        store, candidates, photometry, rules_only=rules_only, lists=lists, photometry_writer=photometry_writer
    )
