"""`tom-tui starlist`: a list's targets for one night, in the format a telescope's software reads.

The targets come in the night plan's order (longest observable first) and, unless asked for,
only those observable that night; each position is for the target's best time that night (a
moving target's from its elements, with its rates; a star's moved by its proper motion), with
the latest detected magnitude when there is one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from tom_tui.domain.clock import to_mjd
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.target import Target
from tom_tui.processing.ephemeris import FloatArray, ephemeris, site_offset
from tom_tui.processing.starlists import FORMATS, StarlistEntry
from tom_tui.services.observations.planning import NightPlan, plan_list
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository


@dataclass
class Starlist:
    text: str
    plan: NightPlan
    entries: list[StarlistEntry]
    left_out: list[str]  # targets not observable that night


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def make_starlist(
    store: Store,
    list_name: str,
    format_name: str,
    *,
    site_text: str | None = None,
    night_text: str | None = None,
    airmass_limit: float = 2.0,
    include_unobservable: bool = False,
) -> Starlist:
    if format_name not in FORMATS:
        raise ValidationError(f"--format: {format_name!r}; expected one of {', '.join(FORMATS)}")
    plan = plan_list(store, list_name, site_text, night_text, airmass_limit)
    rows = [row for row in plan.rows if include_unobservable or row["hours_observable"] > 0]
    left_out = [row["name"] for row in plan.rows if row not in rows]
    with store.read() as view:
        targets = {t.id: t for t in TargetRepository(view).get_many([row["id"] for row in rows])}
        summary = photometry_store.read_summary(view)
    magnitudes = _latest_magnitudes(summary)
    site = plan.site
    offset = site_offset(site.latitude_deg, site.longitude_deg, site.elevation_m)
    entries = []
    for row in rows:
        when = _best_mjd(row.get("best_time"), plan)
        entries.append(_entry(targets[row["id"]], when, offset, magnitudes.get(row["id"])))
    header = [
        f"tom-tui starlist: list {list_name}, night of {plan.night} at {site.name}",
        f"ICRS (J2000); moving targets where they are at their best time; airmass limit {airmass_limit:g}",
    ]
    return Starlist(FORMATS[format_name].render(entries, header), plan, entries, left_out)


def _best_mjd(best_time: str | None, plan: NightPlan) -> float:
    if best_time:
        return to_mjd(dt.datetime.fromisoformat(best_time))
    # Not observable: the night's middle stands in (local midnight is near 0 h + longitude).
    middle = dt.datetime.combine(plan.night + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    return to_mjd(middle - dt.timedelta(hours=plan.site.longitude_deg / 15.0))


def _latest_magnitudes(summary: pa.Table) -> dict[int, tuple[float, str]]:
    if summary.num_rows == 0:
        return {}
    ids = summary.column("target_id").to_pylist()
    mags = summary.column("last_det_mag").to_pylist()
    bands = summary.column("last_det_filter").to_pylist()
    return {i: (m, b or "") for i, m, b in zip(ids, mags, bands, strict=True) if m is not None}


def _entry(
    target: Target, mjd: float, offset: Callable[[FloatArray], FloatArray], latest: tuple[float, str] | None
) -> StarlistEntry:
    magnitude, band = latest if latest else (None, None)
    if target.is_sidereal:
        return StarlistEntry(
            target.name,
            float(target.ra or 0.0),
            float(target.dec or 0.0),
            mjd,
            target.pm_ra,
            target.pm_dec,
            target.epoch or 2000.0,
            magnitude=magnitude,
            band=band,
        )
    row = ephemeris(vars(target), mjd, offset).rows()[0]
    return StarlistEntry(
        target.name,
        row["ra"],
        row["dec"],
        mjd,
        ra_rate=row["ra_rate"],
        dec_rate=row["dec_rate"],
        magnitude=magnitude,
        band=band,
    )
