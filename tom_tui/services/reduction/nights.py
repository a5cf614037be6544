"""The raw archive by night, as the Reductions screen shows it: each telescope's nights with their
frames counted by type and by what the latest reduction did, and one night's frames with their
latest outcomes and the master calibration frames its runs used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, MasterUsed, RunRecord
from tom_tui.services.reduction.frames import FrameDetail, frame_detail
from tom_tui.store.frames import FrameArchive
from tom_tui.store.reductions import ReductionArchive
from tom_tui.store.store import Store

# The order frame types are counted in (calibrations first, as a night is taken).
TYPE_ORDER = (ImageType.BIAS, ImageType.DARK, ImageType.FLAT, ImageType.LIGHT)


@dataclass(frozen=True)
class NightSummary:
    """One telescope's night: how many frames of each type, how many reduced and failed."""

    telescope: str
    night: str
    by_type: dict[str, int]
    reduced: int = 0
    failed: int = 0

    @property
    def frame_count(self) -> int:
        return sum(self.by_type.values())

    def types_text(self) -> str:
        """``3 bias 3 flat 4 light`` (types with no frame left out, unknown last)."""
        order = [
            *(kind.value for kind in TYPE_ORDER),
            *sorted(set(self.by_type) - {k.value for k in TYPE_ORDER}),
        ]
        return " ".join(f"{self.by_type[kind]} {kind}" for kind in order if self.by_type.get(kind))


@dataclass
class NightDetail:
    """A night's frames in time order, the latest outcome of each frame a run reached, and the
    masters its frames were calibrated with (from the newest run that reduced the night)."""

    telescope: str
    night: str
    frames: list[Frame]
    outcomes: dict[int, FrameOutcome] = field(default_factory=dict)
    masters: list[MasterUsed] = field(default_factory=list)


@dataclass(frozen=True)
class FrameView:
    """A frame with its header keywords and detector values, and the latest reduction of it."""

    detail: FrameDetail
    outcome: FrameOutcome | None


def summarise_nights(frames: Sequence[Frame], outcomes: dict[int, FrameOutcome]) -> list[NightSummary]:
    """Nights by telescope (A to Z), newest night first within a telescope."""
    types: dict[tuple[str, str], Counter[str]] = {}
    reduced: Counter[tuple[str, str]] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    for frame in frames:
        key = (frame.telescope, frame.night)
        types.setdefault(key, Counter())[frame.image_type.value] += 1
        outcome = outcomes.get(frame.id or 0)
        if outcome is not None and outcome.status is FrameStatus.DONE:
            reduced[key] += 1
        elif outcome is not None and outcome.status is FrameStatus.FAILED:
            failed[key] += 1
    ordered = sorted(types, key=lambda key: key[1], reverse=True)
    ordered.sort(key=lambda key: key[0])
    return [NightSummary(t, n, dict(types[(t, n)]), reduced[(t, n)], failed[(t, n)]) for t, n in ordered]


def night_summaries(store: Store) -> list[NightSummary]:
    """Every telescope's nights in the archive, with the latest reduction counts."""
    with store.read() as view:
        frames = FrameArchive(view).frames()
        outcomes = ReductionArchive(view).latest_outcomes()
    return summarise_nights(frames, outcomes)


def masters_of_night(runs: Sequence[RunRecord], telescope: str, night: str) -> list[MasterUsed]:
    """The masters the newest run that calibrated frames of this night used for it (built that
    night or borrowed from the nearest night, with the warning)."""
    for record in sorted(runs, key=lambda run: run.id, reverse=True):
        used = [
            master
            for master in record.masters
            if (master.telescope or telescope) == telescope and (master.for_night or master.night) == night
        ]
        if used:
            return used
    return []


def night_detail(store: Store, telescope: str, night: str) -> NightDetail:
    """One night of one telescope: its frames, their latest outcomes and the masters used."""
    with store.read() as view:
        frames = FrameArchive(view).frames(telescope, night)
        archive = ReductionArchive(view)
        latest = archive.latest_outcomes()
        runs = archive.runs()
    outcomes = {frame.id: latest[frame.id] for frame in frames if frame.id is not None and frame.id in latest}
    return NightDetail(telescope, night, frames, outcomes, masters_of_night(runs, telescope, night))


def frame_view(store: Store, frame_id: int) -> FrameView:
    """Frame ``frame_id`` (header keywords, detector) with its latest reduction outcome, if any."""
    detail = frame_detail(store, frame_id)
    with store.read() as view:
        outcome = ReductionArchive(view).latest_outcomes().get(frame_id)
    return FrameView(detail, outcome)
