"""Lasair (https://lasair-ztf.lsst.ac.uk): cone search ``POST {base_url}/cone/`` and object details
``POST {base_url}/objects/``. Every call needs a token (``Authorization: Token ...``): set
``TOM_TUI_LASAIR_TOKEN`` or ``token`` under ``[lasair]`` in the store's credentials file.

A cone search answers object names and separations only; :meth:`LasairBroker.complete` fetches the
object (position, classification, light curve) before import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tom_tui.adapters.alerts.ztf import ZTF_FILTERS, ZTF_MAGSYS, ztf_measurement
from tom_tui.adapters.brokers.base import Broker, GenericAlert, cone_options, cone_search
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none


def object_url(name: str) -> str:
    """The object's page on the Lasair web site."""
    return f"https://lasair-ztf.lsst.ac.uk/objects/{name}/"


class LasairBroker(Broker):
    name = "lasair"
    label = "Lasair"
    default_base_url = "https://lasair-ztf.lsst.ac.uk/api"
    credential_keys = ("token",)
    options = (
        Option("object_id", "str", None, "one ZTF object name"),
        *cone_options(10.0, "cone radius, arcsec (Lasair allows up to 1000)"),
    )

    def _headers(self) -> dict[str, str]:
        self.credentials.require("token")
        return {"Authorization": f"Token {self.credentials['token']}"}

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        if options["object_id"]:
            return self._objects_request(str(options["object_id"]))
        cone = cone_search(options)
        if cone is None:
            raise ValidationError("ra/dec: Lasair needs --object-id or a cone (--ra, --dec, --radius)")
        return HttpRequest(
            "POST",
            f"{self.base_url}/cone/",
            data={**cone.fields(), "requestType": "all"},
            headers=self._headers(),
            repeatable=True,
        )

    def _objects_request(self, object_ids: str) -> HttpRequest:
        return HttpRequest(
            "POST",
            f"{self.base_url}/objects/",
            data={"objectIds": object_ids},
            headers=self._headers(),
            repeatable=True,
        )

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        if isinstance(payload, dict) and "error" in payload:
            raise AdapterError(f"Lasair: {payload['error']}")
        if not isinstance(payload, list):
            raise AdapterError("Lasair: expected a list of objects")
        return [dict(item) for item in payload]

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        if "objectData" in raw:
            return self._object_alert(raw)
        name = str(raw["object"])
        return GenericAlert(
            broker=self.name,
            id=name,
            name=name,
            ra=None,
            dec=None,
            url=object_url(name),
            extra={"separation_arcsec": finite_or_none(raw.get("separation"))},
            raw=raw,
        )

    def _object_alert(self, raw: dict[str, Any]) -> GenericAlert:
        name = str(raw["objectId"])
        data = raw["objectData"]
        detections = [c for c in raw.get("candidates", []) if c.get("candid")]
        latest = max(detections, key=lambda c: c["mjd"]) if detections else {}
        sherlock = raw.get("sherlock") or {}
        return GenericAlert(
            broker=self.name,
            id=name,
            name=name,
            ra=finite_or_none(data.get("ramean")),
            dec=finite_or_none(data.get("decmean")),
            mjd=finite_or_none(latest.get("mjd")),
            mag=finite_or_none(latest.get("magpsf")),
            filter=ZTF_FILTERS.get(int(latest["fid"])) if latest else None,
            classification=sherlock.get("classification"),
            url=object_url(name),
            raw=raw,
        )

    def complete(self, alert: GenericAlert) -> GenericAlert:
        if "objectData" in alert.raw:
            return alert
        payload = self.client.send_json(self._objects_request(alert.id))
        objects = self.parse_query(payload)
        if not objects:
            raise AdapterError(f"Lasair: object {alert.id} not found")
        return self._object_alert(objects[0])

    def photometry_history(self, alert: GenericAlert) -> pa.Table:
        return self.parse_history(alert, self.complete(alert).raw)

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        columns = PhotometryColumns(magsys=ZTF_MAGSYS)
        for candidate in payload.get("candidates", []):
            measurement = ztf_measurement(candidate, detected=bool(candidate.get("candid")))
            columns.append_row(alert.name, {**measurement, "source": "lasair"})
        return columns.to_table()
