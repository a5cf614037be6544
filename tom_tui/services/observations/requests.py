"""Observation requests: submit, follow, cancel, fetch the data. What the CLI, TUI and cron call.

Network calls (submit, poll, download) never happen under the store lock: the service reads
what it needs, talks to the facilities, then writes everything it learned in one transaction.
A record changed by another process in between is left for the next update.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tom_tui.adapters.facilities.base import (
    DataProduct as FacilityProduct,
)
from tom_tui.adapters.facilities.base import (
    Facility,
    StatusReport,
    SubmittedObservation,
)
from tom_tui.domain.clock import now, now_iso
from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.domain.errors import TomError, ValidationError
from tom_tui.domain.observations import Cadence, ObservationRecord, StatusChange, Template
from tom_tui.domain.options import parse_utc
from tom_tui.domain.target import Target
from tom_tui.services.observations.frames import attach_files, store_frame
from tom_tui.services.observations.notices import StatusNotice, notify
from tom_tui.services.plugins import load_facility
from tom_tui.store.dataproducts import DataProductRepository
from tom_tui.store.observations import ObservationRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

log = logging.getLogger("tom_tui.observations")
DEFAULT_FACILITY = "simulated"
STATUS_GROUPS = ("open", "terminal", "failed", "completed")
DATA_GRACE = dt.timedelta(days=3)


def jsonable(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, dt.datetime) else value
        for key, value in parameters.items()
    }


@dataclass
class UpdateSummary:
    polled: int = 0
    notices: list[StatusNotice] = field(default_factory=list)
    downloaded: int = 0
    errors: list[str] = field(default_factory=list)
    new_requests: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "polled": self.polled,
            "changes": [notice.__dict__ for notice in self.notices],
            "downloaded": self.downloaded,
            "errors": self.errors,
            "new_requests": self.new_requests,
        }


@dataclass
class RequestPreview:
    """A request as it would be sent (``tom-tui obs request --dry-run``)."""

    facility: str
    target: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"facility": self.facility, "target": self.target, "payload": self.payload}


@dataclass
class _Learned:
    """What one poll found out about one record (applied later in one transaction)."""

    record: ObservationRecord
    report: StatusReport | None = None
    error: str | None = None
    files: list[tuple[FacilityProduct, Path]] = field(default_factory=list)
    data_complete: bool = False


def _first_cadence(
    cadence_id: int,
    record: ObservationRecord,
    parameters: Mapping[str, Any],
    cadence: tuple[float, int, str | None],
) -> Cadence:
    """The cadence that repeats a just-submitted request (which counts as its first of ``count``)."""
    every_days, count, until = cadence
    return Cadence(
        id=cadence_id,
        target_id=record.target_id,
        facility=record.facility,
        parameters=jsonable({k: v for k, v in parameters.items() if k not in ("start", "end")}),
        every_days=every_days,
        remaining=count - 1,
        next_due=(now() + dt.timedelta(days=every_days)).isoformat(timespec="seconds"),
        created=record.created,
        until=until,
        template=record.template,
        active=count > 1,
        observation_ids=[record.id],
    )


class ObservationService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._facilities: dict[str, Facility] = {}

    # -- facilities --
    @property
    def default_facility(self) -> str:
        return str(self.store.setting("observations", "default_facility", DEFAULT_FACILITY))

    def facility(self, name: str) -> Facility:
        if name not in self._facilities:
            settings = dict((self.store.config.get("facilities") or {}).get(name) or {})
            settings.setdefault("store_root", str(self.store.root))
            self._facilities[name] = load_facility(name, settings)
        return self._facilities[name]

    # -- reading --
    def records(
        self, status: str | None = None, facility: str | None = None, target: str | None = None
    ) -> list[ObservationRecord]:
        with self.store.read() as view:
            records = ObservationRepository(view).all()
            target_id = TargetRepository(view).resolve(target).id if target else None
        if facility:
            records = [r for r in records if r.facility == facility]
        if target_id is not None:
            records = [r for r in records if r.target_id == target_id]
        if status:
            wanted = status.strip()
            if wanted.lower() == "open":
                records = [r for r in records if r.is_open]
            elif wanted.lower() == "terminal":
                records = [r for r in records if r.terminal]
            elif wanted.lower() == "failed":
                records = [r for r in records if r.failed]
            else:
                records = [r for r in records if r.status.upper() == wanted.upper()]
        return records

    def get(self, record_id: int) -> ObservationRecord:
        with self.store.read() as view:
            return ObservationRepository(view).get(record_id)

    # -- requesting --
    def request(
        self,
        target_ref: str,
        facility_name: str | None = None,
        options: Mapping[str, Any] | None = None,
        template: str | None = None,
        cadence: tuple[float, int, str | None] | None = None,
        rule: str | None = None,
    ) -> ObservationRecord:
        """Validate and submit a request; every problem is reported at once, nothing is sent then."""
        target, name, raw = self._requested(target_ref, facility_name, options, template)
        return self._submit(target, name, raw, template=template, cadence=cadence, rule=rule)

    def preview(
        self,
        target_ref: str,
        facility_name: str | None = None,
        options: Mapping[str, Any] | None = None,
        template: str | None = None,
    ) -> RequestPreview:
        """What :meth:`request` would send, validated the same way; nothing is sent or stored."""
        target, name, raw = self._requested(target_ref, facility_name, options, template)
        facility = self.facility(name)
        request, problems = facility.prepare(target, raw)
        if problems:
            raise ValidationError(problems[0], problems)
        return RequestPreview(name, target.name, facility.describe_request(request))

    def _requested(
        self,
        target_ref: str,
        facility_name: str | None,
        options: Mapping[str, Any] | None,
        template: str | None,
    ) -> tuple[Target, str, dict[str, Any]]:
        """The target, the facility name and the raw options a request asks for."""
        with self.store.read() as view:
            target = TargetRepository(view).resolve(target_ref)
            template_record = ObservationRepository(view).template(template) if template else None
        if template_record is not None and facility_name and facility_name != template_record.facility:
            raise ValidationError(
                f"template {template!r} is for facility {template_record.facility!r}, not {facility_name!r}"
            )
        name = facility_name or (template_record.facility if template_record else self.default_facility)
        raw = dict(template_record.parameters if template_record else {})
        raw.update({key: value for key, value in (options or {}).items() if value is not None})
        return target, name, raw

    def _submit(
        self,
        target: Target,
        facility_name: str,
        raw: Mapping[str, Any],
        template: str | None = None,
        cadence: tuple[float, int, str | None] | None = None,
        rule: str | None = None,
        cadence_id: int | None = None,
    ) -> ObservationRecord:
        facility = self.facility(facility_name)
        request, problems = facility.prepare(target, raw)
        if problems:
            raise ValidationError(problems[0], problems)
        if cadence is not None:
            every_days, count, _ = cadence
            if every_days <= 0 or count < 1:
                raise ValidationError("cadence: expected a positive number of days and at least one repeat")
        facility_id = facility.submit(request)
        stamp = now_iso()
        assert target.id is not None
        with self.store.transaction() as tx:
            repository = ObservationRepository(tx)
            record = ObservationRecord(
                id=repository.new_id(),
                target_id=target.id,
                target_name=target.name,
                facility=facility_name,
                facility_id=facility_id,
                parameters=jsonable(request.parameters),
                status="PENDING",
                submitted=stamp,
                created=stamp,
                modified=stamp,
                history=[StatusChange(stamp, "PENDING", f"submitted as {facility_id}")],
                template=template,
                rule=rule,
                cadence_id=cadence_id,
            )
            if cadence is not None:
                new_cadence = _first_cadence(repository.new_cadence_id(), record, request.parameters, cadence)
                record.cadence_id = new_cadence.id
                repository.save_cadence(new_cadence)
            repository.save_many([record])
        log.info(
            "observation %s of %s submitted to %s as %s", record.id, target.name, facility_name, facility_id
        )
        return record

    def cancel(self, record_id: int) -> ObservationRecord:
        record = self.get(record_id)
        if record.terminal:
            raise ValidationError(f"observation {record_id} is already {record.status}; nothing to cancel")
        facility = self.facility(record.facility)
        status = facility.cancel(self._submitted(record, self._target(record)))
        return self._set_status(record_id, status or "CANCELED", "canceled by the user", facility)

    def set_status(self, record_id: int, status: str, detail: str = "") -> ObservationRecord:
        """Set a status by hand (facilities without an API, such as ``manual``)."""
        record = self.get(record_id)
        facility = self.facility(record.facility)
        known = set(getattr(facility, "statuses", ())) or None
        if known is not None and status not in known:
            raise ValidationError(
                f"status: {status!r} is not a status of {record.facility}; "
                f"expected one of {', '.join(sorted(known))}"
            )
        if known is None:
            raise ValidationError(
                f"facility {record.facility!r} reports its own statuses; use `tom-tui obs update`"
            )
        return self._set_status(record_id, status, detail or "set by hand", facility)

    def _set_status(self, record_id: int, status: str, detail: str, facility: Facility) -> ObservationRecord:
        with self.store.transaction() as tx:
            repository = ObservationRepository(tx)
            record = repository.get(record_id)
            old = record.status
            self._apply_status(record, StatusReport(status, detail=detail), facility, now_iso())
            repository.save_many([record])
        notify(
            self.store.config,
            [StatusNotice(record.id, record.target_name, record.facility, old, status, detail)],
        )
        return record

    @staticmethod
    def _apply_status(
        record: ObservationRecord, report: StatusReport, facility: Facility, stamp: str
    ) -> bool:
        changed = False
        if report.status != record.status:
            record.history.append(StatusChange(stamp, report.status, report.detail))
            record.status = report.status
            changed = True
        start = report.scheduled_start.isoformat() if report.scheduled_start else record.scheduled_start
        end = report.scheduled_end.isoformat() if report.scheduled_end else record.scheduled_end
        if (start, end) != (record.scheduled_start, record.scheduled_end):
            record.scheduled_start, record.scheduled_end = start, end
            changed = True
        record.terminal = facility.is_terminal(record.status)
        record.failed = facility.is_failed(record.status)
        if changed:
            record.modified = stamp
        return changed

    # -- following --
    def _target(self, record: ObservationRecord) -> Target:
        with self.store.read() as view:
            return TargetRepository(view).get(record.target_id)

    @staticmethod
    def _submitted(record: ObservationRecord, target: Target) -> SubmittedObservation:
        return SubmittedObservation(
            record.facility_id, target, dict(record.parameters), parse_utc(record.submitted), record.status
        )

    def update(
        self,
        download: bool = True,
        workers: int | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> UpdateSummary:
        """Poll every open request, fetch the data of completed ones, run due cadences;
        ``progress(done, total, what)`` hears about each request as its data is handled."""
        summary = UpdateSummary()
        with self.store.read() as view:
            records = ObservationRepository(view).open_records()
            targets = {t.id: t for t in TargetRepository(view).get_many({r.target_id for r in records})}
        by_facility: dict[str, list[ObservationRecord]] = defaultdict(list)
        for record in records:
            if record.target_id in targets:
                by_facility[record.facility].append(record)
        with tempfile.TemporaryDirectory(prefix="tom-tui-obs-") as scratch:
            learned: list[_Learned] = []
            for facility_name, facility_records in by_facility.items():
                try:
                    facility = self.facility(facility_name)
                except TomError as error:
                    summary.errors.append(str(error))
                    continue
                learned.extend(
                    self._poll(facility, facility_records, targets, Path(scratch), download, workers)
                )
                if progress is not None:
                    progress(len(learned), len(records), facility_name)
            summary.polled = len(learned)
            self._commit(learned, summary)
        summary.errors.extend(item.error for item in learned if item.error)
        summary.errors.extend(notify(self.store.config, summary.notices))
        summary.new_requests = self.run_cadences()
        return summary

    def _poll(
        self,
        facility: Facility,
        records: Sequence[ObservationRecord],
        targets: Mapping[int | None, Target],
        scratch: Path,
        download: bool,
        workers: int | None,
    ) -> list[_Learned]:
        submitted = [self._submitted(record, targets[record.target_id]) for record in records]
        kwargs = {"workers": workers} if workers else {}
        reports = facility.update_statuses(submitted, **kwargs)
        learned: list[_Learned] = []
        for record, observation, report in zip(records, submitted, reports, strict=True):
            item = _Learned(record)
            learned.append(item)
            if isinstance(report, TomError):
                item.error = f"observation {record.id} ({record.facility} {record.facility_id}): {report}"
                continue
            item.report = report
            if not download or report.status != facility.completed_state:
                continue
            try:
                products = facility.data_products(observation)
                folder = scratch / str(record.id)
                folder.mkdir()
                for product in products:
                    destination = folder / safe_file_name(product.filename)
                    facility.download(observation, product, destination)
                    item.files.append((product, destination))
                item.data_complete = bool(products) or self._data_overdue(record, facility)
            except TomError as error:
                item.error = f"observation {record.id}: data not fetched yet: {error}"
        return learned

    @staticmethod
    def _data_overdue(record: ObservationRecord, facility: Facility) -> bool:
        """No files for a completed request: archives lag behind telescopes, so keep asking for
        a while; give up (and stop polling) once ``DATA_GRACE`` has passed since completion."""
        if not facility.delivers_data:
            return True
        completed = [c.time for c in record.history if c.status == facility.completed_state]
        return bool(completed) and now() - parse_utc(completed[0]) > DATA_GRACE

    def _commit(self, learned: Sequence[_Learned], summary: UpdateSummary) -> None:
        stamp = now_iso()
        with self.store.transaction() as tx:
            repository = ObservationRepository(tx)
            products = DataProductRepository(tx)
            current = {record.id: record for record in repository.all()}
            changed: list[ObservationRecord] = []
            for item in learned:
                record = current.get(item.record.id)
                if record is None or record.modified != item.record.modified:
                    continue  # deleted or changed by another process since we read it
                facility = self.facility(record.facility)
                dirty = False
                if item.error and record.last_error != item.error:
                    record.last_error, dirty = item.error, True
                if item.report is not None:
                    old = record.status
                    if self._apply_status(record, item.report, facility, stamp):
                        dirty = True
                        if old != record.status:
                            summary.notices.append(
                                StatusNotice(
                                    record.id,
                                    record.target_name,
                                    record.facility,
                                    old,
                                    record.status,
                                    item.report.detail,
                                )
                            )
                    if not item.error and record.last_error:
                        record.last_error, dirty = None, True
                for product, path in item.files:
                    product_id = store_frame(tx, products, record, product, path, stamp)
                    if product_id is not None:
                        record.data_products.append(product_id)
                        summary.downloaded += 1
                        dirty = True
                if item.data_complete and not record.data_complete:
                    record.data_complete, dirty = True, True
                if dirty:
                    record.modified = stamp
                    changed.append(record)
            repository.save_many(changed)

    def attach_files(self, record_id: int, files: Sequence[Path], telescope: str, night: str) -> list[int]:
        """Add files observed outside any API (the manual facility) to an observation."""
        return attach_files(self.store, record_id, files, telescope, night)

    # -- cadences --
    def run_cadences(self) -> list[int]:
        """Submit the next request of every cadence that is due; returns the new record ids."""
        moment = now()
        with self.store.read() as view:
            due = [
                c
                for c in ObservationRepository(view).cadences()
                if c.active and parse_utc(c.next_due) <= moment
            ]
            targets = {t.id: t for t in TargetRepository(view).get_many({c.target_id for c in due})}
        created: list[int] = []
        for cadence in due:
            target = targets.get(cadence.target_id)
            if target is None:
                continue
            expired = cadence.until is not None and parse_utc(cadence.until) < moment
            record: ObservationRecord | None = None
            if not expired:
                window_end = moment + dt.timedelta(days=cadence.every_days)
                parameters = dict(cadence.parameters, start=moment.isoformat(), end=window_end.isoformat())
                try:
                    record = self._submit(
                        target, cadence.facility, parameters, template=cadence.template, cadence_id=cadence.id
                    )
                    created.append(record.id)
                except TomError as error:
                    log.warning("cadence %s: %s", cadence.id, error)
            with self.store.transaction() as tx:
                repository = ObservationRepository(tx)
                if record is not None:
                    cadence.observation_ids.append(record.id)
                    cadence.remaining -= 1
                cadence.next_due = (
                    parse_utc(cadence.next_due) + dt.timedelta(days=cadence.every_days)
                ).isoformat()
                cadence.active = cadence.remaining > 0 and not expired
                repository.save_cadence(cadence)
        return created

    def cadences(self) -> list[Cadence]:
        with self.store.read() as view:
            return ObservationRepository(view).cadences()

    # -- templates --
    def templates(self) -> list[Template]:
        with self.store.read() as view:
            return ObservationRepository(view).templates()

    def template(self, name: str) -> Template:
        with self.store.read() as view:
            return ObservationRepository(view).template(name)

    def save_template(
        self, name: str, facility_name: str, options: Mapping[str, Any], description: str = ""
    ) -> Template:
        if not name.strip():
            raise ValidationError("template name: empty; expected a name")
        facility = self.facility(facility_name)
        declared = {option.name: option for option in facility.options}
        problems: list[str] = []
        kept: dict[str, Any] = {}
        # A template may leave options out (the window, say); those it gives must be valid.
        for key, value in options.items():
            option = declared.get(key)
            if option is None:
                problems.append(
                    f"{key}: not an option of {facility_name}; expected one of {', '.join(declared)}"
                )
                continue
            try:
                kept[key] = option.coerce(value)
            except ValidationError as error:
                problems.append(str(error))
        if problems:
            raise ValidationError(problems[0], problems)
        kept = jsonable(kept)
        template = Template(name.strip(), facility_name, kept, now_iso(), description)
        with self.store.transaction() as tx:
            ObservationRepository(tx).save_template(template)
        return template

    def delete_template(self, name: str) -> None:
        with self.store.transaction() as tx:
            ObservationRepository(tx).delete_template(name)
