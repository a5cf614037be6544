"""What an observer looks at first about one target, gathered in one call: its latest and peak
magnitude, how many points it has, tonight's visibility from the store's site, its observation
requests, the reduction runs that measured it and, for a moving target, where it is now."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import from_mjd
from tom_tui.domain.errors import TomError
from tom_tui.domain.observations import ObservationRecord
from tom_tui.domain.reduction import REDUCTION_SOURCE
from tom_tui.domain.target import Target
from tom_tui.processing.visibility import night_grid, plan_night, target_positions
from tom_tui.services.observations.planning import night_from, site_from
from tom_tui.services.photometry.reads import photometry_summary, target_photometry
from tom_tui.services.targets.ephemeris import position_now
from tom_tui.store.observations import ObservationRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

AIRMASS_LIMIT = 2.0  # the night plan's default limit, so both say the same about a target
TWILIGHT = "nautical"


@dataclass(frozen=True)
class Magnitude:
    """One detection: magnitude, band and when (MJD, UTC)."""

    mag: float
    band: str
    mjd: float

    @property
    def date(self) -> str:
        return from_mjd(self.mjd).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Visibility:
    """Tonight at the store's site; times are ISO 8601 UTC, None when it does not happen."""

    site: str
    night: str
    rise: str | None
    set: str | None
    best_time: str | None
    max_altitude: float | None
    hours_observable: float
    airmass_limit: float = AIRMASS_LIMIT


@dataclass(frozen=True)
class ReductionResult:
    """One reduction run's measurements of the target."""

    run: str
    frames: int
    points: int
    bands: tuple[str, ...]
    last_mjd: float


@dataclass
class TargetOverview:
    target: Target
    points: int = 0
    latest: Magnitude | None = None
    peak: Magnitude | None = None
    visibility: Visibility | None = None
    visibility_problem: str | None = None  # why there is no visibility (a bad site setting)
    requests: list[ObservationRecord] = field(default_factory=list)
    reductions: list[ReductionResult] = field(default_factory=list)
    position_now: dict[str, Any] | None = None  # moving targets only


def _magnitude(row: dict[str, Any], prefix: str) -> Magnitude | None:
    mag, mjd = row.get(f"{prefix}_mag"), row.get(f"{prefix}_mjd")
    if mag is None or mjd is None:
        return None
    return Magnitude(float(mag), str(row.get(f"{prefix}_filter") or ""), float(mjd))


def _reductions(points: pa.Table) -> list[ReductionResult]:
    """The runs whose measurements are among ``points`` (their ``extra`` names run and frame)."""
    reduced = points.filter(pc.fill_null(pc.equal(points.column("source"), REDUCTION_SOURCE), False))
    runs: dict[str, dict[str, Any]] = {}
    for row in reduced.to_pylist():
        extra = json.loads(row["extra"]) if row["extra"] else {}
        run = runs.setdefault(str(extra.get("run") or "?"), {"frames": set(), "points": 0, "bands": set()})
        run["frames"].add(extra.get("frame_id"))
        run["points"] += 1
        run["bands"].add(row["filter"] or "")
        run["last_mjd"] = max(run.get("last_mjd", -math.inf), float(row["mjd"]))
    return [
        ReductionResult(name, len(run["frames"]), run["points"], tuple(sorted(run["bands"])), run["last_mjd"])
        for name, run in sorted(runs.items(), key=lambda item: -item[1]["last_mjd"])
    ]


def _visibility(store: Store, target: Target) -> Visibility:
    site = site_from(store, None)
    night = night_from(site, None)
    grid = night_grid(site, night)
    ra, dec = target_positions([target], float(grid.mid_mjd))
    columns = plan_night(grid, ra, dec, AIRMASS_LIMIT, TWILIGHT)

    def iso(mjd: float) -> str | None:
        return None if not math.isfinite(mjd) else from_mjd(float(mjd)).replace(microsecond=0).isoformat()

    altitude = float(columns.max_altitude[0])
    return Visibility(
        site=site.name,
        night=night.isoformat(),
        rise=iso(columns.rise_mjd[0]),
        set=iso(columns.set_mjd[0]),
        best_time=iso(columns.best_mjd[0]),
        max_altitude=None if math.isnan(altitude) else round(altitude, 1),
        hours_observable=round(float(columns.hours_observable[0]), 2),
    )


def _requests_of(records: Sequence[ObservationRecord], target_id: int) -> list[ObservationRecord]:
    mine = [record for record in records if record.target_id == target_id]
    return sorted(mine, key=lambda record: record.created, reverse=True)


def target_overview(store: Store, target_id: int) -> TargetOverview:
    """Everything the target detail's first tab shows, read in one pass over the store."""
    with store.read() as view:
        target = TargetRepository(view).get(target_id)
        summary = photometry_summary(view)
        rows = summary.filter(pc.equal(summary.column("target_id"), target_id)).to_pylist()
        points = target_photometry(view, target_id, columns=["mjd", "filter", "source", "extra"])
        requests = _requests_of(ObservationRepository(view).all(), target_id)
    overview = TargetOverview(target, requests=requests, reductions=_reductions(points))
    if rows:
        overview.points = int(rows[0]["n_points"] or 0)
        overview.latest = _magnitude(rows[0], "last_det")
        overview.peak = _magnitude(rows[0], "peak")
    try:
        if target.ra is not None or not target.is_sidereal:
            overview.visibility = _visibility(store, target)
        if not target.is_sidereal:
            overview.position_now = position_now(store, target)
    except TomError as error:  # a bad [observatory] site: say so, show the rest
        overview.visibility_problem = str(error)
    return overview
