"""Night planning for a target list, and one target's track through a night.

Sidereal positions come straight from the columnar target index (no document reads), so a list
of thousands plans in one vectorised pass; only non-sidereal targets are read in full, for their
orbital elements.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow.compute as pc

from tom_tui.domain.clock import from_mjd, now
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.target import Target
from tom_tui.processing.visibility import (
    TWILIGHTS,
    NightGrid,
    ObservingSite,
    night_grid,
    plan_night,
    resolve_site,
    target_positions,
    target_track,
)
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

DEFAULT_SITE = "Roque de los Muchachos"


def site_from(store: Store, text: str | None) -> ObservingSite:
    chosen = text or str(store.setting("observatory", "site", DEFAULT_SITE))
    try:
        return resolve_site(chosen)
    except ValueError as error:
        raise ValidationError(f"--site: {error}") from None


def night_from(site: ObservingSite, text: str | None) -> dt.date:
    """The night asked for, else the current one at the site (it runs from local noon to noon)."""
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                f"--night: {text!r} is not a date; expected YYYY-MM-DD (the evening's date)"
            ) from None
    local = now() + dt.timedelta(hours=site.lon / 15.0)
    return (local - dt.timedelta(hours=12)).date()


def _iso(mjd: float | None) -> str | None:
    if mjd is None or not math.isfinite(mjd):
        return None
    return from_mjd(float(mjd)).replace(microsecond=0).isoformat()


@dataclass
class NightPlan:
    site: ObservingSite
    night: dt.date
    airmass_limit: float
    twilight: str
    twilights: dict[str, str | None]
    moon_illumination: float
    rows: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "site": {
                "name": self.site.name,
                "lat": self.site.lat,
                "lon": self.site.lon,
                "height": self.site.height,
            },
            "night": self.night.isoformat(),
            "airmass_limit": self.airmass_limit,
            "twilight": self.twilight,
            "twilights": self.twilights,
            "moon_illumination": round(self.moon_illumination, 3),
            "targets": self.rows,
        }


def plan_list(
    store: Store,
    list_name: str,
    site_text: str | None = None,
    night_text: str | None = None,
    airmass_limit: float = 2.0,
    twilight: str = "nautical",
) -> NightPlan:
    if airmass_limit < 1.0:
        raise ValidationError(f"--airmass: {airmass_limit} is below 1; expected a limit such as 2.0")
    if twilight not in TWILIGHTS:
        raise ValidationError(f"--twilight: {twilight!r}; expected one of {', '.join(TWILIGHTS)}")
    site = site_from(store, site_text)
    night = night_from(site, night_text)
    with store.read() as view:
        if not any(d.get("name") == list_name for d in view.db("lists").table("lists").all()):
            raise NotFoundError(f"no target list named {list_name!r}; see `tom-tui list show`")
        repository = TargetRepository(view)
        table = repository.index.table
        flat = pc.list_flatten(table.column("lists").combine_chunks())
        parents = pc.list_parent_indices(table.column("lists").combine_chunks()).to_numpy()
        member = np.zeros(table.num_rows, dtype=bool)
        member[parents[pc.equal(flat, list_name).to_numpy(zero_copy_only=False)]] = True
        rows = table.filter(member)
        names = rows.column("name").to_pylist()
        ids = rows.column("id").to_numpy()
        kinds = rows.column("type").to_pylist()
        ra = rows.column("ra").to_numpy(zero_copy_only=False).astype(np.float64)
        dec = rows.column("dec").to_numpy(zero_copy_only=False).astype(np.float64)
        moving = [i for i, kind in enumerate(kinds) if kind != "SIDEREAL"]
        moving_targets = repository.get_many([int(ids[i]) for i in moving])
    grid = night_grid(site, night)
    if moving_targets:
        moving_ra, moving_dec = target_positions(moving_targets, grid.mid_mjd)
        ra[moving], dec[moving] = moving_ra, moving_dec
    columns = plan_night(grid, ra, dec, airmass_limit, twilight)
    order = np.lexsort((np.nan_to_num(columns.min_airmass, nan=99.0), -columns.hours_observable))
    result_rows = []
    for i in order:
        result_rows.append(
            {
                "id": int(ids[i]),
                "name": names[i],
                "ra": round(float(ra[i]), 6),
                "dec": round(float(dec[i]), 6),
                "rise": _iso(columns.rise_mjd[i]),
                "set": _iso(columns.set_mjd[i]),
                "best_time": _iso(columns.best_mjd[i]),
                "max_altitude": None
                if math.isnan(columns.max_altitude[i])
                else round(float(columns.max_altitude[i]), 2),
                "min_airmass": None
                if math.isnan(columns.min_airmass[i])
                else round(float(columns.min_airmass[i]), 3),
                "hours_observable": round(float(columns.hours_observable[i]), 2),
                "moon_separation": round(float(columns.moon_separation[i]), 1),
            }
        )
    return NightPlan(
        site,
        night,
        airmass_limit,
        twilight,
        {k: _iso(v) for k, v in grid.twilights().items()},
        grid.moon_illumination,
        result_rows,
    )


@dataclass
class Track:
    target: Target
    grid: NightGrid
    altitude: np.ndarray[Any, np.dtype[np.float64]]


def target_track_for(store: Store, reference: str, site_text: str | None, night_text: str | None) -> Track:
    site = site_from(store, site_text)
    night = night_from(site, night_text)
    with store.read() as view:
        target = TargetRepository(view).resolve(reference)
    grid = night_grid(site, night)
    if target.is_sidereal:
        ra = np.full(grid.mjd.size, float(target.ra or 0.0))
        dec = np.full(grid.mjd.size, float(target.dec or 0.0))
    else:
        from tom_tui.processing.ephemeris import radec_from_elements

        ra, dec = radec_from_elements(vars(target), grid.mjd)
    return Track(target, grid, target_track(grid, ra, dec))
