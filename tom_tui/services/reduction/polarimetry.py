"""Polarimetry after a reduction run, and reading a target's polarimetry back.

:func:`measure_polarimetry` is a finishing step of every run
(:data:`tom_tui.services.reduction.runs.FINISHING_STEPS`). It looks at the frames the run
reduced that were taken through an analyser (a ``POLANGLE`` or ``HWPANGLE`` in the header), and
at the other reduced frames of the same telescope and night (a set may have been finished by an
earlier, interrupted run); it takes the count rates of the measurements the run put on the light
curves of the targets in those fields, groups them into sets, applies the instrumental polarisation of each
frame's instrument profile and stores one measurement per set
(:mod:`tom_tui.processing.reduction.polarimetry` says how). Sets that are incomplete are
written to the run's log with the reason. :func:`polarimetry_of` reads a target's measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.adapters.instruments.base import FrameFileError, read_frame_header
from tom_tui.domain.clock import now_iso
from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.photometry_flags import FLAG_IDENTITY_COLUMNS
from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.domain.reduction import REDUCTION_SOURCE, FrameOutcome, FrameStatus, RunRecord
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.plots.polarimetry import (
    PolarimetryPlotData,
    draw_angle,
    draw_degree,
    prepare_polarimetry,
    render_polarimetry_text,
    save_polarimetry_png,
)
from tom_tui.processing.reduction.polarimetry import (
    DEFAULT_MAX_SPAN_MINUTES,
    AngleFlux,
    analyser_of,
    angle_fluxes,
    group_sets,
    measure_set,
)
from tom_tui.services.photometry.flags import flag_rows
from tom_tui.services.reduction.profiles import ProfileChooser
from tom_tui.services.reduction.reference import targets_in_field
from tom_tui.store import photometry as photometry_store
from tom_tui.store.frames import FrameArchive
from tom_tui.store.polarimetry import PolarimetryRepository
from tom_tui.store.reductions import ReductionArchive
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView

__all__ = [
    "PolarimetryOfTarget",
    "PolarimetryPlotData",
    "PolarimetryResult",
    "draw_angle",
    "draw_degree",
    "measure_polarimetry",
    "polarimetry_of",
    "polarimetry_step",
    "render_polarimetry_text",
    "save_plot",
    "save_polarimetry_png",
]

MEASUREMENT_COLUMNS = [
    *("target_id", "mjd", "filter", "mag", "magerr", "flux", "fluxerr"),
    *("source", "extra", "telescope", "instrument"),
]


@dataclass
class PolarimetryResult:
    """What :func:`measure_polarimetry` stored, and why the frames left over made no set."""

    measurements: list[PolarizationMeasurement] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _analyser_frames(view: StoreView, outcomes: Iterable[FrameOutcome]) -> list[Frame]:
    """Reduced frames taken through an analyser: those of ``outcomes`` and the other reduced ones
    of their telescope and night."""
    reduced_now = {outcome.frame_id for outcome in outcomes if outcome.status is FrameStatus.DONE}
    archive = FrameArchive(view)
    nights = {(outcome.telescope, outcome.night) for outcome in outcomes if outcome.frame_id in reduced_now}
    frames = [
        frame
        for telescope, night in sorted(nights)
        for frame in archive.frames(telescope, night, ImageType.LIGHT)
        if analyser_of(frame) is not None and frame.id is not None
    ]
    if not any(frame.id in reduced_now for frame in frames):
        return []
    done = {
        frame_id
        for frame_id, outcome in ReductionArchive(view).latest_outcomes().items()
        if outcome.status is FrameStatus.DONE
    }
    return [frame for frame in frames if frame.id in reduced_now or frame.id in done]


def _targets_on(store: Store, view: StoreView, frames: Sequence[Frame]) -> set[int]:
    """The targets inside the fields of ``frames`` (the ones the run measured on them)."""
    repository = TargetRepository(view)
    found: set[int] = {frame.target_id for frame in frames if frame.target_id is not None}
    for frame in frames:
        try:
            header = read_frame_header(store.root / frame.path)
        except FrameFileError:
            continue  # the run flagged the frame already
        found.update(position.target_id for position in targets_in_field(repository, header))
    return found


def _reduced_measurements(store: Store, view: StoreView, frames: Sequence[Frame]) -> pa.Table:
    """The reduction's measurement rows of the targets in the frames' fields."""
    rows = photometry_store.read_points_many(view, _targets_on(store, view, frames), MEASUREMENT_COLUMNS)
    return rows.filter(pc.equal(rows.column("source"), REDUCTION_SOURCE))


def measure_polarimetry(
    store: Store,
    run: RunRecord,
    outcomes: Sequence[FrameOutcome],
    *,
    max_span_minutes: float = DEFAULT_MAX_SPAN_MINUTES,
) -> PolarimetryResult:
    """Polarimetry of every complete set among the frames of a run (see the module docstring).

    Stores the measurements in one transaction and appends one log line per refused set to the
    run's record (the run saves it)."""
    with store.read() as view:
        frames = _analyser_frames(view, outcomes)
        if not frames:
            return PolarimetryResult()
        rows = _reduced_measurements(store, view, frames)
    fluxes, problems = angle_fluxes(frames, rows)
    sets, refused = group_sets(fluxes, max_span_minutes)
    result = PolarimetryResult(refused=[*problems, *(item.reason for item in refused)])
    profiles = ProfileChooser(store.config)
    profile_of = {frame.id: frame.profile for frame in frames}
    for measured in sets:
        profile = profiles.named(profile_of[measured.first.frame_id])
        instrumental = profile.instrumental_polarization_for(measured.first.band)
        try:
            result.measurements.append(measure_set(measured, instrumental, run=str(run.id)))
        except ValueError as error:
            result.refused.append(f"frames {', '.join(str(f.frame_id) for f in measured.fluxes)}: {error}")
    analyser_points = _through_an_analyser(rows, fluxes)
    if result.measurements or analyser_points.num_rows:
        with store.transaction() as tx:
            PolarimetryRepository(tx).add(result.measurements)
            # A point measured through an analyser is not the source's total brightness (a
            # polarised source is off by up to ±p): kept for polarimetry, hidden from light curves.
            flag_rows(tx, analyser_points, ANALYSER_REASON, ANALYSER_FLAGGER)
    # Timestamped like the run's own lines.
    run.log.extend(f"{now_iso()} polarimetry: {reason}" for reason in result.refused)
    if result.measurements:
        run.log.append(f"{now_iso()} polarimetry: {len(result.measurements)} set(s) measured")
    return result


ANALYSER_REASON = "measured through a polarimetric analyser: not total intensity (see `tom-tui polarimetry`)"
ANALYSER_FLAGGER = "tom-tui reduction"


def _through_an_analyser(rows: pa.Table, fluxes: Sequence[AngleFlux]) -> pa.Table:
    """The stored measurement rows that came from frames taken through an analyser."""
    taken = {(flux.target_id, round(flux.mjd, 6)) for flux in fluxes}
    if not taken or rows.num_rows == 0:
        return rows.slice(0, 0).select(list(FLAG_IDENTITY_COLUMNS))
    keep = [
        (int(target), round(float(mjd), 6)) in taken
        for target, mjd in zip(
            rows.column("target_id").to_pylist(), rows.column("mjd").to_pylist(), strict=True
        )
    ]
    return rows.filter(pa.array(keep)).select(list(FLAG_IDENTITY_COLUMNS))


def polarimetry_step(store: Store, run: RunRecord, outcomes: list[FrameOutcome]) -> None:
    """:func:`measure_polarimetry` as a finishing step of a run."""
    measure_polarimetry(store, run, outcomes)


@dataclass
class PolarimetryOfTarget:
    """A target's polarimetry, oldest first, and the store's generation when it was read."""

    target: Target
    measurements: list[PolarizationMeasurement]
    generation: int

    @property
    def title(self) -> str:
        return f"{self.target.name} polarimetry ({len(self.measurements)} sets)"

    def plot_data(self) -> PolarimetryPlotData:
        return prepare_polarimetry(self.measurements)


def polarimetry_of(store: Store, target: TargetRef, bands: Sequence[str] = ()) -> PolarimetryOfTarget:
    """The stored polarimetry of ``target`` (id or name), only in ``bands`` when some are named
    (case ignored); none is not an error."""
    generation = store.generation()
    wanted = {band.lower() for band in bands}
    with store.read() as view:
        found = TargetRepository(view).resolve(target)
        assert found.id is not None
        stored = PolarimetryRepository(view).for_target(found.id)
    kept = [item for item in stored if not wanted or item.band.lower() in wanted]
    return PolarimetryOfTarget(found, kept, generation)


def save_plot(shown: PolarimetryOfTarget, path: Path) -> None:
    """The target's p and χ against time as a PNG file."""
    save_polarimetry_png(shown.plot_data(), path, title=shown.target.name)
