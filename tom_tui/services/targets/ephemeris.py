"""Where a target is on the sky now or over a time range, from a site or from the Earth's centre:
``tom-tui ephemeris``, and the "now" part of ``target show`` and the target detail screen.

Moving targets: two-body positions from the target's orbital elements (checked against JPL
Horizons' answers in the tests), with rates and distances. Sidereal targets: the catalogue
position moved by its proper motion to each time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tom_tui.domain.clock import from_mjd, now_mjd, to_mjd
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.sites import Site
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.ephemeris import ephemeris, proper_motion_position, site_offset
from tom_tui.services.observations.planning import site_from
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

MAX_ROWS = 10_000
STEP_UNITS = {"m": 1 / 1440, "min": 1 / 1440, "h": 1 / 24, "d": 1.0}


@dataclass
class EphemerisTable:
    """Rows of time (MJD and ISO UTC), RA/Dec (degrees, ICRS), and for moving targets the rates
    (″/h, dRA·cos Dec) and distances (AU) from the observer and the Sun."""

    target: str
    moving: bool
    site: Site | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "moving": self.moving,
            "observer": self.site.to_json() if self.site else "geocentre",
            "rows": self.rows,
        }


def parse_time(text: str, what: str) -> float:
    """An MJD from an ISO date/time (UTC) or a number taken as an MJD."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{what}: {text!r} is not a time; expected YYYY-MM-DD[THH:MM] (UTC) or an MJD"
        ) from None
    return to_mjd(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def parse_step(text: str) -> float:
    """A step in days from '10m', '1h', '1d' (or a bare number of days)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(m|min|h|d)?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise ValidationError(f"--step: {text!r} is not a step; expected e.g. 10m, 1h or 1d")
    return float(match.group(1)) * STEP_UNITS[match.group(2) or "d"]


def times_between(start: float, end: float, step: float) -> np.ndarray:
    if end < start:
        raise ValidationError("--end is before --start")
    count = int(np.floor((end - start) / step + 1e-9)) + 1
    if count > MAX_ROWS:
        raise ValidationError(
            f"{count} rows asked for; at most {MAX_ROWS} (a larger --step, or a shorter range)"
        )
    return start + step * np.arange(count)


def positions(target: Target, mjd: np.ndarray, site: Site | None) -> list[dict[str, Any]]:
    """One row per time: where the target is, seen from ``site`` (or the Earth's centre)."""
    if target.is_sidereal:
        rows = []
        for when in mjd.tolist():
            ra, dec = proper_motion_position(
                float(target.ra or 0.0),
                float(target.dec or 0.0),
                target.pm_ra,
                target.pm_dec,
                target.epoch,
                when,
            )
            rows.append({"mjd": when, "ra": ra, "dec": dec})
    else:
        observer = site_offset(site.latitude_deg, site.longitude_deg, site.elevation_m) if site else None
        rows = ephemeris(vars(target), mjd, observer).rows()
    for row in rows:
        row["utc"] = from_mjd(row["mjd"]).strftime("%Y-%m-%dT%H:%M:%S")
    return rows


def ephemeris_for(
    store: Store,
    reference: TargetRef,
    *,
    start: str | None = None,
    end: str | None = None,
    step: str = "1h",
    site_text: str | None = None,
    geocentric: bool = False,
) -> EphemerisTable:
    """The table ``tom-tui ephemeris`` prints (default: from now, for a day, hourly, at the site)."""
    first = parse_time(start, "--start") if start else now_mjd()
    last = parse_time(end, "--end") if end else first + 1.0
    times = times_between(first, last, parse_step(step))
    site = None if geocentric else site_from(store, site_text)
    with store.read() as view:
        target = TargetRepository(view).resolve(reference)
    return EphemerisTable(target.name, not target.is_sidereal, site, positions(target, times, site))


def position_now(store: Store, target: Target, site_text: str | None = None) -> dict[str, Any]:
    """Where ``target`` is now: from the Earth's centre, and from the store's site."""
    when = np.array([now_mjd()])
    site = site_from(store, site_text)
    geocentric = positions(target, when, None)[0]
    topocentric = positions(target, when, site)[0]
    return {"geocentric": geocentric, "site": site.name, "topocentric": topocentric}
