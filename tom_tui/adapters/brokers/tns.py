"""The Transient Name Server (https://www.wis-tns.org): ``POST {base_url}/get/search`` and
``/get/object``. Needs a bot: ``bot_id``, ``bot_name`` and ``api_key`` (``TOM_TUI_TNS_BOT_ID``, ... or
``[tns]`` in the credentials file). TNS identifies bots by a ``tns_marker`` user agent and limits
requests per bot; the request layer waits out its 429 answers.

The API answers ``{"id_code": 200, "id_message": "OK", "data": {"reply": ...}}`` (``data`` is the
reply itself in newer versions; both are accepted).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tom_tui.adapters.brokers.base import Broker, GenericAlert, cone_options, cone_search
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError, NotFoundError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none
from tom_tui.domain.units import jd_to_mjd

NO_RESULTS_CODE = 110


def tns_reply(payload: Any) -> Any:
    """The ``reply`` of a TNS answer, or an :class:`AdapterError` with TNS's own message."""
    if not isinstance(payload, dict):
        raise AdapterError("TNS: expected a JSON object")
    code = payload.get("id_code")
    if code not in (200, None):
        raise AdapterError(f"TNS: {code} {payload.get('id_message', '')}".rstrip())
    data = payload.get("data", {})
    if isinstance(data, dict) and "reply" in data:
        return data["reply"]
    return data


def split_filter(name: str) -> str:
    """TNS filter names look like ``r-ZTF`` or ``o-ATLAS``: keep the band."""
    return name.split("-", 1)[0] if "-" in name else name


class TnsBroker(Broker):
    name = "tns"
    label = "TNS"
    default_base_url = "https://www.wis-tns.org/api"
    credential_keys = ("bot_id", "bot_name", "api_key")
    options = (
        Option("objname", "str", None, "TNS name without prefix, e.g. 2024abc"),
        Option("internal_name", "str", None, "a survey name, e.g. ZTF24aaaaaaa"),
        *cone_options(5.0),
        Option("discovered_days", "int", None, "discovered within this many days"),
    )

    def _request(self, endpoint: str, body: dict[str, Any]) -> HttpRequest:
        self.credentials.require(*self.credential_keys)
        marker = {
            "tns_id": int(self.credentials["bot_id"]),
            "type": "bot",
            "name": self.credentials["bot_name"],
        }
        return HttpRequest(
            "POST",
            f"{self.base_url}/get/{endpoint}",
            data={"api_key": self.credentials["api_key"], "data": json.dumps(body)},
            headers={"User-Agent": "tns_marker" + json.dumps(marker, separators=(",", ":"))},
            repeatable=True,  # only /get/ endpoints: searches and object look-ups
        )

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        body: dict[str, Any] = {}
        if options["objname"]:
            body["objname"] = options["objname"]
        if options["internal_name"]:
            body["internal_name"] = options["internal_name"]
        cone = cone_search(options)
        if cone is not None:
            body.update(cone.fields(), units="arcsec")
        if options["discovered_days"] is not None:
            body["discovered_period_value"], body["discovered_period_units"] = (
                options["discovered_days"],
                "days",
            )
        if not body:
            raise ValidationError("tns: give --objname, --internal-name, a cone or --discovered-days")
        return self._request("search", body)

    def object_request(self, objname: str) -> HttpRequest:
        return self._request("object", {"objname": objname, "photometry": "1"})

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        reply = tns_reply(payload)
        if not isinstance(reply, list):
            raise AdapterError("TNS: expected a list of search results")
        return [dict(item) for item in reply]

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        objname = str(raw["objname"])
        prefix = raw.get("name_prefix") or raw.get("prefix") or "AT"
        internal = [n.strip() for n in str(raw.get("internal_names") or "").split(",") if n.strip()]
        object_type = raw.get("object_type") or {}
        return GenericAlert(
            broker=self.name,
            id=objname,
            name=f"{prefix} {objname}",
            ra=finite_or_none(raw.get("radeg")),
            dec=finite_or_none(raw.get("decdeg")),
            mag=finite_or_none(raw.get("discoverymag")),
            classification=object_type.get("name") if isinstance(object_type, dict) else None,
            url=f"https://www.wis-tns.org/object/{objname}",
            aliases=internal,
            extra={k: raw[k] for k in ("discoverydate", "redshift") if raw.get(k) is not None},
            raw=raw,
        )

    def get_object(self, objname: str) -> dict[str, Any]:
        reply = tns_reply(self.client.send_json(self.object_request(objname)))
        if not isinstance(reply, dict) or "objname" not in reply:
            raise NotFoundError(f"TNS: no object named {objname!r}")
        return reply

    def complete(self, alert: GenericAlert) -> GenericAlert:
        if alert.ra is not None and "photometry" in alert.raw:
            return alert
        return self.to_generic_alert(self.get_object(alert.id))

    def photometry_history(self, alert: GenericAlert) -> pa.Table:
        return self.parse_history(alert, self.complete(alert).raw)

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        columns = PhotometryColumns(magsys="AB")  # only ABMag points are kept
        for point in payload.get("photometry") or []:
            unit = (point.get("flux_unit") or {}).get("name", "ABMag")
            if unit != "ABMag":
                continue  # fluxes in other units need calibration TNS does not give
            value = finite_or_none(point.get("flux"))
            columns.append(
                alert.name,
                jd_to_mjd(float(point["jd"])),
                split_filter((point.get("filters") or {}).get("name", "")),
                mag=value,
                magerr=finite_or_none(point.get("fluxerr")) if value is not None else None,
                limit=finite_or_none(point.get("limflux")) if value is None else None,
                telescope=(point.get("telescope") or {}).get("name"),
                instrument=(point.get("instrument") or {}).get("name"),
                source="tns",
            )
        return columns.to_table()
