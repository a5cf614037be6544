"""A broker over the simulated sky: deterministic alerts with no network, for the demo and tests.

A simulated survey visits every object every :data:`CADENCE_DAYS` days (alternating g and r, at a
time fixed by the object's position), detects it when brighter than :data:`LIMITING_MAG` and
reports a non-detection with that limit otherwise. Transients rise and fade as the sky's light
curves say; variable stars raise alerts too when ``include_variables`` is set. The same sky, "now"
(``TOM_TUI_NOW``) and options always give the same alerts.

It answers requests to ``sim://broker/alerts`` and ``sim://broker/objects/<name>`` itself, so a dry
run still shows what would be asked.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from tom_tui.adapters.brokers.base import Broker, GenericAlert
from tom_tui.adapters.http import HttpRequest
from tom_tui.adapters.simulated.sky import SimObject, SimulatedSky
from tom_tui.domain.clock import now_mjd
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns

CADENCE_DAYS = 2.0
LIMITING_MAG = 20.5
HISTORY_DAYS = 60.0
BANDS = ("g", "r")


def _unit_hash(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``: deterministic jitter without global random state."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def visit_times(obj: SimObject, start_mjd: float, end_mjd: float) -> np.ndarray:
    """The survey's visits of ``obj`` in [start, end): one every CADENCE_DAYS at a fixed phase."""
    phase = _unit_hash(obj.name, obj.ra, obj.dec) * CADENCE_DAYS
    first = math.ceil((start_mjd - phase) / CADENCE_DAYS)
    last = math.floor((end_mjd - phase) / CADENCE_DAYS)
    return phase + CADENCE_DAYS * np.arange(first, last + 1, dtype=np.float64)


def observe(
    obj: SimObject, start_mjd: float, end_mjd: float
) -> list[tuple[float, str, float | None, float | None]]:
    """(mjd, band, mag or None, magerr or None) for every visit of ``obj`` in the interval."""
    times = visit_times(obj, start_mjd, end_mjd)
    times = times[times < end_mjd]
    rows: list[tuple[float, str, float | None, float | None]] = []
    for k, mjd in enumerate(times):
        band = BANDS[round(mjd / CADENCE_DAYS) % 2]
        true_mag = float(obj.magnitude(mjd, band)[0])
        if not math.isfinite(true_mag) or true_mag >= LIMITING_MAG:
            rows.append((float(mjd), band, None, None))
            continue
        error = 0.01 + 0.1 * 10 ** (0.4 * (true_mag - LIMITING_MAG + 1.0))
        jitter = (_unit_hash(obj.name, k, band) - 0.5) * 2.0 * error
        rows.append((float(mjd), band, round(true_mag + jitter, 4), round(error, 4)))
    return rows


class SimulatedBroker(Broker):
    name = "simulated"
    label = "Simulated survey"
    default_base_url = "sim://broker"
    options = (
        Option("lookback_days", "float", 3.0, "alerts from the last this many days"),
        Option("classification", "str", None, "only this class, e.g. 'SN Ia', 'TDE', 'RR Lyrae'"),
        Option("max_mag", "float", None, "only alerts brighter than this magnitude"),
        Option("include_variables", "bool", False, "also alert on variable stars"),
        Option("seed", "int", 2026, "simulated sky seed"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._skies: dict[int, SimulatedSky] = {}

    def sky(self, seed: int) -> SimulatedSky:
        if seed not in self._skies:
            self._skies[seed] = SimulatedSky(seed)
        return self._skies[seed]

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        params = {key: value for key, value in options.items() if value is not None}
        params["now_mjd"] = round(now_mjd(), 6)
        return HttpRequest("GET", f"{self.base_url}/alerts", params=params)

    def fetch(self, request: HttpRequest) -> Any:
        params = request.params
        sky = self.sky(int(params.get("seed", 2026)))
        if request.url.endswith("/alerts"):
            return self._alerts(sky, params)
        name = request.url.rsplit("/", 1)[-1]
        now = float(params["now_mjd"])
        obj = self._find(sky, name, now)
        return {"object": name, "history": observe(obj, now - HISTORY_DAYS, now)}

    def _find(self, sky: SimulatedSky, name: str, now: float) -> SimObject:
        for obj in sky.objects_known_at(now, lookback_days=HISTORY_DAYS * 2):
            if obj.name == name:
                return obj
        raise NotFoundError(f"simulated sky has no object named {name!r}")

    def _alerts(self, sky: SimulatedSky, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        now = float(params["now_mjd"])
        start = now - float(params.get("lookback_days", 3.0))
        candidates = [t for t in sky.transients_between(now - HISTORY_DAYS, now)]
        if params.get("include_variables"):
            candidates += [o for o in sky.fixed_objects if o.ra is not None and "variable" in o.tags]
        wanted_class = params.get("classification")
        max_mag = params.get("max_mag")
        alerts: list[dict[str, Any]] = []
        for obj in candidates:
            if wanted_class and obj.kind.lower() != str(wanted_class).lower():
                continue
            detections = [row for row in observe(obj, start, now) if row[2] is not None]
            if not detections:
                continue
            mjd, band, mag, magerr = detections[-1]
            if max_mag is not None and mag is not None and mag > float(max_mag):
                continue
            alerts.append(
                {
                    "object": obj.name,
                    "ra": obj.ra,
                    "dec": obj.dec,
                    "mjd": mjd,
                    "band": band,
                    "mag": mag,
                    "magerr": magerr,
                    "classification": obj.kind,
                    "aliases": list(obj.aliases),
                    "extra": {k: v for k, v in obj.extra.items() if isinstance(v, (int, float, str))},
                    "now_mjd": now,
                    "seed": int(params.get("seed", 2026)),
                }
            )
        alerts.sort(key=lambda alert: (alert["mjd"], alert["object"]))
        return alerts

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        return list(payload)

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        return GenericAlert(
            broker=self.name,
            id=raw["object"],
            name=raw["object"],
            ra=raw["ra"],
            dec=raw["dec"],
            mjd=raw["mjd"],
            mag=raw["mag"],
            filter=raw["band"],
            classification=raw["classification"],
            aliases=list(raw["aliases"]),
            extra=dict(raw["extra"]),
            raw=raw,
        )

    def history_request(self, alert: GenericAlert) -> HttpRequest | None:
        return HttpRequest(
            "GET",
            f"{self.base_url}/objects/{alert.id}",
            params={"now_mjd": alert.raw.get("now_mjd", now_mjd()), "seed": alert.raw.get("seed", 2026)},
        )

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        columns = PhotometryColumns(magsys="AB")
        for mjd, band, mag, magerr in payload["history"]:
            columns.append(
                alert.name,
                mjd,
                band,
                mag=mag,
                magerr=magerr,
                limit=LIMITING_MAG if mag is None else None,
                telescope="SIM-48",
                instrument="SimCam",
                source="simulated",
            )
        return columns.to_table()
