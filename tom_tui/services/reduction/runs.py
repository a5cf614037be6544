"""Reduction runs: raw frames in the archive to reduced frames, source tables and light curves.

:func:`start_run` picks the light frames of a :class:`~tom_tui.domain.reduction.RunSelection`,
leaves out those already done (or failed) with the same configuration unless told otherwise,
builds the masters they need (:mod:`tom_tui.services.reduction.planning`), reduces every frame in
worker processes (:mod:`tom_tui.services.reduction.work`, on the executor of
:mod:`tom_tui.services.reduction.executors`) and, in this process, moves the products into the
store, puts the tom-tui targets' measurements onto their light curves through
:func:`~tom_tui.services.photometry.ingest.ingest` and keeps the run record. Outcomes are
committed in batches as they arrive, so a killed run keeps what it finished and the next run
takes up the rest. After the frames, every step of :data:`FINISHING_STEPS` runs (polarimetry
adds its own there).
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tom_tui
from tom_tui.adapters.instruments.base import (
    FrameFileError,
    InstrumentProfile,
    PolarimetryMode,
    read_frame_header,
)
from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import TomError, ValidationError
from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint
from tom_tui.domain.reduction import (
    REDUCTION_SOURCE,
    FrameFlag,
    FrameOutcome,
    FrameStatus,
    MasterUsed,
    RunRecord,
    RunSelection,
    configuration_hash,
    frames_summary,
)
from tom_tui.processing.reduction import astrometry, photometry
from tom_tui.processing.reduction.astrometry import ReferenceCatalog
from tom_tui.processing.reduction.masters import STALE_MASTER_DAYS, MasterKind
from tom_tui.processing.reduction.photometry import MeasurementContext
from tom_tui.services.reduction.catalogs import reference_catalog_for
from tom_tui.services.reduction.executors import Executor, open_executor
from tom_tui.services.reduction.outcomes import commit_results, log_line
from tom_tui.services.reduction.planning import FrameMasters, MasterPlan, MasterPlanner, masters_for
from tom_tui.services.reduction.polarimetry import polarimetry_step
from tom_tui.services.reduction.profiles import ProfileChooser
from tom_tui.services.reduction.reference import check_catalog_file, targets_in_field
from tom_tui.services.reduction.work import (
    FrameResult,
    FrameTask,
    MasterResult,
    MasterTask,
    build_master,
    reduce_frame,
)
from tom_tui.store.frames import FrameArchive
from tom_tui.store.reductions import (
    ReductionArchive,
    new_work_folder,
)
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

# Outcomes are committed at least this often (seconds) while frames keep arriving.
COMMIT_EVERY_S = 2.0
RUN_LOCK = ".work/reduction-run.lock"
PIPELINE = ("overscan", "trim", "bias", "dark", "flat", "gain", "astrometry", "photometry", "targets")


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands: ``stage`` is ``masters``, ``frames`` or ``finished``; ``outcome`` is
    the frame that just finished (frames stage only)."""

    run_id: int
    stage: str
    done: int
    total: int
    outcome: FrameOutcome | None = None


ProgressCallback = Callable[[RunProgress], None]
FinishingStep = Callable[[Store, RunRecord, list[FrameOutcome]], None]

# Steps run after the frames of a run are done, each given the store, the run record and the
# outcomes of the frames reduced in this run (polarimetry groups frames by angle here).
FINISHING_STEPS: list[FinishingStep] = [polarimetry_step]


def reduction_configuration(catalog: Path | None = None) -> dict[str, Any]:
    """What decides a reduction's result besides the raw frames: the stages and their settings."""
    return {
        "pipeline": list(PIPELINE),
        "detection_sigma": astrometry.DETECTION_SIGMA,
        "minimum_matches": astrometry.MINIMUM_MATCHES,
        "aperture_fwhm": photometry.APERTURE_FWHM,
        "annulus_fwhm": list(photometry.ANNULUS_FWHM),
        "calibrator_snr": photometry.CALIBRATOR_SNR,
        "stale_master_days": STALE_MASTER_DAYS,
        "catalog": str(catalog.resolve()) if catalog else "default",
    }


@dataclass
class _Plan:
    """What a run will do, decided before anything is written."""

    to_reduce: list[Frame] = field(default_factory=list)
    skipped: list[FrameOutcome] = field(default_factory=list)
    masters: dict[int, FrameMasters] = field(default_factory=dict)
    planner: MasterPlanner | None = None


def start_run(
    store: Store,
    selection: RunSelection | None = None,
    *,
    force: bool = False,
    retry_failed: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    catalog: Path | None = None,
    progress: ProgressCallback | None = None,
) -> RunRecord:
    """Reduce the selected raw light frames and return the run's record (see the module docstring).

    ``force`` reduces frames already done with the same configuration again (their masters too);
    ``retry_failed`` reduces again the frames that failed with it. ``scheduler`` is a Dask
    scheduler address; else ``workers`` local processes (default one per core; one runs here).
    """
    selection = selection or RunSelection()
    configuration = reduction_configuration(catalog)
    config_hash = configuration_hash(configuration, tom_tui.__version__)
    # Every argument is checked before anything is written: a wrong one leaves the store as it was.
    if catalog is not None:
        check_catalog_file(catalog)
    with one_run_at_a_time(store):
        plan = _plan_run(store, selection, config_hash, force=force, retry_failed=retry_failed)
        return _run(store, plan, selection, configuration, scheduler, workers, catalog, force, progress)


@contextlib.contextmanager
def one_run_at_a_time(store: Store) -> Iterator[None]:
    """Hold the store's reduction lock: two runs at once would write the same products and
    masters. A second run (the TUI, cron and a script may all start one) is refused at once."""
    from filelock import FileLock, Timeout

    lock_path = store.root / RUN_LOCK
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ValidationError(
            "another reduction run is working on this store; wait for it to finish "
            "(`tom-tui reduce list` shows it) and start this one again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _run(
    store: Store,
    plan: _Plan,
    selection: RunSelection,
    configuration: dict[str, Any],
    scheduler: str | None,
    workers: int | None,
    catalog: Path | None,
    force: bool,
    progress: ProgressCallback | None,
) -> RunRecord:
    with open_executor(scheduler, workers, len(plan.to_reduce)) as executor:
        record = _new_record(store, selection, configuration, executor)
        record.outcomes = [*plan.skipped, *(_pending(frame) for frame in plan.to_reduce)]
        log_line(
            record,
            f"{len(plan.to_reduce)} frame(s) to reduce, {len(plan.skipped)} skipped ({selection.describe()})",
        )
        work = new_work_folder(store.root)
        try:
            if plan.to_reduce:
                _build_masters(store, plan, record, executor, work, progress)
                tasks = _frame_tasks(store, plan, record, catalog, work)
                _reduce_frames(store, record, tasks, executor, force, progress)
            _finish(store, record)
        except BaseException as error:
            log_line(record, f"stopped: {type(error).__name__} {error}".strip())
            raise
        finally:
            record.finished = now_iso()
            log_line(record, f"finished: {frames_summary(record.outcomes)}")
            _save(store, record)
            shutil.rmtree(work, ignore_errors=True)
            if progress is not None:
                progress(RunProgress(record.id, "finished", len(record.outcomes), len(record.outcomes)))
    return record


def _finish(store: Store, record: RunRecord) -> None:
    """The finishing steps, given the frames this run reduced or failed."""
    reached = [o for o in record.outcomes if o.run_id == record.id and o.status is not FrameStatus.SKIPPED]
    for step in FINISHING_STEPS:
        step(store, record, reached)


def list_runs(store: Store) -> list[RunRecord]:
    """Every run, newest first."""
    with store.read() as view:
        return list(reversed(ReductionArchive(view).runs()))


def run_detail(store: Store, run_id: int | str) -> RunRecord:
    """One run's record; ``run_id`` as a number or as typed (``3``, ``#3``)."""
    with store.read() as view:
        return ReductionArchive(view).get(_run_number(run_id))


def _run_number(run_id: int | str) -> int:
    if isinstance(run_id, int):
        return run_id
    text = run_id.strip().lstrip("#")
    if not text.isdigit():
        raise ValidationError(f"run {run_id!r} is not a run number; see `tom-tui reduce list`")
    return int(text)


def _save(store: Store, record: RunRecord) -> None:
    with store.transaction() as tx:
        ReductionArchive(tx).save_run(record)


def _new_record(
    store: Store, selection: RunSelection, configuration: dict[str, Any], executor: Executor
) -> RunRecord:
    version = tom_tui.__version__
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        record = RunRecord(
            id=archive.new_run_id(),
            created=now_iso(),
            configuration=configuration,
            config_hash=configuration_hash(configuration, version),
            version=version,
            selection=selection,
            scheduler=executor.description,
            workers=executor.workers,
        )
        archive.save_run(record)
    return record


def _pending(frame: Frame) -> FrameOutcome:
    return FrameOutcome(
        frame_id=frame.id or 0,
        raw_path=frame.path,
        night=frame.night,
        telescope=frame.telescope,
        band=frame.band,
    )


# -- choosing the frames -----------------------------------------------------------------------


def _plan_run(
    store: Store, selection: RunSelection, config_hash: str, *, force: bool, retry_failed: bool
) -> _Plan:
    with store.read() as view:
        frames = FrameArchive(view).frames()
        reductions = ReductionArchive(view)
        latest = reductions.latest_outcomes()
        stored_masters = reductions.masters()
        target_id = TargetRepository(view).resolve(selection.target).id if selection.target else None
    chooser = ProfileChooser(store.config)
    polarimetric = frozenset(
        frame.profile
        for frame in frames
        if chooser.named(frame.profile).polarimetry is not PolarimetryMode.NONE
    )
    telescopes = _telescopes(frames, selection)
    planner = MasterPlanner(
        [f for f in frames if f.telescope in telescopes],
        stored_masters,
        config_hash,
        force=force,
        polarimetric_profiles=polarimetric,
    )
    plan = _Plan(planner=planner)
    for frame in frames:
        if frame.image_type is not ImageType.LIGHT or not selection.includes(frame):
            continue
        if target_id is not None and not _about_target(store, frame, target_id):
            continue
        reason = _skip_reason(latest.get(frame.id or 0), config_hash, force, retry_failed)
        if reason:
            plan.skipped.append(replace(_pending(frame), status=FrameStatus.SKIPPED, reasons=[reason]))
            continue
        plan.to_reduce.append(frame)
        plan.masters[frame.id or 0] = masters_for(planner, frame, frame.profile in polarimetric)
    return plan


def _telescopes(frames: Sequence[Frame], selection: RunSelection) -> set[str]:
    return {
        frame.telescope
        for frame in frames
        if not selection.telescope or frame.telescope == selection.telescope
    }


def _about_target(store: Store, frame: Frame, target_id: int) -> bool:
    """A frame taken for the target, or whose field holds it."""
    if frame.target_id == target_id:
        return True
    try:
        header = read_frame_header(store.root / frame.path)
    except FrameFileError:
        return False
    with store.read() as view:
        return any(t.target_id == target_id for t in targets_in_field(TargetRepository(view), header))


def _skip_reason(latest: FrameOutcome | None, config_hash: str, force: bool, retry_failed: bool) -> str:
    if force or latest is None or latest.config_hash != config_hash:
        return ""
    if latest.status is FrameStatus.DONE:
        return f"done in run {latest.run_id} with the same configuration (--force reduces it again)"
    if latest.status is FrameStatus.FAILED and not retry_failed:
        return f"failed in run {latest.run_id} with the same configuration (--retry-failed tries again)"
    return ""


# -- masters -----------------------------------------------------------------------------------


def _build_masters(
    store: Store,
    plan: _Plan,
    record: RunRecord,
    executor: Executor,
    work: Path,
    progress: ProgressCallback | None,
) -> None:
    """Build the masters the frames need, biases first, then darks, then flats (each needs the
    ones before), committing each kind's masters to the store before the next kind starts."""
    planner = plan.planner
    assert planner is not None
    planner.add_dependencies()
    profiles = ProfileChooser(store.config)
    for kind in (MasterKind.BIAS, MasterKind.DARK, MasterKind.FLAT):
        tasks = {
            task.output: (master, task)
            for master, task in (
                _master_task(store, planner, master, profiles, work) for master in planner.to_build(kind)
            )
        }
        built: list[tuple[MasterPlan, MasterResult]] = []
        for result in executor.map_unordered(build_master, [task for _, task in tasks.values()]):
            built.append((tasks[result.task.output][0], result))
            if progress is not None:
                progress(RunProgress(record.id, "masters", len(built), len(tasks)))
        _keep_masters(store, record, built)
    record.masters = [
        replace(
            master.stored,
            built=master.stored.run_id == record.id,
            for_night=planner.fallbacks.get(master.path, ("", None))[0],
            warning=planner.fallbacks.get(master.path, ("", None))[1],
        )
        for master in planner.plans.values()
        if master.stored is not None
    ]
    for for_night, warning in sorted(set(planner.fallbacks.values())):
        log_line(record, f"night {for_night}: {warning}")


def _master_task(
    store: Store,
    planner: MasterPlanner,
    master: MasterPlan,
    profiles: ProfileChooser,
    work: Path,
) -> tuple[MasterPlan, MasterTask]:
    needs = planner.dependencies(master)
    profile = profiles.named(master.sources[0].profile)
    task = MasterTask(
        kind=master.kind,
        telescope=master.telescope,
        night=master.night,
        key=master.key,
        sources=tuple(str(store.root / frame.path) for frame in master.sources),
        source_ids=master.source_ids,
        profile=profile,
        output=str(work / "masters" / f"{uuid.uuid4().hex}.fits"),
        bias=_usable_path(store, needs.bias),
        dark=_usable_path(store, needs.dark),
    )
    return master, task


def _usable_path(store: Store, master: MasterPlan | None) -> str | None:
    """The file of a master that exists in the store (built already, or by an earlier kind)."""
    if master is None or master.failure:
        return None
    path = store.root / master.path
    return str(path) if path.exists() else None


def _keep_masters(store: Store, record: RunRecord, built: list[tuple[MasterPlan, MasterResult]]) -> None:
    kept: list[MasterUsed] = []
    with store.transaction() as tx:
        archive = ReductionArchive(tx)
        for master, result in built:
            if not result.built:
                master.failure = result.reason
                log_line(record, result.reason)
                continue
            archive.adopt(Path(result.task.output), master.path)
            used = MasterUsed(
                kind=master.kind.value,
                key=master.key,
                night=master.night,
                path=master.path,
                telescope=master.telescope,
                keywords=dict(master.keywords),
                source_frame_ids=master.source_ids,
                built=True,
                config_hash=record.config_hash,
                run_id=record.id,
            )
            master.stored = used
            kept.append(used)
            log_line(record, f"built {master.kind} master {master.path} from {len(master.sources)} frame(s)")
        archive.add_masters(kept)
        archive.save_run(record)


# -- frames ------------------------------------------------------------------------------------


def _frame_tasks(
    store: Store, plan: _Plan, record: RunRecord, catalog: Path | None, work: Path
) -> list[FrameTask]:
    profiles = ProfileChooser(store.config)
    context = MeasurementContext(source=REDUCTION_SOURCE, run=str(record.id))
    # Catalogs first: finding one may fetch and cache it, which writes to the store.
    inputs = [_frame_inputs(store, frame, plan.masters[frame.id or 0], catalog) for frame in plan.to_reduce]
    tasks = []
    with store.read() as view:
        targets = TargetRepository(view)
        for frame, (problems, header, found) in zip(plan.to_reduce, inputs, strict=True):
            task = _frame_task(store, frame, plan.masters[frame.id or 0], profiles.named(frame.profile), work)
            positions = targets_in_field(targets, header) if header is not None else ()
            tasks.append(
                replace(task, catalog=found, targets=positions, context=context, problems=tuple(problems))
            )
    for outcome in record.outcomes:
        outcome.run_id = record.id if outcome.status is FrameStatus.PENDING else outcome.run_id
    return tasks


def _frame_inputs(
    store: Store, frame: Frame, masters: FrameMasters, catalog: Path | None
) -> tuple[list[tuple[int, str]], Any, ReferenceCatalog | None]:
    """The problems found before reducing ``frame``, its header and its reference catalog."""
    problems = list(masters.problems)
    problems.extend((int(FrameFlag.NO_MASTER), m.failure) for m in masters.plans() if m.failure)
    try:
        header = read_frame_header(store.root / frame.path)
    except FrameFileError as error:
        return [*problems, (int(FrameFlag.CORRUPT_FILE), str(error))], None, None
    if problems:
        return problems, header, None  # no need to look for the catalog of a frame that cannot go on
    try:
        return problems, header, reference_catalog_for(store, frame, catalog)
    except (TomError, ValueError, OSError) as error:
        return [(int(FrameFlag.NO_CATALOG), str(error))], header, None


def _frame_task(
    store: Store, frame: Frame, masters: FrameMasters, profile: InstrumentProfile, work: Path
) -> FrameTask:
    token = uuid.uuid4().hex
    return FrameTask(
        frame=frame,
        raw_file=str(store.root / frame.path),
        profile=profile,
        reduced_file=str(work / "frames" / f"{token}.fits"),
        sources_file=str(work / "frames" / f"{token}.parquet"),
        bias=_usable_path(store, masters.bias),
        dark=_usable_path(store, masters.dark),
        flat=_usable_path(store, masters.flat),
        warnings=tuple(masters.warnings),
    )


def _reduce_frames(
    store: Store,
    record: RunRecord,
    tasks: list[FrameTask],
    executor: Executor,
    force: bool,
    progress: ProgressCallback | None,
) -> None:
    pending: list[FrameResult] = []
    last_commit = time.monotonic()
    done = 0
    policy = DedupPolicy(on_duplicate=OnDuplicatePoint.UPDATE if force else OnDuplicatePoint.IGNORE)
    try:
        for result in executor.map_unordered(reduce_frame, tasks):
            done += 1
            result.outcome.config_hash, result.outcome.run_id = record.config_hash, record.id
            _replace_outcome(record, result.outcome)
            pending.append(result)
            if progress is not None:
                progress(RunProgress(record.id, "frames", done, len(tasks), result.outcome))
            if time.monotonic() - last_commit >= COMMIT_EVERY_S:
                commit_results(store, record, pending, policy)
                pending, last_commit = [], time.monotonic()
    finally:
        if pending:
            commit_results(store, record, pending, policy)


def _replace_outcome(record: RunRecord, outcome: FrameOutcome) -> None:
    for index, known in enumerate(record.outcomes):
        if known.frame_id == outcome.frame_id:
            record.outcomes[index] = outcome
            return
    record.outcomes.append(outcome)


def frames_not_reduced(store: Store, selection: RunSelection | None = None) -> list[Frame]:
    """Light frames no run has reached yet (what the cron job reduces)."""
    selection = selection or RunSelection()
    with store.read() as view:
        latest = ReductionArchive(view).latest_outcomes()
        frames = FrameArchive(view).frames(image_type=ImageType.LIGHT)
    return [frame for frame in frames if selection.includes(frame) and (frame.id or 0) not in latest]


def outcomes_of_frames(store: Store, frame_ids: Iterable[int]) -> dict[int, FrameOutcome]:
    """The latest outcome of each of ``frame_ids`` that a run has reached."""
    wanted = set(frame_ids)
    with store.read() as view:
        latest = ReductionArchive(view).latest_outcomes()
    return {frame_id: outcome for frame_id, outcome in latest.items() if frame_id in wanted}
