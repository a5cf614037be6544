"""Publishing to Hermes and reporting to TNS (``tom-tui report``).

:func:`publish_to_hermes` sends a target's photometry and spectra as one Hermes message on the
destination's topic. What was published is remembered per destination, topic and target in
``state/reports/hermes/<destination>.json`` (the same point identity as sharing with a TOM), so
publishing again sends only what is new, and nothing at all when nothing is.

:func:`report_at` and :func:`report_classification` send TNS bulk reports as the destination's
bot. The report id is written to ``state/reports/tns/<destination>.json`` the moment TNS gives
it, before the reply is asked for, so an interrupted run never loses it; the reply (the TNS name
of an accepted AT report, or the reasons of a refusal) is added when it comes. A target whose AT
report is accepted or still waiting for its reply is not reported again: running the command
again asks TNS for the waiting reply instead.

A dry run builds the same message or report, sends nothing and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tom_tui.adapters.http import HttpClient, load_credentials
from tom_tui.adapters.sharing.hermes import (
    HermesClient,
    HermesMessage,
    hermes_target,
    photometry_row,
    spectroscopy_row,
)
from tom_tui.adapters.sharing.tns import (
    ClassifiedSpectrum,
    ReportSettings,
    TnsBot,
    TnsClient,
    TnsReply,
    at_report,
    classification_report,
    missing_ids,
    object_type_id,
    spectrum_ascii,
    tns_name_of,
)
from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import Target, TargetRef
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.sharing.destinations import Destination, destination
from tom_tui.services.sharing.share import point_key
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

STATE_DIR = "state/reports"
AT_KIND = "at"
CLASSIFICATION_KIND = "classification"
# Statuses of a TNS report: sent and not answered yet, accepted, refused.
WAITING, ACCEPTED, REJECTED = "waiting", "accepted", "rejected"


def hermes_state_path(destination_name: str) -> str:
    return f"{STATE_DIR}/hermes/{destination_name}.json"


def tns_state_path(destination_name: str) -> str:
    return f"{STATE_DIR}/tns/{destination_name}.json"


def _destination_of_kind(store: Store, name: str, kind: str) -> Destination:
    where = destination(store, name)
    if where.kind != kind:
        raise ValidationError(
            f"destination {name!r} is a {where.kind} destination; this report needs a "
            f'[sharing.NAME] table with kind = "{kind}"'
        )
    return where


def _required_text(where: Destination, key: str) -> str:
    value = where.settings.get(key)
    if value is None or str(value).strip() == "":
        raise ValidationError(f"[sharing.{where.name}] has no {key}; add {key} = ... to the table")
    return str(value)


def _resolve(store: Store, reference: TargetRef) -> Target:
    with store.read() as view:
        return TargetRepository(view).resolve(reference)


def _update_state(store: Store, rel: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Read, change and write one state document in a transaction."""
    with store.transaction() as tx:
        stored = tx.read_json(rel)
        document = dict(stored) if isinstance(stored, dict) else {}
        change(document)
        tx.write_json(rel, document)


def _read_state(store: Store, rel: str) -> dict[str, Any]:
    with store.read() as view:
        stored = view.read_json(rel)
    return stored if isinstance(stored, dict) else {}


def _spectra(
    store: Store, target: Target, ids: Sequence[int] | None, since_mjd: float | None
) -> list[tuple[int, Spectrum]]:
    """The target's spectra (only ``ids`` when given; NotFoundError naming one that is not its)."""
    assert target.id is not None
    with store.read() as view:
        repository = SpectrumRepository(view)
        records = {record.id: record for record in repository.for_target(target.id)}
        if ids is not None:
            unknown = [spectrum_id for spectrum_id in ids if spectrum_id not in records]
            if unknown:
                raise NotFoundError(
                    f"{target.name} has no spectrum {unknown[0]} (its spectra: {sorted(records)})"
                )
        chosen = [records[spectrum_id] for spectrum_id in ids] if ids is not None else list(records.values())
        loaded = [
            (int(record.id), repository.load(record))
            for record in chosen
            if since_mjd is None or (record.mjd is not None and record.mjd >= since_mjd)
        ]
    return loaded


# -- Hermes --
@dataclass(frozen=True)
class HermesRequest:
    """What to publish (both when neither is asked for), from when, and whether only to show it."""

    photometry: bool = False
    spectra: bool = False
    since_mjd: float | None = None
    dry_run: bool = False
    title: str | None = None
    message_text: str = ""


@dataclass
class HermesOutcome:
    destination: str
    topic: str
    target: str
    dry_run: bool
    points_sent: int = 0
    points_already_published: int = 0
    spectra_sent: int = 0
    spectra_already_published: int = 0
    refused: list[str] = field(default_factory=list)
    uuid: str | None = None
    message: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    def describe(self) -> str:
        if self.message is None:
            return (
                f"{self.destination} ({self.topic}): nothing new to publish for {self.target} "
                f"({self.points_already_published} point(s) and {self.spectra_already_published} spectra "
                "published before)"
            )
        verb = "would publish" if self.dry_run else "published"
        return (
            f"{self.destination} ({self.topic}): {verb} {self.points_sent} point(s) and {self.spectra_sent} "
            f"spectra of {self.target}; {self.points_already_published} point(s) published before"
            + (f"; message {self.uuid}" if self.uuid else "")
            + (f"; {len(self.refused)} left out" if self.refused else "")
        )


def hermes_client(store: Store, where: Destination, http: HttpClient | None = None) -> HermesClient:
    credentials = load_credentials(where.name, store.root)
    return HermesClient(where.base_url, credentials, http or HttpClient(timeout=where.timeout))


def publish_to_hermes(
    store: Store,
    reference: TargetRef,
    to: str,
    request: HermesRequest,
    client: HermesClient | None = None,
) -> HermesOutcome:
    """Publish the target's new photometry and spectra to the Hermes destination ``to``."""
    where = _destination_of_kind(store, to, "hermes")
    topic = _required_text(where, "topic")
    submitter = _required_text(where, "submitter")
    target = _resolve(store, reference)
    outcome = HermesOutcome(to, topic, target.name, request.dry_run)
    rows, spectra = _unpublished(store, to, topic, target, request, outcome)
    tables = _HermesTables()
    for row in rows:
        try:
            tables.photometry.append(photometry_row(target.name, row))
            tables.point_keys.add(point_key(row))
        except ValidationError as error:
            outcome.refused.append(str(error))
    for spectrum_id, spectrum in spectra:
        try:
            tables.spectroscopy.append(spectroscopy_row(target.name, spectrum, f"spectrum {spectrum_id}"))
            tables.spectrum_ids.add(str(spectrum_id))
        except ValidationError as error:
            outcome.refused.append(str(error))
    if not tables.photometry and not tables.spectroscopy:
        return outcome
    outcome.points_sent, outcome.spectra_sent = len(tables.photometry), len(tables.spectroscopy)
    message = HermesMessage(
        topic=topic,
        title=request.title
        or f"{target.name}: {outcome.points_sent} photometry point(s), {outcome.spectra_sent} spectra",
        submitter=submitter,
        authors=str(where.settings.get("authors") or submitter),
        message_text=request.message_text,
        targets=[hermes_target(target)],
        photometry=tables.photometry,
        spectroscopy=tables.spectroscopy,
    )
    outcome.message = message.payload()
    if request.dry_run:
        return outcome
    answer = (client or hermes_client(store, where)).submit(message)
    outcome.uuid = str(answer.get("uuid") or "") or None
    _remember_hermes(store, to, topic, target, tables, outcome)
    return outcome


@dataclass
class _HermesTables:
    """A message's rows, and the identities of the points and spectra they came from."""

    photometry: list[dict[str, Any]] = field(default_factory=list)
    spectroscopy: list[dict[str, Any]] = field(default_factory=list)
    point_keys: set[str] = field(default_factory=set)
    spectrum_ids: set[str] = field(default_factory=set)


def _unpublished(
    store: Store, to: str, topic: str, target: Target, request: HermesRequest, outcome: HermesOutcome
) -> tuple[list[dict[str, Any]], list[tuple[int, Spectrum]]]:
    """The points and spectra asked for that were not published on ``topic`` before."""
    assert target.id is not None
    both = not request.photometry and not request.spectra
    remembered = (_read_state(store, hermes_state_path(to)).get("topics") or {}).get(topic, {})
    entry = remembered.get(str(target.id)) or {}
    published_points, published_spectra = set(entry.get("points") or []), set(entry.get("spectra") or [])
    rows: list[dict[str, Any]] = []
    if request.photometry or both:
        with store.read() as view:
            table = target_photometry(view, target.id, since_mjd=request.since_mjd)
        for row in table.to_pylist():
            if point_key(row) in published_points:
                outcome.points_already_published += 1
            else:
                rows.append(row)
    spectra: list[tuple[int, Spectrum]] = []
    if request.spectra or both:
        for spectrum_id, spectrum in _spectra(store, target, None, request.since_mjd):
            if str(spectrum_id) in published_spectra:
                outcome.spectra_already_published += 1
            else:
                spectra.append((spectrum_id, spectrum))
    return rows, spectra


def _remember_hermes(
    store: Store,
    to: str,
    topic: str,
    target: Target,
    tables: _HermesTables,
    outcome: HermesOutcome,
) -> None:
    points, spectra = tables.point_keys, tables.spectrum_ids

    def change(document: dict[str, Any]) -> None:
        topics = dict(document.get("topics") or {})
        targets = dict(topics.get(topic) or {})
        entry = dict(targets.get(str(target.id)) or {})
        entry["name"] = target.name
        entry["points"] = sorted(set(entry.get("points") or []) | points)
        entry["spectra"] = sorted(set(entry.get("spectra") or []) | spectra)
        entry["messages"] = [
            *(entry.get("messages") or []),
            {"uuid": outcome.uuid, "published": now_iso(), "points": len(points), "spectra": len(spectra)},
        ]
        targets[str(target.id)] = entry
        topics[topic] = targets
        document["topics"] = topics

    _update_state(store, hermes_state_path(to), change)


# -- TNS --
@dataclass(frozen=True)
class TnsPolling:
    """How long to wait for TNS to process a report."""

    attempts: int = 15
    interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep


@dataclass
class TnsOutcome:
    destination: str
    kind: str
    target: str
    dry_run: bool
    report: dict[str, Any]
    report_id: str | None = None
    status: str = "dry run"
    object_names: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    def describe(self) -> str:
        what = "AT report" if self.kind == AT_KIND else "classification report"
        if self.dry_run:
            return f"{self.destination}: {what} of {self.target} written, not sent (dry run)"
        said = f": {'; '.join(self.messages)}" if self.messages else ""
        if self.status == WAITING:
            return (
                f"{self.destination}: {what} {self.report_id} of {self.target} sent; TNS has not "
                "processed it yet, run the same command again later to ask for its reply"
            )
        names = f" as {', '.join(self.object_names)}" if self.object_names else ""
        return f"{self.destination}: {what} {self.report_id} of {self.target} {self.status}{names}{said}"


def tns_client(store: Store, where: Destination, http: HttpClient | None = None) -> TnsClient:
    credentials = load_credentials(where.name, store.root)
    bot = TnsBot(
        str(where.settings.get("bot_id") or credentials.get("bot_id") or ""),
        str(where.settings.get("bot_name") or credentials.get("bot_name") or ""),
    )
    if not bot.bot_id.strip().isdigit() or not bot.bot_name:
        raise ValidationError(
            f"[sharing.{where.name}] needs bot_id and bot_name (the TNS bot sending reports)"
        )
    return TnsClient(where.base_url, bot, credentials, http or HttpClient(timeout=where.timeout))


def report_settings(where: Destination) -> ReportSettings:
    """The reporter, group and id tables of a TNS destination."""
    table = where.settings
    return ReportSettings(
        reporter=_required_text(where, "reporter"),
        group_id=_required_text(where, "group_id"),
        data_source_id=str(table.get("data_source_id", table.get("group_id"))),
        at_type=str(table.get("at_type", "1")),
        filter_ids={str(k): str(v) for k, v in (table.get("filter_ids") or {}).items()},
        instrument_ids={str(k): str(v) for k, v in (table.get("instrument_ids") or {}).items()},
    )


def _reports_of(store: Store, to: str, target: Target) -> list[dict[str, Any]]:
    entry = (_read_state(store, tns_state_path(to)).get("targets") or {}).get(str(target.id)) or {}
    return list(entry.get("reports") or [])


def report_at(
    store: Store,
    reference: TargetRef,
    to: str,
    dry_run: bool = False,
    position_error_arcsec: float | None = None,
    client: TnsClient | None = None,
    polling: TnsPolling | None = None,
) -> TnsOutcome:
    """Report the target as a new transient (an AT report) to the TNS destination ``to``."""
    where = _destination_of_kind(store, to, "tns")
    settings = report_settings(where)
    target = _resolve(store, reference)
    assert target.id is not None
    earlier = [report for report in _reports_of(store, to, target) if report.get("kind") == AT_KIND]
    pending = [report for report in earlier if report.get("status") in (WAITING, ACCEPTED)]
    if pending and not dry_run:
        return _follow_up(store, to, target, pending[-1], client or tns_client(store, where), polling)
    with store.read() as view:
        rows = target_photometry(view, target.id).to_pylist()
    problems = missing_ids(rows, settings)
    if problems:
        raise ValidationError(f"[sharing.{to}] {problems[0]}", [f"[sharing.{to}] {p}" for p in problems])
    report = at_report(target, rows, settings, position_error_arcsec)
    return _send(store, to, target, AT_KIND, report, dry_run, client or _lazy(store, where, dry_run), polling)


def report_classification(
    store: Store,
    reference: TargetRef,
    to: str,
    object_type: str,
    redshift: float | None = None,
    spectrum_ids: Sequence[int] = (),
    dry_run: bool = False,
    client: TnsClient | None = None,
    polling: TnsPolling | None = None,
) -> TnsOutcome:
    """Report the target's classification (``SN Ia``...) to the TNS destination ``to``."""
    where = _destination_of_kind(store, to, "tns")
    settings = report_settings(where)
    type_id = object_type_id(object_type)
    target = _resolve(store, reference)
    accepted = [
        name for report in _reports_of(store, to, target) for name in report.get("object_names") or []
    ]
    tns_name = tns_name_of([*accepted, target.name, *target.aliases])
    if tns_name is None:
        raise ValidationError(
            f"{target.name}: none of its names is a TNS name (2026abc, AT 2026abc); report it with "
            "`tom-tui report tns-at` first or add its TNS name as an alias"
        )
    client = client or _lazy(store, where, dry_run)
    spectra = _classified_spectra(store, target, tns_name, spectrum_ids, None if dry_run else client)
    report = classification_report(tns_name, type_id, settings, redshift, spectra)
    return _send(store, to, target, CLASSIFICATION_KIND, report, dry_run, client, polling)


def _classified_spectra(
    store: Store, target: Target, tns_name: str, spectrum_ids: Sequence[int], client: TnsClient | None
) -> list[ClassifiedSpectrum]:
    """The spectra named by ``spectrum_ids``, each uploaded to TNS as an ASCII table (Å and a flux
    density Hermes and TNS both name) unless this is a dry run (``client`` None)."""
    spectra = []
    for spectrum_id, spectrum in _spectra(store, target, list(spectrum_ids), None):
        row = spectroscopy_row(target.name, spectrum, f"spectrum {spectrum_id}")
        file_name = f"{tns_name}_spectrum_{spectrum_id}.txt"
        if client is not None:
            content = spectrum_ascii(row["wavelength"], row["flux"], row["flux_units"])
            file_name = client.upload_file(file_name, content)
        assert spectrum.mjd is not None  # spectroscopy_row refuses a spectrum without a date
        spectra.append(ClassifiedSpectrum(spectrum.mjd, spectrum.instrument, spectrum.telescope, file_name))
    return spectra


def _lazy(store: Store, where: Destination, dry_run: bool) -> TnsClient | None:
    """No client (and no credentials needed) for a dry run."""
    return None if dry_run else tns_client(store, where)


def _send(
    store: Store,
    to: str,
    target: Target,
    kind: str,
    report: dict[str, Any],
    dry_run: bool,
    client: TnsClient | None,
    polling: TnsPolling | None,
) -> TnsOutcome:
    outcome = TnsOutcome(to, kind, target.name, dry_run, report)
    if dry_run or client is None:
        return outcome
    report_id = client.send_report(report)
    record = {"kind": kind, "report_id": report_id, "sent": now_iso(), "status": WAITING, "report": report}
    _save_report(store, to, target, record)
    return _follow_up(store, to, target, record, client, polling)


def _follow_up(
    store: Store,
    to: str,
    target: Target,
    record: dict[str, Any],
    client: TnsClient,
    polling: TnsPolling | None,
) -> TnsOutcome:
    """Ask for the reply of a sent report (unless it already has one) and remember it."""
    outcome = TnsOutcome(to, str(record["kind"]), target.name, False, dict(record.get("report") or {}))
    outcome.report_id = str(record["report_id"])
    if record.get("status") == WAITING:
        wait = polling or TnsPolling()
        reply = client.wait_for_reply(outcome.report_id, wait.attempts, wait.interval, wait.sleep)
        if reply is not None:
            record = {**record, **_reply_fields(reply)}
            _save_report(store, to, target, record)
    outcome.status = str(record.get("status"))
    outcome.object_names = list(record.get("object_names") or [])
    outcome.messages = list(record.get("messages") or [])
    return outcome


def _reply_fields(reply: TnsReply) -> dict[str, Any]:
    return {
        "status": ACCEPTED if reply.accepted else REJECTED,
        "replied": now_iso(),
        "reply": reply.answer,
        "object_names": reply.object_names,
        "messages": reply.messages,
    }


def _save_report(store: Store, to: str, target: Target, record: dict[str, Any]) -> None:
    """Add or update (by report id) one report of the target in the destination's state."""

    def change(document: dict[str, Any]) -> None:
        targets = dict(document.get("targets") or {})
        entry = dict(targets.get(str(target.id)) or {"name": target.name})
        reports = [r for r in entry.get("reports") or [] if r.get("report_id") != record["report_id"]]
        entry["reports"] = [*reports, record]
        targets[str(target.id)] = entry
        document["targets"] = targets

    _update_state(store, tns_state_path(to), change)
