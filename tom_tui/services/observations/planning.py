"""Night planning for a target list, and one target's track through a night.

Sidereal positions come straight from the columnar target index (no document reads), so a list
of thousands plans in one vectorised pass; only non-sidereal targets are read in full, for their
orbital elements.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from tom_tui.domain.clock import from_mjd, now
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.sites import Site, resolve_site
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.plots.altitude import (
    draw_altitude_track,
    horizon_note,
    render_altitude_track_text,
    save_altitude_track_png,
    track_title,
)
from tom_tui.processing.visibility import (
    TWILIGHTS,
    NightGrid,
    PlanColumns,
    night_grid,
    plan_night,
    target_positions,
    target_track,
)
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

DEFAULT_SITE = "Roque de los Muchachos"


def site_from(store: Store, text: str | None) -> Site:
    chosen = text or str(store.setting("observatory", "site", DEFAULT_SITE))
    try:
        return resolve_site(chosen)
    except ValueError as error:
        raise ValidationError(f"--site: {error}") from None


def night_from(site: Site, text: str | None) -> dt.date:
    """The night asked for, else the current one at the site (it runs from local noon to noon)."""
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                f"--night: {text!r} is not a date; expected YYYY-MM-DD (the evening's date)"
            ) from None
    local = now() + dt.timedelta(hours=site.longitude_deg / 15.0)
    return (local - dt.timedelta(hours=12)).date()


def _iso(mjd: float | None) -> str | None:
    if mjd is None or not math.isfinite(mjd):
        return None
    return from_mjd(float(mjd)).replace(microsecond=0).isoformat()


@dataclass
class NightPlan:
    site: Site
    night: dt.date
    airmass_limit: float
    twilight: str
    twilights: dict[str, str | None]
    moon_illumination: float
    rows: list[dict[str, Any]]
    hour_angle_limit: float | None = None  # hours from the meridian; None: no limit

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site.to_json(),
            "night": self.night.isoformat(),
            "airmass_limit": self.airmass_limit,
            "hour_angle_limit": self.hour_angle_limit,
            "twilight": self.twilight,
            "twilights": self.twilights,
            "moon_illumination": round(self.moon_illumination, 3),
            "targets": self.rows,
        }


def plan_list(
    store: Store,
    list_name: str | None,
    site_text: str | None = None,
    night_text: str | None = None,
    airmass_limit: float = 2.0,
    twilight: str = "nautical",
    hour_angle_limit: float | None = None,
) -> NightPlan:
    """When and how well every target of a list (every target, without one) can be observed from
    a site in one night."""
    if airmass_limit < 1.0:
        raise ValidationError(f"--airmass: {airmass_limit} is below 1; expected a limit such as 2.0")
    if twilight not in TWILIGHTS:
        raise ValidationError(f"--twilight: {twilight!r}; expected one of {', '.join(TWILIGHTS)}")
    if hour_angle_limit is not None and not 0 < hour_angle_limit <= 12:
        raise ValidationError(
            f"--hour-angle: {hour_angle_limit:g} hours; expected more than 0 and at most 12"
        )
    site = site_from(store, site_text)
    night = night_from(site, night_text)
    members = _list_members(store, list_name)
    grid = night_grid(site, night)
    if members.moving_targets:
        members.ra[members.moving], members.dec[members.moving] = target_positions(
            members.moving_targets, grid.mid_mjd
        )
    columns = plan_night(grid, members.ra, members.dec, airmass_limit, twilight, hour_angle_limit)
    order = np.lexsort((np.nan_to_num(columns.min_airmass, nan=99.0), -columns.hours_observable))
    return NightPlan(
        site,
        night,
        airmass_limit,
        twilight,
        {k: _iso(v) for k, v in grid.twilights().items()},
        grid.moon_illumination,
        [_plan_row(members, columns, int(i)) for i in order],
        hour_angle_limit,
    )


@dataclass
class _ListMembers:
    """The targets of one list as the index has them; non-sidereal ones also in full."""

    ids: npt.NDArray[np.int64]
    names: list[str]
    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    moving: list[int]  # rows of the non-sidereal targets, whose ra/dec need their elements
    moving_targets: list[Target]


def _list_members(store: Store, list_name: str | None) -> _ListMembers:
    """The targets of ``list_name``, or every target when it is None."""
    with store.read() as view:
        if list_name is not None and not any(
            d.get("name") == list_name for d in view.db("lists").table("lists").all()
        ):
            raise NotFoundError(f"no target list named {list_name!r}; see `tom-tui list show`")
        repository = TargetRepository(view)
        table = repository.index.table
        if list_name is None:
            rows = table
        else:
            flat = pc.list_flatten(table.column("lists").combine_chunks())
            parents = pc.list_parent_indices(table.column("lists").combine_chunks()).to_numpy()
            member = np.zeros(table.num_rows, dtype=bool)
            member[parents[pc.equal(flat, list_name).to_numpy(zero_copy_only=False)]] = True
            rows = table.filter(member)
        ids = rows.column("id").to_numpy().astype(np.int64)
        moving = [i for i, kind in enumerate(rows.column("type").to_pylist()) if kind != "SIDEREAL"]
        return _ListMembers(
            ids=ids,
            names=rows.column("name").to_pylist(),
            ra=rows.column("ra").to_numpy(zero_copy_only=False).astype(np.float64),
            dec=rows.column("dec").to_numpy(zero_copy_only=False).astype(np.float64),
            moving=moving,
            moving_targets=repository.get_many([int(ids[i]) for i in moving]),
        )


def _rounded(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(float(value), digits)


def _plan_row(members: _ListMembers, columns: PlanColumns, i: int) -> dict[str, Any]:
    return {
        "id": int(members.ids[i]),
        "name": members.names[i],
        "ra": round(float(members.ra[i]), 6),
        "dec": round(float(members.dec[i]), 6),
        "rise": _iso(columns.rise_mjd[i]),
        "set": _iso(columns.set_mjd[i]),
        "best_time": _iso(columns.best_mjd[i]),
        "max_altitude": _rounded(columns.max_altitude[i], 2),
        "min_airmass": _rounded(columns.min_airmass[i], 3),
        "hours_observable": round(float(columns.hours_observable[i]), 2),
        "moon_separation": round(float(columns.moon_separation[i]), 1),
    }


@dataclass
class Track:
    target: Target
    grid: NightGrid
    altitude: np.ndarray[Any, np.dtype[np.float64]]


def target_track_for(
    store: Store, reference: TargetRef, site_text: str | None, night_text: str | None
) -> Track:
    site = site_from(store, site_text)
    night = night_from(site, night_text)
    with store.read() as view:
        target = TargetRepository(view).resolve(reference)
    grid = night_grid(site, night)
    if target.is_sidereal:
        at_night = target_positions([target], float(grid.mid_mjd))
        ra = np.full(grid.mjd.size, float(at_night[0][0]))
        dec = np.full(grid.mjd.size, float(at_night[1][0]))
    else:
        from tom_tui.processing.ephemeris import radec_from_elements

        ra, dec = radec_from_elements(vars(target), grid.mjd)
    return Track(target, grid, target_track(grid, ra, dec))


def draw_track(plt: Any, track: Track, airmass_limit: float) -> None:
    """Declare ``track``'s altitude plot on ``plt`` (a textual-plotext widget's ``plt``)."""
    draw_altitude_track(plt, track.grid, track.altitude, track.target.name, airmass_limit)


def track_note(track: Track) -> str:
    """ "<name> never rises above the horizon this night", or "" when it does rise."""
    return horizon_note(track.target.name, track.altitude)


def save_track_png(track: Track, airmass_limit: float, path: Path) -> None:
    """``track``'s altitude plot as a PNG image."""
    save_altitude_track_png(track.grid, track.altitude, track.target.name, airmass_limit, path)


def track_text(track: Track, airmass_limit: float, width: int, height: int) -> str:
    """``track``'s altitude plot as text, the airmass limit's line named in the title; below it,
    a line saying so when the target never rises."""
    title = f"{track_title(track.target.name, track.grid)} — red: airmass {airmass_limit:g}"
    plot = render_altitude_track_text(
        track.grid, track.altitude, track.target.name, airmass_limit, width=width, height=height, title=title
    )
    note = track_note(track)
    return f"{plot}\n{note}" if note else plot
