"""The simulated survey: forced photometry of the simulated sky at any position, with no network.

A cone that holds an object of the simulated sky (a variable star, an AGN, a cluster, or a
transient discovered within ``transient_lookback_days`` of now) returns that object's light curve.
Any other position holds a field source fixed by the position (rounded to 0.36"): nothing at all
for about one cone in five (an empty answer), a pulsating or eclipsing variable for about one in
six, otherwise a constant star between 15.5 and 21 mag (the faint ones give mostly limits).

The photometry is what :func:`tom_tui.adapters.simulated.photometry.simulated_photometry` draws:
ZTF-like g/r/i visits from ``start_mjd`` (the ZTF survey start by default) until now
(``TOM_TUI_NOW``), 5σ detections, limits otherwise, measured fluxes kept. Visits are drawn in fixed
100-day blocks so the same position always gives the same points whatever the window asked:
fetching again later adds only the new nights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from functools import cache, lru_cache
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from tom_tui.adapters.simulated.photometry import simulated_photometry
from tom_tui.adapters.simulated.sky import SimObject, SimulatedSky
from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyService, TaskMemory
from tom_tui.domain.clock import now_mjd
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import MEASUREMENT_SCHEMA
from tom_tui.domain.sky import separation_arcsec

# 2018-03-17, when the ZTF public survey began.
ZTF_SURVEY_START_MJD = 58_194.0
BLOCK_DAYS = 100.0
EMPTY_FRACTION = 0.2
VARIABLE_FRACTION = 0.17
# Field sources are fixed per position rounded to this many decimal places of a degree (0.36").
POSITION_DECIMALS = 4


def unit_hash(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@cache
def _sky(seed: int) -> SimulatedSky:
    return SimulatedSky(seed)


@lru_cache(maxsize=4)
def _sky_objects_of_day(
    seed: int, lookback_days: float, day: int
) -> tuple[list[SimObject], np.ndarray, np.ndarray, np.ndarray]:
    """The sky's objects with a fixed place, their positions and discovery dates (fixed objects:
    −∞), transients discovered in the ``lookback_days`` up to the end of ``day``. Kept for the
    day, so thousands of cones cost one walk through the sky."""
    sky = _sky(seed)
    recent = sky.transients_between(day - lookback_days, day + 1.0)
    objects = [obj for obj in (*sky.fixed_objects, *recent) if obj.ra is not None and obj.dec is not None]
    ras = np.array([obj.ra for obj in objects], dtype=np.float64)
    decs = np.array([obj.dec for obj in objects], dtype=np.float64)
    discovered = np.array([obj.discovery_mjd or -np.inf for obj in objects], dtype=np.float64)
    return objects, ras, decs, discovered


def field_source(ra: float, dec: float, seed: int) -> SimObject | None:
    """The source the simulated survey sees at a position with no sky object, or None (empty)."""
    key = (round(ra, POSITION_DECIMALS), round(dec, POSITION_DECIMALS), seed)
    draw = unit_hash("field", *key)
    if draw < EMPTY_FRACTION:
        return None
    rng = np.random.default_rng([seed, int(unit_hash("params", *key) * 2**62)])
    name = f"SIMF J{key[0]:09.4f}{key[1]:+08.4f}"
    params: dict[str, float] = {
        "mean_mag": float(rng.uniform(15.5, 21.0)),
        "colour_scale": float(rng.uniform(0.5, 1.5)),
    }
    if draw < EMPTY_FRACTION + VARIABLE_FRACTION:
        kind = "RR Lyrae" if rng.random() < 0.6 else "Eclipsing binary"
        params.update(
            mean_mag=float(rng.uniform(14.5, 18.5)),
            period=float(rng.uniform(0.35, 0.75) if kind == "RR Lyrae" else rng.uniform(0.4, 5.0)),
            phase=float(rng.uniform()),
            amplitude=float(rng.uniform(0.4, 1.0)),
            depth=float(rng.uniform(0.3, 0.9)),
            width=float(rng.uniform(0.02, 0.06)),
        )
        return SimObject(name, kind, key[0], key[1], params=params)
    return SimObject(name, "star", key[0], key[1], params=params)


def survey_light_curve(obj: SimObject, start_mjd: float, end_mjd: float, seed: int) -> pa.Table:
    """The object's simulated photometry in [start, end), drawn block by block (see module doc)."""
    first_block = math.floor(start_mjd / BLOCK_DAYS)
    last_block = math.floor(end_mjd / BLOCK_DAYS)
    parts = []
    for block in range(first_block, last_block + 1):
        named = dataclasses.replace(obj, name=f"{obj.name}|{block}")
        table = simulated_photometry(named, block * BLOCK_DAYS, (block + 1) * BLOCK_DAYS, seed=seed)
        parts.append(table)
    table = pa.concat_tables(parts) if parts else MEASUREMENT_SCHEMA.empty_table()
    mjd = table.column("mjd").to_numpy()
    keep = (mjd >= start_mjd) & (mjd < end_mjd)
    return table.filter(pa.array(keep))


class SimulatedSurvey(SurveyService):
    """ZTF-like forced photometry of the simulated sky (the default survey: works offline)."""

    name: ClassVar[str] = "simulated"
    label: ClassVar[str] = "Simulated survey"
    default_base_url: ClassVar[str] = "sim://survey"
    default_radius_arcsec: ClassVar[float] = 3.0
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("seed", "int", 2026, "simulated sky seed"),
        Option("start_mjd", "float", ZTF_SURVEY_START_MJD, "first night of the survey, MJD"),
        Option(
            "transient_lookback_days",
            "float",
            400.0,
            "transients discovered this many days before now are in the sky",
            minimum=0.0,
        ),
        Option("radius_arcsec", "float", None, "match radius, arcsec", minimum=0.0),
    )

    def source_at(self, ra: float, dec: float, radius_arcsec: float) -> SimObject | None:
        """The sky object nearest the position within the radius, else the field source there."""
        seed = int(self.settings["seed"])
        now = now_mjd()
        lookback = float(self.settings["transient_lookback_days"])
        objects, ras, decs, discovered = _sky_objects_of_day(seed, lookback, math.floor(now))
        if objects:
            distances = np.where(discovered <= now, separation_arcsec(ra, dec, ras, decs), np.inf)
            nearest = int(np.argmin(distances))
            if distances[nearest] <= radius_arcsec:
                return objects[nearest]
        return field_source(ra, dec, seed)

    def search(
        self,
        ra: float,
        dec: float,
        radius: float,
        *,
        name: str | None,
        since_mjd: float | None,
        tasks: TaskMemory | None,
    ) -> SurveyAnswer:
        source = self.source_at(ra, dec, radius)
        if source is None:
            empty = MEASUREMENT_SCHEMA.empty_table()
            return self.answer(ra, dec, radius, _raw(empty, None), empty, note="no source in the field")
        start = float(self.settings["start_mjd"])
        if since_mjd is not None:
            start = max(start, since_mjd)
        photometry = survey_light_curve(source, start, now_mjd(), int(self.settings["seed"]))
        return self.answer(ra, dec, radius, _raw(photometry, source), photometry)


def _raw(photometry: pa.Table, source: SimObject | None) -> pa.Table:
    """The simulated service's own rows: the measurements with the object's name and kind."""
    rows = photometry.num_rows
    labels: dict[str, Any] = {
        "object": pa.array([source.name if source else None] * rows, pa.string()),
        "kind": pa.array([source.kind if source else None] * rows, pa.string()),
    }
    for column, values in labels.items():
        photometry = photometry.append_column(column, values)
    return photometry
