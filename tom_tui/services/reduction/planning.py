"""Which master calibration frames a run needs, and which raw frames make each one.

Masters are made per telescope, night, kind and keyword combination: a bias and a dark (per
second, scaled to each frame's exposure) per binning and instrument, a flat per binning,
instrument and filter, and per polarizer or half-wave-plate angle when the instrument profile
says the camera does polarimetry. A light frame takes the master of its own night when that
night has the calibration frames, else the nearest night's
(:func:`~tom_tui.processing.reduction.masters.choose_master`; beyond a week with a warning). A
master already in the store made from the same frames with the same configuration is used as it
is; any other is built again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.reduction import FrameFlag, MasterUsed
from tom_tui.processing.reduction.masters import MasterKind, MasterRecord, choose_master
from tom_tui.store.reductions import master_path

CALIBRATION_KINDS = {
    ImageType.BIAS: MasterKind.BIAS,
    ImageType.DARK: MasterKind.DARK,
    ImageType.FLAT: MasterKind.FLAT,
}


def master_keywords(frame: Frame, kind: MasterKind, polarimetry: bool = False) -> dict[str, str]:
    """The header values a frame and its ``kind`` master must share."""
    binning = frame.binning
    keywords = {"binning": f"{binning[0]}x{binning[1]}" if binning else "unknown"}
    if frame.instrument:
        keywords["instrument"] = frame.instrument
    if kind is MasterKind.FLAT:
        keywords["filter"] = frame.band or "none"
        if polarimetry and frame.polarizer_deg is not None:
            keywords["polarizer"] = f"{frame.polarizer_deg:g}"
        if polarimetry and frame.hwp_deg is not None:
            keywords["hwp"] = f"{frame.hwp_deg:g}"
    return keywords


def key_text(keywords: Mapping[str, str]) -> str:
    """``binning=1x1 filter=r instrument=X``: the keywords as one sorted line."""
    return " ".join(f"{name}={value}" for name, value in sorted(keywords.items()))


@dataclass
class MasterPlan:
    """A master a run uses: stored already (``stored``) or to be built from ``sources``."""

    kind: MasterKind
    telescope: str
    night: str
    keywords: dict[str, str]
    sources: list[Frame] = field(default_factory=list)
    stored: MasterUsed | None = None
    failure: str = ""  # why it could not be built

    @property
    def key(self) -> str:
        return key_text(self.keywords)

    @property
    def path(self) -> str:
        return master_path(self.telescope, self.night, self.kind.value, self.key)

    @property
    def source_ids(self) -> tuple[int, ...]:
        return tuple(sorted(frame.id or 0 for frame in self.sources))


@dataclass(frozen=True)
class MasterNeed:
    """The master chosen for one frame, or why there is none; ``warning`` when it is stale."""

    plan: MasterPlan | None
    warning: str | None = None
    problem: str | None = None


GroupKey = tuple[str, MasterKind, str]  # telescope, kind, keywords as text


class MasterPlanner:
    """Chooses masters for light frames from the archive's calibration frames and stored masters."""

    def __init__(
        self,
        calibration: Iterable[Frame],
        stored: Iterable[MasterUsed],
        config_hash: str,
        force: bool = False,
        polarimetric_profiles: frozenset[str] = frozenset(),
    ) -> None:
        self.config_hash = config_hash
        self.force = force
        self.polarimetric = polarimetric_profiles
        self.raw: dict[GroupKey, dict[str, list[Frame]]] = defaultdict(lambda: defaultdict(list))
        for frame in calibration:
            kind = CALIBRATION_KINDS.get(frame.image_type)
            if kind is not None:
                key = key_text(master_keywords(frame, kind, frame.profile in self.polarimetric))
                self.raw[(frame.telescope, kind, key)][frame.night].append(frame)
        self.stored: dict[str, MasterUsed] = {master.path: master for master in stored}
        self.plans: dict[str, MasterPlan] = {}
        # Masters used for another night than their own, beyond a week: (that night, the warning).
        self.fallbacks: dict[str, tuple[str, str]] = {}

    def _nights(self, telescope: str, kind: MasterKind, keywords: Mapping[str, str]) -> set[str]:
        key = key_text(keywords)
        nights = set(self.raw.get((telescope, kind, key), {}))
        nights |= {
            master.night
            for master in self.stored.values()
            if master.telescope == telescope and master.kind == kind.value and master.key == key
        }
        return nights

    def choose(self, telescope: str, night: str, kind: MasterKind, keywords: dict[str, str]) -> MasterNeed:
        """The master of ``kind`` for a frame of ``telescope`` on ``night`` with ``keywords``."""
        candidates = [
            MasterRecord(kind, candidate_night, path=candidate_night, keywords=keywords)
            for candidate_night in self._nights(telescope, kind, keywords)
        ]
        choice = choose_master(candidates, kind, night, keywords)
        if choice is None:
            return MasterNeed(
                None,
                problem=(
                    f"no {kind} frames of telescope {telescope} with {key_text(keywords)} on any night; "
                    f"expected {kind} frames in the archive (`tom-tui frames import`)"
                ),
            )
        plan = self._plan(telescope, choice.record.night, kind, keywords)
        if choice.warning:
            self.fallbacks.setdefault(plan.path, (night, choice.warning))
        return MasterNeed(plan, warning=choice.warning)

    def _plan(self, telescope: str, night: str, kind: MasterKind, keywords: dict[str, str]) -> MasterPlan:
        plan = MasterPlan(kind, telescope, night, dict(keywords))
        known = self.plans.get(plan.path)
        if known is not None:
            return known
        plan.sources = sorted(
            self.raw.get((telescope, kind, plan.key), {}).get(night, []), key=lambda f: f.id or 0
        )
        stored = self.stored.get(plan.path)
        if stored is not None and not self.force and self._still_good(stored, plan):
            plan.stored = stored
        self.plans[plan.path] = plan
        return plan

    def _still_good(self, stored: MasterUsed, plan: MasterPlan) -> bool:
        same_frames = not plan.sources or tuple(sorted(stored.source_frame_ids)) == plan.source_ids
        return same_frames and stored.config_hash == self.config_hash

    def dependencies(self, plan: MasterPlan) -> FrameMasters:
        """The bias (and, for a flat, the dark) a master of ``plan`` is made with: its own
        night's, else the nearest night's, chosen like a light frame's."""
        chosen = FrameMasters()
        if plan.kind is MasterKind.BIAS or not plan.sources:
            return chosen
        first = plan.sources[0]
        kinds = (MasterKind.BIAS, MasterKind.DARK) if plan.kind is MasterKind.FLAT else (MasterKind.BIAS,)
        for kind in kinds:
            need = self.choose(plan.telescope, plan.night, kind, master_keywords(first, kind))
            setattr(chosen, kind.value, need.plan)
        return chosen

    def add_dependencies(self) -> None:
        """Plan the masters that the planned darks and flats are made with."""
        for kind in (MasterKind.FLAT, MasterKind.DARK):
            for plan in list(self.plans.values()):
                if plan.kind is kind:
                    self.dependencies(plan)

    def to_build(self, kind: MasterKind) -> list[MasterPlan]:
        """The plans of ``kind`` that need building, not yet failed."""
        return [
            plan
            for plan in self.plans.values()
            if plan.kind is kind and plan.stored is None and not plan.failure and plan.sources
        ]


@dataclass
class FrameMasters:
    """The masters one light frame uses, and the problems and warnings choosing them found."""

    bias: MasterPlan | None = None
    dark: MasterPlan | None = None
    flat: MasterPlan | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def plans(self) -> list[MasterPlan]:
        return [plan for plan in (self.bias, self.dark, self.flat) if plan is not None]


def masters_for(planner: MasterPlanner, frame: Frame, polarimetry: bool) -> FrameMasters:
    """Bias, dark (optional: a camera may have no dark current to speak of) and flat for ``frame``."""
    chosen = FrameMasters()
    for kind in (MasterKind.BIAS, MasterKind.DARK, MasterKind.FLAT):
        need = planner.choose(frame.telescope, frame.night, kind, master_keywords(frame, kind, polarimetry))
        if need.warning:
            chosen.warnings.append((int(FrameFlag.STALE_MASTER), need.warning))
        if need.plan is None:
            if kind is not MasterKind.DARK and need.problem:
                chosen.problems.append(
                    (int(FrameFlag.NO_MASTER), f"{frame.original_name or frame.path}: {need.problem}")
                )
            continue
        setattr(chosen, kind.value, need.plan)
    return chosen
