"""The Minor Planet Center's orbit API (``GET {base_url}/get-orb`` with ``{"desig": ...}``), the
service TOM Toolkit's MPC harvester uses; its ``mpc_orb`` JSON holds cometary elements (q, e, i,
node, argperi, peri_time), from which minor planets get a, n and M."""

from __future__ import annotations

import math
from typing import Any

import requests

from tom_tui.adapters.catalogs.base import Catalog
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError

GAUSS_DEGREES_PER_DAY = 0.9856076686  # k in degrees/day: n = k / a^1.5 for a in au


def orbit_to_fields(orbit: dict[str, Any], term: str) -> dict[str, Any]:
    designation = orbit.get("designation_data") or {}
    elements = dict(zip(orbit["COM"]["coefficient_names"], orbit["COM"]["coefficient_values"], strict=True))
    epoch = float(orbit["epoch_data"]["epoch"])
    q, e = float(elements["q"]), float(elements["e"])
    permid, proper = designation.get("permid") or "", designation.get("name") or ""
    provisional = designation.get("unpacked_primary_provisional_designation") or ""
    name = f"{permid} {proper}".strip() if permid else (proper or provisional or term)
    is_comet = e >= 0.98 or "/" in (provisional or term)
    fields: dict[str, Any] = {
        "name": name,
        "type": "NON_SIDEREAL",
        "scheme": "MPC_COMET" if is_comet else "MPC_MINOR_PLANET",
        "epoch_of_elements": epoch,
        "eccentricity": e,
        "inclination": float(elements["i"]),
        "lng_asc_node": float(elements["node"]),
        "arg_of_perihelion": float(elements["argperi"]),
        "perihdist": q,
        "epoch_of_perihelion": float(elements["peri_time"]),
        "aliases": [a for a in {provisional, term} if a and a != name],
        "extra": {"catalog": "MPC"},
    }
    if not is_comet:
        a = q / (1.0 - e)
        n = GAUSS_DEGREES_PER_DAY / a**1.5
        fields.update(
            semimajor_axis=a,
            mean_daily_motion=n,
            mean_anomaly=math.fmod(n * (epoch - float(elements["peri_time"])), 360.0) % 360.0,
        )
    magnitude = (orbit.get("magnitude_data") or {}).get("H")
    if magnitude is not None:
        fields["extra"]["H"] = magnitude
    return fields


class MpcCatalog(Catalog):
    name = "mpc"
    label = "Minor Planet Center"
    default_base_url = "https://data.minorplanetcenter.net/api"
    sidereal = False

    def request_for(self, term: str) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/get-orb", json={"desig": term})

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        try:
            payload = response.json()
        except ValueError:
            raise AdapterError("MPC: expected JSON from get-orb") from None
        # The API wraps the orbit as [{"mpc_orb": {...}}, status]; accept the bare orbit too.
        if isinstance(payload, list) and payload and isinstance(payload[0], dict):
            payload = payload[0]
        if isinstance(payload, dict) and "mpc_orb" in payload:
            payload = payload["mpc_orb"]
        if not isinstance(payload, dict) or "COM" not in payload:
            return None
        try:
            return orbit_to_fields(payload, term)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
            raise AdapterError(
                f"MPC: unexpected orbit for {term!r} ({type(error).__name__}: {error})"
            ) from None
