"""The words of a reduction run: which frames, what happened to each, which masters, the record.

A run takes a :class:`RunSelection` of raw frames (telescope, night or range of nights, target),
builds or finds the master calibration frames they need, reduces every light frame and keeps a
:class:`RunRecord`: its configuration and the hash that identifies it, one :class:`FrameOutcome`
per frame (status, :class:`FrameFlag` bits with their reasons, timings, FWHM, astrometric RMS,
zero point, output files), the masters used or built and its log. Records are plain values with
``to_record``/``from_record`` (what the store keeps) and ``to_json`` (what ``--json`` prints).

Nights are YYYYMMDD strings (:func:`tom_tui.domain.frames.observing_night`); times are ISO 8601
UTC; pixel quantities are in pixels of the reduced frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntFlag, StrEnum
from typing import Any, Self

import orjson

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import Frame

# The ``source`` of every photometry point a tom-tui reduction run measured (its ``extra`` holds
# the run, the frame and the aperture); light curves draw these points with their own marker.
REDUCTION_SOURCE = "reduction"


class FrameFlag(IntFlag):
    """Why a frame was set aside or is to be trusted less; bits, so a run record can keep one int."""

    NONE = 0
    BAD_HEADER = 1
    SIZE_MISMATCH = 2
    NO_MASTER = 4
    STALE_MASTER = 8  # the nearest master is more than a week from the frame's night
    NO_STARS = 16
    NO_ASTROMETRIC_MATCH = 32
    POOR_ASTROMETRY = 64
    NO_CALIBRATORS = 128
    CORRUPT_FILE = 256  # the raw file cannot be read as a FITS image
    NO_CATALOG = 512  # no reference catalog covers the frame's field
    CRASHED = 1024  # the reduction stopped on an error nobody foresaw; the reason quotes it


def flag_names(flags: int) -> list[str]:
    """The names of the bits set in ``flags``, lower case, in bit order (``no_stars``...)."""
    return [str(flag.name).lower() for flag in FrameFlag if flag and flags & flag]


class FrameStatus(StrEnum):
    """Where a frame stands in a run: reduced, failed (flags say why), skipped (already done
    with the same configuration, or not a frame to reduce), or not reached yet."""

    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    PENDING = "pending"


def night_of_date(text: str, what: str) -> str:
    """A night (YYYYMMDD) from ``YYYYMMDD`` or ``YYYY-MM-DD``; ValidationError naming ``what``."""
    cleaned = text.strip().replace("-", "")
    try:
        dt.datetime.strptime(cleaned, "%Y%m%d")
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not a date; expected YYYY-MM-DD or YYYYMMDD") from None
    return cleaned


@dataclass(frozen=True)
class RunSelection:
    """Which raw frames a run reduces: all of them, or those of one telescope, one night, a range
    of nights (inclusive), a target (its id or name as typed). Dates are nights, YYYYMMDD."""

    telescope: str | None = None
    night: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    target: str | None = None

    @classmethod
    def of(
        cls,
        telescope: str | None = None,
        night: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        target: str | None = None,
    ) -> RunSelection:
        """A selection from what a user typed, the dates checked and made YYYYMMDD."""
        selection = cls(
            telescope=telescope or None,
            night=night_of_date(night, "--night") if night else None,
            date_from=night_of_date(date_from, "--from") if date_from else None,
            date_to=night_of_date(date_to, "--to") if date_to else None,
            target=target or None,
        )
        if selection.night and (selection.date_from or selection.date_to):
            raise ValidationError("give either --night or --from/--to, not both")
        if selection.date_from and selection.date_to and selection.date_from > selection.date_to:
            raise ValidationError(
                f"--from {selection.date_from} is after --to {selection.date_to}; expected from <= to"
            )
        return selection

    def includes(self, frame: Frame) -> bool:
        """Whether the frame's telescope and night are selected (the target is the run's to check)."""
        if self.telescope and frame.telescope != self.telescope:
            return False
        if self.night and frame.night != self.night:
            return False
        if self.date_from and frame.night < self.date_from:
            return False
        return not (self.date_to and frame.night > self.date_to)

    def describe(self) -> str:
        parts = [
            f"{name} {value}"
            for name, value in (
                ("telescope", self.telescope),
                ("night", self.night),
                ("from", self.date_from),
                ("to", self.date_to),
                ("target", self.target),
            )
            if value
        ]
        return ", ".join(parts) or "every frame"

    def to_record(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(**{item.name: record.get(item.name) for item in fields(cls)})


@dataclass
class FrameOutcome:
    """What a run did with one raw frame.

    ``flags`` are :class:`FrameFlag` bits (``reasons`` one sentence each); ``timings`` seconds per
    stage; ``fwhm_px`` and ``astrometric_rms_px`` in pixels; ``zero_point`` the magnitude of
    1 e-/s and its error; ``star_count`` the stars measured; ``reduced_path`` and
    ``sources_path`` the reduced FITS and its source table (Parquet), relative to the store;
    ``measurements`` how many target measurements went onto light curves.
    """

    frame_id: int
    raw_path: str
    status: FrameStatus = FrameStatus.PENDING
    flags: int = 0
    reasons: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    night: str = ""
    telescope: str = ""
    band: str | None = None
    fwhm_px: float | None = None
    astrometric_rms_px: float | None = None
    zero_point: float | None = None
    zero_point_error: float | None = None
    star_count: int | None = None
    reduced_path: str | None = None
    sources_path: str | None = None
    measurements: int = 0
    config_hash: str = ""
    run_id: int | None = None

    @property
    def flag_names(self) -> list[str]:
        return flag_names(self.flags)

    def to_record(self) -> dict[str, Any]:
        record = {item.name: getattr(self, item.name) for item in fields(self)}
        record["status"] = self.status.value
        record["reasons"] = list(self.reasons)
        record["timings"] = dict(self.timings)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        values = {item.name: record[item.name] for item in fields(cls) if item.name in record}
        values["status"] = FrameStatus(record.get("status") or FrameStatus.PENDING)
        values["reasons"] = list(record.get("reasons") or [])
        values["timings"] = {str(k): float(v) for k, v in (record.get("timings") or {}).items()}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {**self.to_record(), "flag_names": self.flag_names}


@dataclass(frozen=True)
class MasterUsed:
    """A master calibration frame a run built or used: its kind (bias, dark, flat), the keywords
    it matches (``key``, e.g. ``binning=1x1 filter=r``), its night, its file (relative to the
    store), the raw frames it came from, whether this run built it, and the warning when it came
    from another night (nearest-night fallback)."""

    kind: str
    key: str
    night: str
    path: str
    telescope: str = ""
    keywords: Mapping[str, str] = field(default_factory=dict)
    source_frame_ids: tuple[int, ...] = ()
    built: bool = False
    for_night: str = ""
    warning: str | None = None
    config_hash: str = ""
    run_id: int | None = None

    def to_record(self) -> dict[str, Any]:
        record = {item.name: getattr(self, item.name) for item in fields(self)}
        record["keywords"] = dict(self.keywords)
        record["source_frame_ids"] = list(self.source_frame_ids)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        values = {item.name: record[item.name] for item in fields(cls) if item.name in record}
        values["keywords"] = {str(k): str(v) for k, v in (record.get("keywords") or {}).items()}
        values["source_frame_ids"] = tuple(int(i) for i in record.get("source_frame_ids") or ())
        return cls(**values)


def configuration_hash(configuration: Mapping[str, Any], version: str) -> str:
    """The identity of a reduction's configuration and code version: SHA-256 of both, as sorted
    JSON, first 16 hex digits. A frame done under the same hash is not reduced again."""
    payload = orjson.dumps({"configuration": configuration, "version": version}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:16]


@dataclass
class RunRecord:
    """One reduction run: when, with what configuration, over which frames, and what came of it.

    ``finished`` is empty while the run goes on; ``scheduler`` names where the frames were
    reduced (``in-process``, ``local cluster of N`` or a scheduler address).
    """

    id: int
    created: str
    configuration: dict[str, Any]
    config_hash: str
    version: str
    selection: RunSelection
    scheduler: str = "in-process"
    workers: int = 1
    finished: str = ""
    outcomes: list[FrameOutcome] = field(default_factory=list)
    masters: list[MasterUsed] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many frames ended in each status."""
        return {
            status.value: sum(1 for outcome in self.outcomes if outcome.status is status)
            for status in FrameStatus
        }

    @property
    def failed(self) -> bool:
        return any(outcome.status is FrameStatus.FAILED for outcome in self.outcomes)

    def outcome_of(self, frame_id: int) -> FrameOutcome | None:
        for outcome in self.outcomes:
            if outcome.frame_id == frame_id:
                return outcome
        return None

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "finished": self.finished,
            "configuration": self.configuration,
            "config_hash": self.config_hash,
            "version": self.version,
            "selection": self.selection.to_record(),
            "scheduler": self.scheduler,
            "workers": self.workers,
            "outcomes": [outcome.to_record() for outcome in self.outcomes],
            "masters": [master.to_record() for master in self.masters],
            "log": list(self.log),
            "counts": self.counts,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        return cls(
            id=int(record["id"]),
            created=str(record.get("created") or ""),
            configuration=dict(record.get("configuration") or {}),
            config_hash=str(record.get("config_hash") or ""),
            version=str(record.get("version") or ""),
            selection=RunSelection.from_record(record.get("selection") or {}),
            scheduler=str(record.get("scheduler") or "in-process"),
            workers=int(record.get("workers") or 1),
            finished=str(record.get("finished") or ""),
            outcomes=[FrameOutcome.from_record(item) for item in record.get("outcomes") or []],
            masters=[MasterUsed.from_record(item) for item in record.get("masters") or []],
            log=[str(line) for line in record.get("log") or []],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **self.to_record(),
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "failed": self.failed,
        }

    def summary_json(self) -> dict[str, Any]:
        """The record without its per-frame outcomes and log (what a list of runs shows)."""
        return {
            key: value
            for key, value in self.to_json().items()
            if key not in {"outcomes", "log", "masters", "configuration"}
        }


def frames_summary(outcomes: Sequence[FrameOutcome]) -> str:
    """``3 done, 1 failed`` style text of a set of outcomes (zero counts left out)."""
    counts = {status: sum(1 for outcome in outcomes if outcome.status is status) for status in FrameStatus}
    return ", ".join(f"{count} {status.value}" for status, count in counts.items() if count) or "no frames"
