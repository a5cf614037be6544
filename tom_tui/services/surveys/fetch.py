"""Survey photometry of targets: ask a survey service, store what it has, remember that it asked.

:func:`fetch_survey` takes one target, several, or a target list, asks the survey service (an
adapter of the ``tom_tui.surveys`` plugin group, configured from ``[surveys.<name>]``) for the
photometry at each target's position, and hands it to the one photometry engine
(:func:`tom_tui.services.photometry.ingest.ingest`) with duplicate points skipped, so fetching
twice adds nothing. What each service answered, even "nothing there", is remembered per target
and position in ``state/surveys/<survey>.json`` with the photometry it brought (one transaction),
so a second run skips the target unless asked again (``force``), asked for what is new since the
last fetch (``new``), or given a start date (``since_mjd``). A target that moved (its position was
edited) is fetched again. A queued service's pending task is remembered in the same document the
moment it is accepted, so a run that is killed while waiting polls that task next time instead of
submitting it again.

One target failing (no position, a service error) does not stop the others: the summary says
which failed and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tom_tui.adapters.http import HttpClient
from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyPendingError, SurveyService
from tom_tui.domain.clock import now_iso, now_mjd
from tom_tui.domain.errors import TomError, ValidationError
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint, with_target_ids
from tom_tui.domain.sky import separation_arcsec
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.ephemeris import proper_motion_position
from tom_tui.services import plugins
from tom_tui.services.photometry.ingest import ingest
from tom_tui.services.targets.lists import ListService
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store
from tom_tui.store.transaction import StoreView, Transaction

STATE_DIR = "state/surveys"
# A remembered fetch is for the same position when the target moved less than this.
SAME_POSITION_ARCSEC = 0.5
# With ``new``: ask again from this long before the last fetch, for data a survey publishes late.
NEW_DATA_OVERLAP_DAYS = 3.0
DUPLICATES_SKIPPED = DedupPolicy(on_duplicate=OnDuplicatePoint.IGNORE)

ProgressFunction = Callable[[int, int, str], None]


def survey_names() -> tuple[str, ...]:
    """Names of the installed survey services, without importing any of them."""
    return plugins.plugin_names(plugins.SURVEYS)


def make_service(store: Store | None, survey: str, client: HttpClient | None = None) -> SurveyService:
    """Survey service ``survey`` with its ``[surveys.<name>]`` settings and the store's credentials."""
    config = store.config if store is not None else None
    root = store.root if store is not None else None
    return plugins.make_survey(survey, config, root, client)


def state_path(survey: str) -> str:
    return f"{STATE_DIR}/{survey}.json"


@dataclass(frozen=True)
class TargetListRef:
    """The members of a target list, by the list's name."""

    name: str


TargetsOrList = TargetRef | Sequence[TargetRef] | TargetListRef


@dataclass
class TargetFetch:
    """What one target's fetch did: ``status`` is added (new points or none new), empty (the
    survey has nothing there), skipped (fetched before), pending (queued at the service) or
    failed (``reason`` says why)."""

    target_id: int | None
    name: str
    status: str
    added: int = 0
    duplicates: int = 0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "name": self.name,
            "status": self.status,
            "added": self.added,
            "duplicates": self.duplicates,
            "reason": self.reason,
        }


@dataclass
class SurveyFetchSummary:
    """What one :func:`fetch_survey` did, target by target."""

    survey: str
    targets: list[TargetFetch] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for target in self.targets if target.status == status)

    @property
    def added(self) -> int:
        return sum(target.added for target in self.targets)

    @property
    def duplicates(self) -> int:
        return sum(target.duplicates for target in self.targets)

    @property
    def failed(self) -> list[TargetFetch]:
        return [target for target in self.targets if target.status == "failed"]

    def counts(self) -> dict[str, int]:
        return {
            "targets": len(self.targets),
            "added": self.added,
            "duplicates": self.duplicates,
            "empty": self.count("empty"),
            "skipped": self.count("skipped"),
            "pending": self.count("pending"),
            "failed": self.count("failed"),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "survey": self.survey,
            **self.counts(),
            "results": [target.to_json() for target in self.targets],
        }

    def describe(self) -> str:
        """One line for a person: what was added, and how many were empty, skipped or failed."""
        counts = self.counts()
        parts = [f"{counts['added']} point(s) added", f"{counts['duplicates']} already stored"]
        parts += [f"{counts[key]} {key}" for key in ("empty", "skipped", "pending", "failed") if counts[key]]
        return f"{self.survey}: {len(self.targets)} target(s); " + ", ".join(parts)


class StoreTaskMemory:
    """A survey's pending tasks in its state document, each written in its own transaction at
    once (so a process killed a moment later still knows the task)."""

    def __init__(self, store: Store, survey: str) -> None:
        self.store = store
        self.rel = state_path(survey)

    def recall(self, key: str) -> str | None:
        with self.store.read() as view:
            tasks = _document(view, self.rel)["tasks"]
        found = tasks.get(key)
        return str(found) if isinstance(found, str) else None

    def remember(self, key: str, task_url: str) -> None:
        with self.store.transaction() as tx:
            document = _document(tx, self.rel)
            document["tasks"][key] = task_url
            tx.write_json(self.rel, document)

    def forget(self, key: str) -> None:
        with self.store.transaction() as tx:
            document = _document(tx, self.rel)
            if document["tasks"].pop(key, None) is not None:
                tx.write_json(self.rel, document)


def _document(view: StoreView, rel: str) -> dict[str, Any]:
    """The survey's state document (``targets`` and ``tasks``), empty when there is none yet."""
    stored = view.read_json(rel)
    document = dict(stored) if isinstance(stored, dict) else {}
    for part in ("targets", "tasks"):
        value = document.get(part)
        document[part] = dict(value) if isinstance(value, dict) else {}
    return document


def remembered_fetches(store: Store, survey: str) -> dict[str, dict[str, Any]]:
    """Per target id, what the survey answered last time (position, when, how many points)."""
    with store.read() as view:
        targets: dict[str, dict[str, Any]] = _document(view, state_path(survey))["targets"]
    return targets


@dataclass(frozen=True)
class FetchRequest:
    """How :func:`fetch_survey` asks: again regardless (``force``), only for what is new since the
    last fetch (``new``), from a date (``since_mjd``), within a radius (None: the service's)."""

    force: bool = False
    new: bool = False
    since_mjd: float | None = None
    radius_arcsec: float | None = None


def fetch_survey(
    store: Store,
    targets: TargetsOrList,
    survey: str = "simulated",
    *,
    force: bool = False,
    new: bool = False,
    since_mjd: float | None = None,
    radius_arcsec: float | None = None,
    client: HttpClient | None = None,
    progress: ProgressFunction | None = None,
) -> SurveyFetchSummary:
    """Fetch ``survey``'s photometry of each target and store it (see the module docstring).

    ``progress(done, total, name)`` is called before each target. Raises only for what stops
    everything (an unknown survey or target list, a bad setting); per-target problems are in the
    summary.
    """
    service = make_service(store, survey, client)
    request = FetchRequest(force, new, since_mjd, radius_arcsec)
    chosen = _targets_of(store, targets)
    memory = StoreTaskMemory(store, survey)
    summary = SurveyFetchSummary(survey)
    for done, target in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), target.name)
        summary.targets.append(_fetch_one(store, service, target, request, memory))
    if progress is not None:
        progress(len(chosen), len(chosen), "")
    return summary


def _targets_of(store: Store, targets: TargetsOrList) -> list[Target]:
    if isinstance(targets, TargetListRef):
        references: Sequence[TargetRef] = ListService(store).get(targets.name).members
    elif isinstance(targets, int | str):
        references = [targets]
    else:
        references = list(targets)
    service = TargetService(store)
    return [service.get(reference) for reference in references]


def _fetch_one(
    store: Store, service: SurveyService, target: Target, request: FetchRequest, memory: StoreTaskMemory
) -> TargetFetch:
    result = TargetFetch(target.id, target.name, "failed")
    if target.id is None or target.ra is None or target.dec is None:
        result.reason = "no fixed position (a moving or position-less target); survey photometry needs one"
        return result
    radius = service.radius(request.radius_arcsec)
    record = remembered_fetches(store, service.name).get(str(target.id))
    since, skip_reason = _since(service, target, radius, record, request)
    if skip_reason:
        result.status, result.reason = "skipped", skip_reason
        return result
    ra, dec = survey_position(service, target)
    try:
        answer = service.fetch(ra, dec, radius_arcsec=radius, name=target.name, since_mjd=since, tasks=memory)
    except SurveyPendingError as pending:
        result.status, result.reason = "pending", str(pending)
        return result
    except TomError as error:
        result.reason = str(error)
        return result
    try:
        return _store_answer(store, target, answer, since, result)
    except TomError as error:  # a point no route may store: nothing of this answer is kept
        result.status, result.reason = "failed", str(error)
        return result


def survey_position(service: SurveyService, target: Target) -> tuple[float, float]:
    """Where to look for the target in the survey: its position moved by its proper motion to the
    survey's typical epoch (a star moving 100 mas/yr is 1.6" from its J2000 place in ZTF)."""
    assert target.ra is not None and target.dec is not None
    if service.position_epoch_mjd is None:
        return target.ra, target.dec
    return proper_motion_position(
        target.ra, target.dec, target.pm_ra, target.pm_dec, target.epoch, service.position_epoch_mjd
    )


def _since(
    service: SurveyService,
    target: Target,
    radius: float,
    record: dict[str, Any] | None,
    request: FetchRequest,
) -> tuple[float | None, str]:
    """The start date to ask from, or why the target is skipped."""
    if request.since_mjd is not None or request.force or record is None:
        return request.since_mjd, ""
    if not _same_cone(record, target, radius):
        return None, ""
    fetched = float(record.get("fetched_mjd", 0.0))
    if request.new and service.takes_new_data:
        return max(fetched - NEW_DATA_OVERLAP_DAYS, 0.0), ""
    when = str(record.get("fetched", "before"))
    return None, f"fetched on {when}; fetch again with --force, or only new data with --new"


def _same_cone(record: dict[str, Any], target: Target, radius: float) -> bool:
    try:
        ra, dec, old_radius = float(record["ra"]), float(record["dec"]), float(record["radius_arcsec"])
    except (KeyError, TypeError, ValueError):
        return False
    moved = float(separation_arcsec(ra, dec, float(target.ra or 0.0), float(target.dec or 0.0)))
    return math.isfinite(moved) and moved < SAME_POSITION_ARCSEC and math.isclose(old_radius, radius)


def _store_answer(
    store: Store, target: Target, answer: SurveyAnswer, since: float | None, result: TargetFetch
) -> TargetFetch:
    """Ingest the answer's points and remember the answer, in one transaction."""
    assert target.id is not None
    rows = answer.photometry.num_rows
    with store.transaction() as tx:
        if rows:
            outcome = ingest(
                tx,
                with_target_ids(answer.photometry, target.id),
                policy=DUPLICATES_SKIPPED,
                source=f"survey {answer.survey}",
            )
            result.added, result.duplicates = outcome.added, outcome.duplicates_skipped
        _remember(tx, target, answer, since)
    result.status = "empty" if answer.empty else "added"
    result.reason = answer.note
    return result


def _remember(tx: Transaction, target: Target, answer: SurveyAnswer, since: float | None) -> None:
    rel = state_path(answer.survey)
    document = _document(tx, rel)
    mjd = answer.photometry.column("mjd")
    document["targets"][str(target.id)] = {
        "name": target.name,
        "ra": target.ra,
        "dec": target.dec,
        "asked_ra": answer.ra,
        "asked_dec": answer.dec,
        "radius_arcsec": answer.radius_arcsec,
        "fetched": now_iso(),
        "fetched_mjd": now_mjd(),
        "since_mjd": since,
        "rows": answer.photometry.num_rows,
        "empty": answer.empty,
        "last_mjd": None if len(mjd) == 0 else float(max(mjd.to_pylist())),
        "note": answer.note,
    }
    tx.write_json(rel, document)


def describe_surveys(store: Store | None) -> list[dict[str, Any]]:
    """Every installed survey service with its settings (as configured in the store, if any)."""
    rows = []
    for name in survey_names():
        try:
            rows.append(make_service(store, name).describe())
        except (TomError, ImportError) as error:
            rows.append({"name": name, "error": str(error)})
    return rows


def parse_since(raw: str) -> float:
    """``--since`` as an MJD: a number is an MJD, anything else an ISO 8601 date or time (UTC)."""
    from tom_tui.domain.clock import to_mjd
    from tom_tui.domain.options import parse_utc

    text = raw.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return to_mjd(parse_utc(text))
    except ValueError:
        raise ValidationError(f"--since {raw!r}: expected an MJD (60000.5) or a date (2026-01-31)") from None


def survey_choices() -> list[tuple[str, str]]:
    """(name, "name — label") of every installed survey service, for a picker."""
    choices = []
    for name in survey_names():
        try:
            label = plugins.survey_class(name).label
        except (TomError, ImportError):
            continue
        choices.append((name, f"{name} — {label}"))
    return choices


def fetch_records(store: Store, target: TargetRef | None = None) -> list[dict[str, Any]]:
    """What every survey answered, per target (or for one target): one row per target and survey,
    with the tasks still queued; sorted by target id, then survey."""
    chosen = None if target is None else TargetService(store).get(target).id
    rows: list[dict[str, Any]] = []
    with store.read() as view:
        for rel in view.list_dir(STATE_DIR):
            survey = rel.rsplit("/", 1)[-1].removesuffix(".json")
            document = _document(view, rel)
            for target_id, record in document["targets"].items():
                if chosen is None or str(chosen) == target_id:
                    rows.append({"target_id": int(target_id), "survey": survey, **record})
            if chosen is None:
                rows.extend(
                    {"target_id": None, "survey": survey, "pending_task": url}
                    for url in document["tasks"].values()
                )
    return sorted(rows, key=lambda row: (row["target_id"] is None, row["target_id"] or 0, row["survey"]))
