"""The work of a reduction that runs in worker processes: building one master, reducing one frame.

Each function takes one picklable task (file paths, the instrument profile, the catalog, the
targets to measure) and returns a picklable result; it reads raw frames and masters, and writes
its product to the task's scratch file (a temporary name, renamed when complete), never the
store's records: the run (:mod:`tom_tui.services.reduction.runs`) moves products into the store
and records outcomes in its own process. Nothing here raises for a bad frame: every problem
becomes a flag and a reason on the result, so one frame never stops the others.
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from astropy import units as u
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.utils.exceptions import AstropyWarning

from tom_tui.adapters.astrometry_net import installed_solver
from tom_tui.adapters.instruments.base import InstrumentProfile
from tom_tui.domain.frames import Frame
from tom_tui.domain.reduction import FrameFlag, FrameOutcome, FrameStatus
from tom_tui.domain.text import has_control
from tom_tui.processing.reduction.astrometry import ReferenceCatalog, SolveAstrometry
from tom_tui.processing.reduction.calibrate import CameraConstants, calibration_stages, overscan_and_trim
from tom_tui.processing.reduction.masters import MasterKind, master_bias, master_dark, master_flat
from tom_tui.processing.reduction.photometry import (
    MeasurementContext,
    MeasurePhotometry,
    MeasureTargets,
    TargetPosition,
    source_table_arrow,
)
from tom_tui.processing.reduction.stages import ReductionFrame, Stage, StageFailure

HASH_CHUNK = 1 << 20


class FrameFileProblem(Exception):
    """A raw or master file that cannot be used; ``flag`` says what kind of problem."""

    def __init__(self, flag: FrameFlag, reason: str) -> None:
        super().__init__(reason)
        self.flag = flag


@dataclass(frozen=True)
class MasterTask:
    """One master to build from raw calibration frames of one night and keyword combination."""

    kind: MasterKind
    telescope: str
    night: str
    key: str
    sources: tuple[str, ...]  # absolute paths of the raw frames
    source_ids: tuple[int, ...]
    profile: InstrumentProfile
    output: str  # absolute scratch path of the finished master
    bias: str | None = None  # absolute path of the master bias (darks and flats)
    dark: str | None = None  # absolute path of the master dark per second (flats)


@dataclass(frozen=True)
class MasterResult:
    task: MasterTask
    reason: str = ""  # empty when the master was built
    seconds: float = 0.0

    @property
    def built(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class FrameTask:
    """One light frame to reduce: its raw file, the masters chosen for it, what to measure."""

    frame: Frame
    raw_file: str
    profile: InstrumentProfile
    reduced_file: str  # absolute scratch paths of the products
    sources_file: str
    bias: str | None = None
    dark: str | None = None
    flat: str | None = None
    catalog: ReferenceCatalog | None = None
    targets: tuple[TargetPosition, ...] = ()
    context: MeasurementContext = field(default_factory=MeasurementContext)
    problems: tuple[tuple[int, str], ...] = ()  # (flag, reason) found before the frame was read
    warnings: tuple[tuple[int, str], ...] = ()  # (flag, reason) that do not stop the frame


@dataclass
class FrameResult:
    """A reduced (or failed) frame: its outcome, the targets' measurements, the products written."""

    outcome: FrameOutcome
    measurements: pa.Table | None = None
    reduced_file: str | None = None
    sources_file: str | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_raw(path: str, name: str, sha256: str = "") -> ReductionFrame:
    """A raw frame from its file, checked against the SHA-256 it had when archived."""
    file = Path(path)
    if not file.is_file():
        raise FrameFileProblem(FrameFlag.CORRUPT_FILE, f"{name}: the raw file {path} is missing")
    if sha256 and _sha256(file) != sha256:
        raise FrameFileProblem(
            FrameFlag.CORRUPT_FILE, f"{name}: the raw file changed since it was archived (SHA-256 differs)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            with fits.open(file, memmap=False) as hdul:
                hdu = next(h for h in hdul if h.is_image and h.header.get("NAXIS", 0) >= 2)
                hdu.data  # noqa: B018 - read the pixels now, while the file is open
                if "BUNIT" in hdu.header:
                    hdu.header["BUNIT"] = pixel_unit(str(hdu.header["BUNIT"]))
                frame = ReductionFrame.from_hdu(hdu, name=name)
    except StopIteration:
        raise FrameFileProblem(
            FrameFlag.CORRUPT_FILE, f"{name}: no two-dimensional image in the file"
        ) from None
    except Exception as error:  # a damaged file can fail anywhere inside astropy
        raise FrameFileProblem(
            FrameFlag.CORRUPT_FILE, f"{name}: not a readable FITS image ({error})"
        ) from None
    return frame


def pixel_unit(text: str) -> str:
    """A header's ``BUNIT`` as astropy reads it: ``ADU`` and ``Counts`` as cameras write them
    are ``adu`` and ``count``; a unit astropy does not know is taken as ADU (raw frames are)."""
    for candidate in (text.strip(), text.strip().lower(), text.strip().lower().rstrip("s")):
        unit = u.Unit(candidate, parse_strict="silent")
        if not isinstance(unit, u.UnrecognizedUnit):
            return str(unit.to_string())
    return "adu"


def camera_for(profile: InstrumentProfile, header: Mapping[str, Any], name: str) -> CameraConstants:
    """Gain, read noise, saturation and sections: the profile's values, else the header's."""
    detector = profile.detector_for(header)
    overrides = {
        key: value
        for key, value in (
            ("gain", detector.gain),
            ("read_noise", detector.read_noise),
            ("saturation", detector.saturation),
            ("overscan", detector.overscan),
            ("trim", detector.trim),
        )
        if value is not None
    }
    try:
        return CameraConstants.from_header(header, **overrides)
    except ValueError as error:
        raise FrameFileProblem(FrameFlag.BAD_HEADER, f"{name}: {error}") from None


def read_master(path: str | None) -> CCDData | None:
    if path is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        return CCDData.read(path, unit="adu")


def _write_atomically(path: str, write: Any) -> None:
    """Write through a temporary name and rename, so a killed worker leaves no half file."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)


# -- masters -----------------------------------------------------------------------------------


def _prepared_sources(task: MasterTask) -> list[CCDData]:
    prepared = []
    for path in task.sources:
        name = Path(path).name
        raw = read_raw(path, name)
        camera = camera_for(task.profile, raw.ccd.meta, name)
        prepared.append(overscan_and_trim(raw, camera).ccd)
    return prepared


def build_master(task: MasterTask) -> MasterResult:
    """The master of ``task`` written to ``task.output``; the reason when it cannot be built."""
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            frames = _prepared_sources(task)
            shapes = {frame.shape for frame in frames}
            if len(shapes) > 1:
                sizes = ", ".join(f"{s[1]}x{s[0]}" for s in sorted(shapes))
                raise ValueError(f"its frames differ in size ({sizes}); expected one size")
            bias = read_master(task.bias)
            if task.kind is MasterKind.BIAS:
                master = master_bias(frames)
            elif task.kind is MasterKind.DARK:
                if bias is None:
                    raise ValueError("no master bias for its night; expected bias frames")
                master = master_dark(frames, bias)
            else:
                master = master_flat(frames, bias, read_master(task.dark))
            master.meta["TELESCOP"] = task.telescope
            master.meta["NIGHT"] = (task.night, "observing night of the frames combined")
            master.meta["MASTKEY"] = (task.key, "header values a frame must match")
            _write_atomically(task.output, lambda path: master.write(path, format="fits", overwrite=True))
    except (FrameFileProblem, ValueError, OSError) as error:
        return MasterResult(task, reason=f"{task.kind} master of night {task.night}: {error}")
    except Exception as error:  # an unforeseen failure ends this master only, with its reason
        return MasterResult(
            task, reason=f"{task.kind} master of night {task.night}: {type(error).__name__}: {error}"
        )
    return MasterResult(task, seconds=time.perf_counter() - started)


# -- frames ------------------------------------------------------------------------------------


def frame_stages(task: FrameTask, camera: CameraConstants) -> list[Stage]:
    """The stages of one light frame: calibration, then astrometry, photometry and targets."""
    stages = calibration_stages(
        camera, read_master(task.bias), read_master(task.dark), read_master(task.flat)
    )
    if task.catalog is None:
        return stages
    return [
        *stages,
        # Frames without a usable header WCS are solved blind when solve-field is installed.
        SolveAstrometry(
            task.catalog, blind_solver=installed_solver(task.profile.detector.pixel_scale_arcsec)
        ),
        MeasurePhotometry(task.catalog),
        MeasureTargets(task.targets, task.context),
    ]


def _timed_stages(
    frame: ReductionFrame, stages: Sequence[Stage], timings: dict[str, float]
) -> ReductionFrame:
    for stage in stages:
        started = time.perf_counter()
        frame = stage(frame)
        timings[stage.name] = round(timings.get(stage.name, 0.0) + time.perf_counter() - started, 4)
    return frame


def _new_outcome(task: FrameTask) -> FrameOutcome:
    frame = task.frame
    return FrameOutcome(
        frame_id=frame.id or 0,
        raw_path=frame.path,
        night=frame.night,
        telescope=frame.telescope,
        band=frame.band,
    )


def _fail(outcome: FrameOutcome, flag: int, reason: str) -> FrameResult:
    outcome.flags |= flag
    outcome.reasons.append(reason)
    outcome.status = FrameStatus.FAILED
    return FrameResult(outcome)


def reduce_frame(task: FrameTask) -> FrameResult:
    """One light frame through every stage; its products written, its outcome returned."""
    outcome = _new_outcome(task)
    for flag, reason in task.warnings:
        outcome.flags |= flag
        outcome.reasons.append(reason)
    if task.problems:
        for flag, reason in task.problems[:-1]:
            outcome.flags |= flag
            outcome.reasons.append(reason)
        return _fail(outcome, *task.problems[-1])
    name = Path(task.frame.path).name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            return _reduce(task, outcome, name)
    except FrameFileProblem as problem:
        return _fail(outcome, problem.flag, str(problem))
    except StageFailure as failure:
        return _fail(outcome, failure.flag, failure.reason)
    except Exception as error:  # an unforeseen failure ends this frame only, with its reason
        return _fail(
            outcome, FrameFlag.CRASHED, f"{name}: the reduction stopped: {type(error).__name__}: {error}"
        )


def _reduce(task: FrameTask, outcome: FrameOutcome, name: str) -> FrameResult:
    started = time.perf_counter()
    frame = read_raw(task.raw_file, name, task.frame.sha256)
    outcome.timings["read"] = round(time.perf_counter() - started, 4)
    camera = camera_for(task.profile, frame.ccd.meta, name)
    frame = _timed_stages(frame, frame_stages(task, camera), outcome.timings)
    outcome.flags |= int(frame.flags)
    outcome.reasons.extend(frame.reasons)
    _describe(outcome, frame)
    if frame.dropped:
        outcome.status = FrameStatus.FAILED
        return FrameResult(outcome)
    if task.catalog is None:
        return _fail(outcome, FrameFlag.NO_CATALOG, f"{name}: no reference catalog covers its field")
    started = time.perf_counter()
    frame.ccd.meta, escaped = printable_header(frame.ccd.meta)
    if escaped:
        outcome.flags |= FrameFlag.BAD_HEADER
        outcome.reasons.append(
            f"{name}: control characters in {', '.join(sorted(set(escaped)))} were written as '?'"
        )
    _write_atomically(task.reduced_file, lambda path: _write_reduced(frame.ccd, path))
    sources = frame.results.get("sources")
    if sources is not None:
        _write_atomically(task.sources_file, lambda path: pq.write_table(source_table_arrow(sources), path))
    outcome.timings["write"] = round(time.perf_counter() - started, 4)
    outcome.status = FrameStatus.DONE
    return FrameResult(
        outcome,
        measurements=frame.results.get("target_measurements"),
        reduced_file=task.reduced_file,
        sources_file=task.sources_file if sources is not None else None,
    )


def printable_header(header: Any) -> tuple[Any, list[str]]:
    """The header with control characters in its cards replaced by ``?`` (FITS allows only
    printable ASCII: astropy can neither parse such a card's value nor write it, even with
    silentfix), and the keywords that were changed. The raw frame keeps them as they were."""
    from astropy.io.fits import Header

    changed: list[str] = []
    images: list[str] = []
    for card in header.cards:
        # The card as read from the file: the public ``image`` re-verifies it and would raise.
        image = getattr(card, "_image", None) or card.image
        if has_control(image):
            image = "".join(ch if " " <= ch <= "~" else "?" for ch in image)
            changed.append(card.keyword or "(blank)")
        images.append(image)
    if not changed:
        return header, []
    return Header.fromstring("".join(images)), changed


def _write_reduced(ccd: CCDData, path: Path) -> None:
    ccd.write(
        path,
        format="fits",
        hdu_mask="MASK",
        hdu_uncertainty="UNCERT",
        overwrite=True,
        output_verify="silentfix",
    )


def _describe(outcome: FrameOutcome, frame: ReductionFrame) -> None:
    results = frame.results
    if "fwhm_px" in results:
        outcome.fwhm_px = round(float(results["fwhm_px"]), 3)
    if "astrometric_rms_px" in results:
        outcome.astrometric_rms_px = round(float(results["astrometric_rms_px"]), 4)
    zero_point = results.get("zero_point")
    if zero_point is not None:
        outcome.zero_point = round(float(zero_point.value), 4)
        outcome.zero_point_error = round(float(zero_point.error), 4)
    sources = results.get("sources")
    if sources is not None:
        outcome.star_count = len(sources)
