"""The simulated facility: a 1 m telescope on La Palma that works with no network.

It accepts requests, schedules each at the first moment inside its window when the target stays
above the airmass limit in the dark for the whole block, and completes it once the clock
(:func:`tom_tui.domain.clock.now`, ``TOM_TUI_NOW``) passes the block's end. Its data are real FITS
files made on demand: bias and twilight flats taken that evening and the science frames, with
the field stars of the simulated sky and the target at the brightness its simulated light curve
has at the moment of each exposure.

The facility keeps no state of its own: the schedule is a pure function of the request and the
time it was submitted, so any process (TUI, cron, CLI) sees the same telescope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tom_tui.adapters.facilities.base import (
    DataProduct,
    Facility,
    ObservationRequest,
    StatusReport,
    SubmittedObservation,
)
from tom_tui.adapters.simulated.imaging import (
    DARK_SKY,
    SIMULATED_SITE,
    STAR_COLOUR,
    Camera,
    Sources,
    bias_frame,
    flat_frame,
    science_frame,
)
from tom_tui.domain.clock import from_mjd, now, to_mjd
from tom_tui.domain.options import Option, parse_utc
from tom_tui.domain.sites import Site
from tom_tui.domain.target import Target
from tom_tui.processing.visibility import NightGrid, night_grid, target_track

SITE = SIMULATED_SITE
READOUT_SECONDS = 20.0
SLEW_SECONDS = 120.0
QUEUE_DELAY = dt.timedelta(minutes=10)  # the scheduler's reaction time after a submission
BIAS_PER_NIGHT = 3
FLATS_PER_FILTER = 3
DARK_SUN_ALTITUDE = -12.0
DEFAULT_TARGET_MAG = 17.0


@lru_cache(maxsize=64)
def _grid(night: dt.date) -> NightGrid:
    return night_grid(SITE, night, step_minutes=5.0)


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "little")


def _filters(parameters: Mapping[str, Any]) -> list[str]:
    return [name.strip() for name in str(parameters.get("filters") or "").split(",") if name.strip()]


def _target_altitude(target: Target, grid: NightGrid) -> np.ndarray[Any, np.dtype[np.float64]]:
    if target.is_sidereal:
        ra, dec = (
            np.full(grid.mjd.size, float(target.ra or 0.0)),
            np.full(grid.mjd.size, float(target.dec or 0.0)),
        )
    else:
        from tom_tui.processing.ephemeris import radec_from_elements

        ra, dec = radec_from_elements(vars(target), grid.mjd)
    return target_track(grid, ra, dec)


@dataclass(frozen=True)
class Block:
    """When the telescope observes a request."""

    start: dt.datetime
    end: dt.datetime


class SimulatedFacility(Facility):
    """A simulated 1 m telescope with a 512×512 CCD at the Roque de los Muchachos."""

    name: ClassVar[str] = "simulated"
    description: ClassVar[str] = (
        "Simulated 1 m telescope on La Palma (offline; data made from the simulated sky)"
    )
    terminal_states: ClassVar[frozenset[str]] = frozenset({"COMPLETED", "CANCELED", "WINDOW_EXPIRED"})
    failed_states: ClassVar[frozenset[str]] = frozenset({"CANCELED", "WINDOW_EXPIRED"})

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        size = int(self.settings.get("frame_size", 512))
        self.camera = Camera(nx=size, ny=size)
        self.sky_seed = int(self.settings.get("sky_seed", 2026))
        self.clear_fraction = float(self.settings.get("clear_fraction", 1.0))

    @property
    def options(self) -> Sequence[Option]:
        return (
            Option("filters", "str", "r", f"comma-separated filters of {', '.join(self.camera.filters)}"),
            Option("exposure_time", "float", 60.0, "seconds per exposure", minimum=0.1, maximum=3600.0),
            Option("exposure_count", "int", 1, "exposures per filter", minimum=1, maximum=50),
            Option("start", "datetime", None, "window start, UTC (default: now)"),
            Option("end", "datetime", None, "window end, UTC (default: start + window_days)"),
            Option("window_days", "float", 3.0, "window length in days when end is not given", minimum=0.01),
            Option("max_airmass", "float", 2.0, "highest airmass allowed", minimum=1.0, maximum=5.0),
        )

    def sites(self) -> list[Site]:
        return [SITE]

    def window(
        self, parameters: Mapping[str, Any], submitted: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime]:
        start = parse_utc(parameters.get("start") or submitted)
        end = parameters.get("end")
        end_time = (
            parse_utc(end) if end else start + dt.timedelta(days=float(parameters.get("window_days") or 3.0))
        )
        return max(start, submitted), end_time

    def validate(self, request: ObservationRequest) -> list[str]:
        parameters = request.parameters
        problems: list[str] = []
        filters = _filters(parameters)
        if not filters:
            problems.append("filters: empty; expected a comma-separated list such as g,r")
        for name in filters:
            if name not in self.camera.filters:
                problems.append(
                    f"filters: {name!r} is not a filter of this camera; "
                    f"expected one of {', '.join(self.camera.filters)}"
                )
        start, end = self.window(parameters, now())
        if end <= start:
            problems.append(f"end: {end.isoformat()} is not after the window start {start.isoformat()}")
        target = request.target
        if target.is_sidereal and (target.ra is None or target.dec is None):
            problems.append(f"target: {target.name!r} has no RA/Dec")
        if not target.is_sidereal and target.eccentricity is None:
            problems.append(f"target: {target.name!r} has no orbital elements")
        return problems

    def submit(self, request: ObservationRequest) -> str:
        return f"SIM-{uuid.uuid4().hex[:12]}"

    def cancel(self, observation: SubmittedObservation) -> str:
        return "CANCELED"

    # -- the scheduler --
    def duration(self, parameters: Mapping[str, Any]) -> dt.timedelta:
        per_filter = int(parameters.get("exposure_count") or 1) * (
            float(parameters.get("exposure_time") or 60.0) + READOUT_SECONDS
        )
        return dt.timedelta(seconds=SLEW_SECONDS + per_filter * len(_filters(parameters)))

    def is_clear(self, night: dt.date) -> bool:
        return (_seed("weather", self.sky_seed, night.isoformat()) % 10_000) / 10_000.0 < self.clear_fraction

    def schedule(self, observation: SubmittedObservation) -> Block | None:
        """The block the request is observed in, or None when its window holds no chance."""
        start, end = self.window(observation.parameters, observation.submitted)
        earliest = start + QUEUE_DELAY
        length = self.duration(observation.parameters)
        limit_altitude = math.degrees(
            math.asin(1.0 / float(observation.parameters.get("max_airmass") or 2.0))
        )
        night = (earliest - dt.timedelta(hours=12)).date()
        while dt.datetime.combine(night, dt.time(12), tzinfo=dt.UTC) < end:
            if self.is_clear(night):
                grid = _grid(night)
                good = (_target_altitude(observation.target, grid) >= limit_altitude) & (
                    grid.sun_alt < DARK_SUN_ALTITUDE
                )
                steps_needed = max(1, math.ceil(length.total_seconds() / (grid.step_days * 86400.0)))
                begin_mjd, end_mjd = to_mjd(earliest), to_mjd(end - length)
                run = 0
                for index, ok in enumerate(good):
                    run = run + 1 if ok else 0
                    if run > steps_needed:
                        candidate = grid.mjd[index - steps_needed]
                        if begin_mjd <= candidate <= end_mjd:
                            block_start = from_mjd(float(candidate)).replace(microsecond=0)
                            return Block(block_start, block_start + length)
            night += dt.timedelta(days=1)
        return None

    def update_status(self, observation: SubmittedObservation) -> StatusReport:
        block = self.schedule(observation)
        moment = now()
        if block is None:
            _, end = self.window(observation.parameters, observation.submitted)
            status = "WINDOW_EXPIRED" if moment >= end else "PENDING"
            return StatusReport(status, detail="target not observable inside the window")
        if moment >= block.end:
            status = "COMPLETED"
        elif moment >= block.start:
            status = "IN_PROGRESS"
        else:
            status = "PENDING"
        return StatusReport(status, block.start, block.end, f"{SITE.name}/{self.camera.telescope}")

    # -- data --
    def data_products(self, observation: SubmittedObservation) -> list[DataProduct]:
        block = self.schedule(observation)
        if block is None or now() < block.end:
            return []
        night = (block.start - dt.timedelta(hours=12)).date()
        grid = _grid(night)
        dusk_mjd = grid.twilights()["civil_dusk"] or float(grid.mjd[0])
        dusk = from_mjd(dusk_mjd).replace(microsecond=0)
        night_code = night.strftime("%Y%m%d")
        telescope = self.camera.telescope
        products: list[DataProduct] = []

        def add(kind: str, band: str, date_obs: dt.datetime, exptime: float) -> None:
            number = len(products) + 1
            suffix = {"BIAS": "b00", "FLAT": "f00", "LIGHT": "e00"}[kind]
            request_code = observation.facility_id.lower()
            filename = f"{telescope.lower()}-{night_code}-{request_code}-{number:03d}-{suffix}.fits"
            products.append(
                DataProduct(
                    product_id=f"{observation.facility_id}-{number:03d}",
                    filename=filename,
                    kind=kind,
                    telescope=telescope,
                    date_obs=date_obs,
                    instrument=self.camera.instrument,
                    filter=band,
                    extra={"exptime": exptime, "night": night_code},
                )
            )

        # Calibrations happen in the evening twilight before the block, as on a real telescope.
        moment = dusk - dt.timedelta(minutes=40)
        for _ in range(BIAS_PER_NIGHT):
            add("BIAS", "none", moment, 0.0)
            moment += dt.timedelta(seconds=READOUT_SECONDS)
        filters = _filters(observation.parameters)
        for band in filters:
            for _ in range(FLATS_PER_FILTER):
                add("FLAT", band, moment, 5.0)
                moment += dt.timedelta(seconds=5.0 + READOUT_SECONDS)
        exptime = float(observation.parameters.get("exposure_time") or 60.0)
        moment = block.start + dt.timedelta(seconds=SLEW_SECONDS)
        for band in filters:
            for _ in range(int(observation.parameters.get("exposure_count") or 1)):
                add("LIGHT", band, moment, exptime)
                moment += dt.timedelta(seconds=exptime + READOUT_SECONDS)
        return products

    def download(self, observation: SubmittedObservation, product: DataProduct, destination: Path) -> None:
        assert product.date_obs is not None
        rng = np.random.default_rng(_seed(self.sky_seed, observation.facility_id, product.product_id))
        if product.kind == "BIAS":
            hdul = bias_frame(self.camera, product.date_obs, rng)
        elif product.kind == "FLAT":
            hdul = flat_frame(self.camera, product.filter, product.date_obs, rng)
        else:
            hdul = self._science(observation, product, rng)
        hdul[0].header["REQNUM"] = (observation.facility_id, "facility request id")
        hdul.writeto(destination, overwrite=True)

    def _science(
        self, observation: SubmittedObservation, product: DataProduct, rng: np.random.Generator
    ) -> Any:
        from tom_tui.adapters.simulated.sky import SimulatedSky

        assert product.date_obs is not None
        target = observation.target
        mid_mjd = to_mjd(product.date_obs) + float(product.extra.get("exptime", 0.0)) / 2 / 86400.0
        if target.is_sidereal:
            ra, dec = float(target.ra or 0.0), float(target.dec or 0.0)
        else:
            from tom_tui.processing.ephemeris import radec_from_elements

            moving_ra, moving_dec = radec_from_elements(vars(target), mid_mjd)
            ra, dec = float(moving_ra[0]), float(moving_dec[0])
        band = product.filter
        sky = SimulatedSky(seed=self.sky_seed)
        half_diagonal = self.camera.nx * self.camera.pixel_scale_arcsec * math.sqrt(2) / 2 / 3600.0
        star_ra, star_dec, star_r = sky.field_stars(ra, dec, half_diagonal * 1.05)
        magnitude = _target_magnitude(sky, target, mid_mjd, band)
        sources = Sources(
            np.append(star_ra, ra), np.append(star_dec, dec), np.append(star_r + STAR_COLOUR[band], magnitude)
        )
        grid = _grid((product.date_obs - dt.timedelta(hours=12)).date())
        altitude = float(np.interp(mid_mjd, grid.mjd, _target_altitude(target, grid)))
        airmass = 1.0 / math.sin(math.radians(max(altitude, 5.0)))
        moon_altitude = float(np.interp(mid_mjd, grid.mjd, grid.moon_alt))
        moon_brightening = grid.moon_illumination * max(0.0, math.sin(math.radians(moon_altitude)))
        sky_mag = DARK_SKY[band] - moon_brightening * (2.5 if band in {"u", "g", "B"} else 1.5)
        night_rng = np.random.default_rng(_seed("seeing", self.sky_seed, grid.night.isoformat()))
        seeing = float(night_rng.lognormal(math.log(0.9), 0.25)) * airmass**0.6
        return science_frame(
            self.camera,
            pointing_ra=ra,
            pointing_dec=dec,
            sources=sources,
            band=band,
            exptime=float(product.extra.get("exptime", 60.0)),
            date_obs=product.date_obs,
            object_name=target.name,
            seeing_arcsec=seeing,
            sky_mag_arcsec2=sky_mag,
            airmass=airmass,
            rng=rng,
        )


@lru_cache(maxsize=8)
def _sky_objects_by_name(sky_seed: int, day: int) -> dict[str, Any]:
    from tom_tui.adapters.simulated.sky import SimulatedSky

    by_name: dict[str, Any] = {}
    for candidate in SimulatedSky(seed=sky_seed).objects_known_at(float(day) + 1.0, lookback_days=365.0):
        for name in (candidate.name, *candidate.aliases):
            by_name.setdefault(name.lower(), candidate)
    return by_name


def _target_magnitude(sky: Any, target: Target, mjd: float, band: str) -> float:
    """The target's simulated brightness now; targets not in the simulated sky get a fixed one."""
    by_name = _sky_objects_by_name(sky.seed, int(mjd))
    for candidate in (by_name.get(name.lower()) for name in target.names):
        if candidate is None:
            continue
        value = float(candidate.magnitude(mjd, band)[0])
        # NaN: the object gives no light then (a supernova before its explosion).
        return value if math.isfinite(value) else 99.0
    for key in ("mag", "magnitude", f"mag_{band}"):
        if isinstance(target.extra.get(key), int | float):
            return float(target.extra[key])
    return DEFAULT_TARGET_MAG
