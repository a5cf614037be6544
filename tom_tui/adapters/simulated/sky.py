"""The simulated sky: a deterministic universe that lets every workflow run with no network.

It holds fixed objects (variable stars, AGN, star clusters, asteroids and a comet with real-looking
elements) and an endless, reproducible stream of transients (supernovae, novae, tidal disruption
events) exploding at a steady rate. Every object has a light-curve model, so the simulated broker,
survey and telescope all see the same brightness at the same moment. The same seed always gives
the same sky.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from tom_tui.domain.clock import from_mjd
from tom_tui.domain.sky import separation_arcsec

FloatArray = npt.NDArray[np.float64]

BANDS = ("u", "g", "r", "i", "z", "y", "B", "V", "R", "I")
# Colour of each class relative to r at peak (AB mag); a rough but physically ordered SED per class.
# Each row lists one colour per band, in the order of BANDS.
_COLOUR_ROWS: dict[str, tuple[float, ...]] = {
    "SN Ia": (0.6, 0.05, 0.0, 0.45, 0.5, 0.6, 0.15, 0.02, -0.05, 0.4),
    "SN II": (0.3, 0.0, 0.0, 0.05, 0.1, 0.15, 0.1, 0.0, -0.05, 0.05),
    "SN Ibc": (0.8, 0.3, 0.0, 0.1, 0.15, 0.2, 0.45, 0.15, -0.05, 0.1),
    "TDE": (-0.6, -0.3, 0.0, 0.15, 0.25, 0.3, -0.25, -0.1, 0.05, 0.15),
    "Nova": (0.2, 0.1, 0.0, 0.1, 0.2, 0.3, 0.2, 0.05, -0.1, 0.1),
    "star": (1.3, 0.45, 0.0, -0.15, -0.2, -0.25, 0.8, 0.2, -0.2, -0.55),
}
_COLOURS: dict[str, dict[str, float]] = {
    kind: dict(zip(BANDS, row, strict=True)) for kind, row in _COLOUR_ROWS.items()
}
# Bazin light-curve shape per class: rise and fall times in days (flux ∝ e^{-t/fall}/(1+e^{-t/rise})).
_SHAPES = {
    "SN Ia": (4.0, 22.0),
    "SN II": (3.0, 90.0),
    "SN Ibc": (3.0, 18.0),
    "TDE": (12.0, 60.0),
    "Nova": (0.8, 12.0),
}
TRANSIENT_RATE_PER_DAY = 3.0
REFERENCE_MJD = 61360.0  # 2026-11-16: the epoch the fixed objects' phases are counted from


@dataclass(frozen=True)
class SimObject:
    """One simulated object with its light-curve model."""

    name: str
    kind: str  # e.g. "SN Ia", "RR Lyrae", "Cepheid", "Eclipsing binary", "Mira", "AGN", "Asteroid", ...
    ra: float | None
    dec: float | None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    elements: dict[str, Any] | None = None  # TOM Toolkit orbital element fields for non-sidereal objects
    params: dict[str, float] = field(default_factory=dict)

    @property
    def is_transient(self) -> bool:
        return self.kind in _SHAPES

    @property
    def discovery_mjd(self) -> float | None:
        return self.params.get("discovery_mjd")

    def magnitude(self, mjd: FloatArray | float, band: str) -> FloatArray:
        """Apparent AB magnitude in ``band`` at ``mjd``; NaN where the object gives no light."""
        times = np.atleast_1d(np.asarray(mjd, dtype=np.float64))
        if band not in BANDS:
            raise ValueError(f"band {band!r} is not simulated; expected one of {', '.join(BANDS)}")
        p = self.params
        if self.is_transient:
            rise, fall = p["rise"], p["fall"]
            phase = times - p["t0"]
            # Bazin is normalised so that its maximum is exactly the peak magnitude.
            shape = np.exp(-phase / fall) / (1.0 + np.exp(-phase / rise))
            grid = np.linspace(-5 * rise, 5 * rise + fall, 400)
            norm = float(np.max(np.exp(-grid / fall) / (1.0 + np.exp(-grid / rise))))
            with np.errstate(divide="ignore"):
                mag = p["peak_mag"] - 2.5 * np.log10(shape / norm)
            # Colours redden as the photosphere cools.
            colour = _COLOURS[self.kind][band] * (1.0 + np.clip(phase, 0, 120) / 40.0)
            mag = mag + colour
            mag[phase < -3 * rise - 2] = np.nan
            return np.asarray(mag)
        star_colour = _COLOURS["star"][band] * p.get("colour_scale", 1.0)
        mean = p.get("mean_mag", 18.0) + star_colour
        if self.kind in {"RR Lyrae", "Cepheid", "Mira"}:
            phase = ((times - REFERENCE_MJD) / p["period"] + p["phase"]) % 1.0
            # Fast rise, slow decline: the sawtooth typical of pulsators.
            rise_fraction = 0.15 if self.kind != "Mira" else 0.4
            profile = np.where(
                phase < rise_fraction,
                1.0 - phase / rise_fraction,
                (phase - rise_fraction) / (1 - rise_fraction),
            )
            band_amplitude = p["amplitude"] * (
                1.3 if band in {"u", "g", "B"} else 1.0 if band in {"V", "r", "R"} else 0.7
            )
            return np.asarray(mean + band_amplitude * (profile - 0.5))
        if self.kind == "Eclipsing binary":
            phase = ((times - REFERENCE_MJD) / p["period"] + p["phase"]) % 1.0
            width = p["width"]
            primary = p["depth"] * np.exp(-0.5 * (np.minimum(phase, 1 - phase) / width) ** 2)
            secondary = 0.4 * p["depth"] * np.exp(-0.5 * ((phase - 0.5) / width) ** 2)
            return np.asarray(mean + primary + secondary)
        if self.kind == "AGN":
            # A sum of slow sinusoids stands in for a damped random walk: smooth, aperiodic-looking.
            variation = sum(
                p[f"amp{k}"] * np.sin(2 * np.pi * (times - REFERENCE_MJD) / p[f"per{k}"] + p[f"ph{k}"])
                for k in range(4)
            )
            return np.asarray(mean + variation)
        if self.kind in {"Asteroid", "Comet"}:
            # Brightness of solar-system bodies depends on geometry; a slow drift keeps it plausible.
            return np.asarray(mean + 0.3 * np.sin(2 * np.pi * (times - REFERENCE_MJD) / 365.25))
        return np.asarray(np.full_like(times, mean))


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([abs(int(k)) for k in keys])


def _random_position(rng: np.random.Generator, avoid_plane: bool) -> tuple[float, float]:
    while True:
        ra = float(rng.uniform(0.0, 360.0))
        dec = float(np.degrees(np.arcsin(rng.uniform(-1.0, 0.9))))  # mostly reachable from the north
        if not avoid_plane or abs(_galactic_latitude(ra, dec)) > 15.0:
            return round(ra, 6), round(dec, 6)


def _galactic_latitude(ra: float, dec: float) -> float:
    # Galactic north pole (J2000): RA 192.85948, Dec 27.12825.
    ra_pole, dec_pole = math.radians(192.85948), math.radians(27.12825)
    r, d = math.radians(ra), math.radians(dec)
    sin_b = math.sin(d) * math.sin(dec_pole) + math.cos(d) * math.cos(dec_pole) * math.cos(r - ra_pole)
    return math.degrees(math.asin(max(-1.0, min(1.0, sin_b))))


def _letters(index: int) -> str:
    """TNS-style suffix: 0 → aaa, 1 → aab, ... (three letters cover 17,576 a year)."""
    letters = ""
    for _ in range(3):
        index, remainder = divmod(index, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


@dataclass(frozen=True)
class _Body:
    """A solar-system body: its orbital elements (TOM Toolkit field names), mean magnitude and aliases."""

    name: str
    scheme: str  # "MPC_MINOR_PLANET" or "MPC_COMET"
    elements: dict[str, float]
    magnitude: float
    aliases: tuple[str, ...]


# Element order of the rows below; every epoch is MJD 61000.
_ASTEROID_FIELDS = (
    "mean_anomaly",
    "arg_of_perihelion",
    "eccentricity",
    "lng_asc_node",
    "inclination",
    "semimajor_axis",
    "mean_daily_motion",
)
_COMET_FIELDS = (
    "arg_of_perihelion",
    "eccentricity",
    "lng_asc_node",
    "inclination",
    "perihdist",
    "epoch_of_perihelion",
)
_ELEMENTS_EPOCH_MJD = 61000.0


def _asteroid(name: str, row: tuple[float, ...], magnitude: float, aliases: tuple[str, ...]) -> _Body:
    elements = {"epoch_of_elements": _ELEMENTS_EPOCH_MJD, **dict(zip(_ASTEROID_FIELDS, row, strict=True))}
    return _Body(name, "MPC_MINOR_PLANET", elements, magnitude, aliases)


def _comet(name: str, row: tuple[float, ...], magnitude: float, aliases: tuple[str, ...]) -> _Body:
    elements = {"epoch_of_elements": _ELEMENTS_EPOCH_MJD, **dict(zip(_COMET_FIELDS, row, strict=True))}
    return _Body(name, "MPC_COMET", elements, magnitude, aliases)


# Real-looking orbital elements (J2000 ecliptic; epochs in MJD).
_SOLAR_SYSTEM: tuple[_Body, ...] = (
    _asteroid("Ceres", (231.5, 73.3, 0.0796, 80.25, 10.59, 2.7665, 0.21408), 7.5, ("1 Ceres", "A801 AA")),
    _asteroid("Vesta", (26.8, 151.5, 0.0894, 103.7, 7.14, 2.3615, 0.27154), 6.8, ("4 Vesta",)),
    _asteroid("Eros", (310.4, 178.9, 0.2229, 304.3, 10.83, 1.4580, 0.55988), 11.2, ("433 Eros", "1898 DQ")),
    _asteroid(
        "Apophis", (142.9, 126.6, 0.1914, 203.9, 3.34, 0.9227, 1.11283), 19.5, ("99942 Apophis", "2004 MN4")
    ),
    _comet("2P/Encke", (187.3, 0.8471, 334.2, 11.35, 0.3393, 60970.4), 14.0, ("Comet Encke",)),
)
_CLUSTERS = (
    ("M13", 250.423475, 36.461319, ("NGC 6205", "Hercules Globular Cluster"), 5.8),
    ("M3", 205.548417, 28.377278, ("NGC 5272",), 6.2),
    ("M92", 259.280767, 43.135944, ("NGC 6341",), 6.4),
)
# Periodic variables: kind, how many, period range (days) and amplitude range (mag).
_VARIABLE_KINDS = (
    ("RR Lyrae", 40, (0.35, 0.75), (0.5, 1.0)),
    ("Cepheid", 20, (3.0, 30.0), (0.3, 0.9)),
    ("Eclipsing binary", 25, (0.4, 5.0), (0.3, 0.9)),
    ("Mira", 10, (150.0, 450.0), (3.0, 6.0)),
)
_AGN_COUNT = 12


def _cluster_objects() -> list[SimObject]:
    return [
        SimObject(
            name,
            "Globular cluster",
            ra,
            dec,
            aliases,
            ("globular cluster",),
            ("Standards",),
            {"classification": "GlC"},
            None,
            {"mean_mag": mag},
        )
        for name, ra, dec, aliases, mag in _CLUSTERS
    ]


def _variable_star(
    rng: np.random.Generator,
    number: int,
    kind: str,
    periods: tuple[float, float],
    amplitudes: tuple[float, float],
) -> SimObject:
    ra, dec = _random_position(rng, avoid_plane=False)
    period = float(np.exp(rng.uniform(np.log(periods[0]), np.log(periods[1]))))
    params = {
        "mean_mag": float(rng.uniform(12.5, 17.5)),
        "period": period,
        "phase": float(rng.uniform()),
        "amplitude": float(rng.uniform(*amplitudes)),
        "depth": float(rng.uniform(*amplitudes)),
        "width": float(rng.uniform(0.02, 0.06)),
        "colour_scale": float(rng.uniform(0.5, 1.5)),
    }
    gaia_id = int(rng.integers(10**18, 6 * 10**18))
    extra = {
        "period_days": round(period, 6),
        "variability_class": kind,
        "mean_mag_r": round(params["mean_mag"], 2),
    }
    return SimObject(
        f"SIMV {number:04d}",
        kind,
        ra,
        dec,
        (f"Gaia DR3 {gaia_id}",),
        ("variable", kind.lower()),
        ("Variables",),
        extra,
        None,
        params,
    )


def _variable_star_kinds() -> Iterator[tuple[str, tuple[float, float], tuple[float, float]]]:
    """Each variable star's kind, period range and amplitude range, one entry per star."""
    for kind, count, periods, amplitudes in _VARIABLE_KINDS:
        for _ in range(count):
            yield kind, periods, amplitudes


def _agn(rng: np.random.Generator, index: int) -> SimObject:
    ra, dec = _random_position(rng, avoid_plane=True)
    params = {"mean_mag": float(rng.uniform(16.0, 19.5))}
    for j in range(4):
        params[f"amp{j}"] = float(rng.uniform(0.03, 0.2))
        params[f"per{j}"] = float(rng.uniform(30.0, 900.0))
        params[f"ph{j}"] = float(rng.uniform(0, 2 * np.pi))
    redshift = round(float(rng.uniform(0.05, 2.5)), 4)
    return SimObject(
        f"SIMQ J{_sexagesimal_tag(ra, dec)}",
        "AGN",
        ra,
        dec,
        (f"SIM-AGN {index + 1}",),
        ("agn",),
        ("Monitoring",),
        {"redshift": redshift},
        None,
        params,
    )


def _solar_system_objects() -> list[SimObject]:
    objects = []
    for body in _SOLAR_SYSTEM:
        kind = "Comet" if body.scheme == "MPC_COMET" else "Asteroid"
        objects.append(
            SimObject(
                body.name,
                kind,
                None,
                None,
                body.aliases,
                ("solar system", kind.lower()),
                ("Solar system",),
                {},
                {"scheme": body.scheme, **body.elements},
                {"mean_mag": body.magnitude},
            )
        )
    return objects


class SimulatedSky:
    """A reproducible sky: fixed objects plus transients that keep exploding as time goes on."""

    def __init__(self, seed: int = 2026) -> None:
        self.seed = seed
        self._day_cache: dict[int, list[SimObject]] = {}
        self._year_cache: dict[int, list[float]] = {}

    # -- fixed objects --
    @cached_property
    def fixed_objects(self) -> list[SimObject]:
        # One generator feeds the variables then the AGN, in that order, so the sky stays the same.
        rng = _rng(self.seed, 1)
        variables = [
            _variable_star(rng, number, kind, periods, amplitudes)
            for number, (kind, periods, amplitudes) in enumerate(_variable_star_kinds(), start=1)
        ]
        agn = [_agn(rng, index) for index in range(_AGN_COUNT)]
        return [*_cluster_objects(), *variables, *agn, *_solar_system_objects()]

    # -- transients --
    def _transients_on_day(self, day: int) -> list[SimObject]:
        if day not in self._day_cache:
            self._day_cache[day] = self._simulate_day(day)
        return self._day_cache[day]

    def _simulate_day(self, day: int) -> list[SimObject]:
        rng = _rng(self.seed, 2, day)
        count = int(rng.poisson(TRANSIENT_RATE_PER_DAY))
        transients = []
        for k in range(count):
            kind = str(
                rng.choice(["SN Ia", "SN II", "SN Ibc", "TDE", "Nova"], p=[0.6, 0.25, 0.08, 0.03, 0.04])
            )
            ra, dec = _random_position(rng, avoid_plane=kind != "Nova")
            rise, fall = _SHAPES[kind]
            t0 = day + float(rng.uniform(0.0, 1.0))
            peak = float(rng.uniform(16.5, 20.3)) if kind != "Nova" else float(rng.uniform(9.0, 14.0))
            redshift = round(float(rng.uniform(0.01, 0.12)), 4) if kind not in {"Nova"} else None
            # Discovered once brighter than a survey's ~20.5 mag limit in r.
            params = {
                "t0": t0,
                "rise": rise * float(rng.uniform(0.7, 1.4)),
                "fall": fall * float(rng.uniform(0.7, 1.3)),
                "peak_mag": peak,
                "slot": float(k),
            }
            probe = SimObject("probe", kind, ra, dec, params=params)
            grid = t0 + np.arange(-30.0, 60.0, 0.5)
            visible = np.flatnonzero(probe.magnitude(grid, "r") < 20.5)
            if visible.size == 0:
                continue
            params["discovery_mjd"] = float(grid[visible[0]])
            extra: dict[str, Any] = {
                "classification": kind,
                "discovery_mjd": round(params["discovery_mjd"], 4),
            }
            if redshift is not None:
                extra["redshift"] = redshift
            transients.append(
                SimObject("", kind, ra, dec, (), ("transient", kind.lower()), (), extra, None, params)
            )
        return transients

    def transients_between(self, start_mjd: float, end_mjd: float) -> list[SimObject]:
        """Transients discovered in [start_mjd, end_mjd), named as TNS would name them (SIM2026abc)."""
        found: list[SimObject] = []
        for day in range(math.floor(start_mjd) - 60, math.floor(end_mjd) + 1):
            for transient in self._transients_on_day(day):
                discovery = transient.discovery_mjd
                if discovery is not None and start_mjd <= discovery < end_mjd:
                    found.append(transient)
        found.sort(key=lambda t: (t.discovery_mjd or 0.0, t.ra or 0.0))
        return [self._named(t) for t in found]

    def _named(self, transient: SimObject) -> SimObject:
        discovery = transient.discovery_mjd or 0.0
        year = from_mjd(discovery).year
        if year not in self._year_cache:
            year_start = (dt.datetime(year, 1, 1, tzinfo=dt.UTC) - from_mjd(0.0)).days
            year_end = (dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) - from_mjd(0.0)).days
            self._year_cache[year] = sorted(self._discoveries(year_start, year_end - 1e-9))
        index = bisect.bisect_left(self._year_cache[year], discovery)
        name = f"SIM{year}{_letters(index)}"
        # A survey-style alias, unique within the year (4447 is coprime with 26**3, so this permutes).
        survey_id = f"SZTF{year % 100:02d}a{_letters((index * 4447) % 17576)}"
        lists = ("SNe Ia",) if transient.kind == "SN Ia" else ("Transients",)
        return SimObject(
            name,
            transient.kind,
            transient.ra,
            transient.dec,
            (survey_id,),
            transient.tags,
            lists,
            transient.extra,
            None,
            transient.params,
        )

    def _discoveries(self, start_mjd: float, end_mjd: float) -> Iterator[float]:
        for day in range(int(start_mjd) - 60, int(end_mjd) + 1):
            for transient in self._transients_on_day(day):
                discovery = transient.discovery_mjd
                if discovery is not None and start_mjd <= discovery <= end_mjd:
                    yield discovery

    # -- the whole sky --
    def objects_known_at(self, now_mjd: float, lookback_days: float = 90.0) -> list[SimObject]:
        """Fixed objects plus the transients discovered in the last ``lookback_days``."""
        return [*self.fixed_objects, *self.transients_between(now_mjd - lookback_days, now_mjd)]

    @property
    def objects(self) -> list[SimObject]:
        return self.objects_known_at(REFERENCE_MJD)

    def target_fields_for_demo(self, now_mjd: float) -> list[dict[str, Any]]:
        """Inputs for :func:`tom_tui.domain.target.build_target`, one per object known at ``now_mjd``."""
        return [object_to_target_fields(obj) for obj in self.objects_known_at(now_mjd)]

    def field_stars(
        self, ra: float, dec: float, radius_deg: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Stars (ra, dec, r magnitude) within ``radius_deg``; the same stars every time at a place."""
        cell = 0.1
        dec_lo, dec_hi = max(-90.0, dec - radius_deg), min(90.0, dec + radius_deg)
        ras: list[FloatArray] = []
        decs: list[FloatArray] = []
        mags: list[FloatArray] = []
        for dec_index in range(math.floor(dec_lo / cell), math.floor(dec_hi / cell) + 1):
            cell_dec = (dec_index + 0.5) * cell
            ra_width = cell / max(math.cos(math.radians(min(abs(cell_dec), 89.9))), 1e-3)
            ra_cells = max(1, round(360.0 / ra_width))
            ra_width = 360.0 / ra_cells
            half_span = radius_deg / max(math.cos(math.radians(min(abs(dec) + radius_deg, 89.9))), 1e-3)
            if half_span >= 180.0:
                ra_indices = range(ra_cells)
            else:
                first = math.floor((ra - half_span) / ra_width)
                last = math.floor((ra + half_span) / ra_width)
                ra_indices = range(first, last + 1)
            for raw_index in ra_indices:
                ra_index = raw_index % ra_cells
                rng = _rng(self.seed, 3, dec_index + 10_000, ra_index)
                # ~2,500 stars per square degree to r = 21, with N(<m) ∝ 10^(0.3 m).
                area = ra_width * cell * math.cos(math.radians(cell_dec))
                count = int(rng.poisson(2500.0 * max(area, 1e-6)))
                ras.append(ra_index * ra_width + rng.uniform(0.0, ra_width, count))
                decs.append(dec_index * cell + rng.uniform(0.0, cell, count))
                uniform = rng.uniform(0.0, 1.0, count)
                mags.append(21.0 + np.log10(uniform) / 0.3)
        if not ras:
            empty = np.empty(0)
            return empty, empty, empty
        all_ra = np.concatenate(ras) % 360.0
        all_dec = np.concatenate(decs)
        all_mag = np.concatenate(mags)
        keep = (
            (separation_arcsec(ra, dec, all_ra, all_dec) <= radius_deg * 3600.0)
            & (all_dec >= -90)
            & (all_dec <= 90)
        )
        return all_ra[keep], all_dec[keep], np.maximum(all_mag[keep], 9.0)


def _sexagesimal_tag(ra: float, dec: float) -> str:
    hours = ra / 15.0
    h, m = int(hours), int((hours % 1) * 60)
    s = ((hours * 60) % 1) * 60
    sign = "+" if dec >= 0 else "-"
    d, dm = int(abs(dec)), int((abs(dec) % 1) * 60)
    ds = ((abs(dec) * 60) % 1) * 60
    return f"{h:02d}{m:02d}{s:04.1f}{sign}{d:02d}{dm:02d}{ds:02.0f}"


def object_to_target_fields(obj: SimObject) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": obj.name,
        "aliases": list(obj.aliases),
        "tags": list(obj.tags),
        "lists": list(obj.lists),
        "extra": dict(obj.extra),
    }
    if obj.elements is not None:
        fields.update(type="NON_SIDEREAL", **obj.elements)
    else:
        fields.update(type="SIDEREAL", ra=obj.ra, dec=obj.dec, epoch=2000.0)
    return fields
