"""Fink (https://fink-portal.org), ZTF API: ``POST {base_url}/objects`` (an object's alerts),
``/latests`` (latest alerts of a class) and ``/conesearch``. Every answer is a list of alert rows
with ``i:`` (ZTF candidate), ``d:`` (Fink science modules) and ``v:`` (derived) columns; rows of one
object are grouped, the newest describes it and all of them are its light curve.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tom_tui.adapters.alerts.ztf import ZTF_FILTERS, ZTF_MAGSYS, ztf_measurement
from tom_tui.adapters.brokers.base import Broker, GenericAlert, cone_options, cone_search
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none
from tom_tui.domain.units import jd_to_mjd


class FinkBroker(Broker):
    name = "fink"
    label = "Fink"
    default_base_url = "https://api.ztf.fink-portal.org/api/v1"
    options = (
        Option("object_id", "str", None, "one ZTF object name (all its alerts)"),
        Option(
            "fink_class",
            "str",
            None,
            "latest alerts of a Fink class, e.g. 'SN candidate', 'Early SN Ia candidate'",
        ),
        Option("n", "int", 10, "how many latest alerts of the class"),
        *cone_options(10.0),
    )

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        if options["object_id"]:
            return HttpRequest(
                "POST",
                f"{self.base_url}/objects",
                json={"objectId": options["object_id"], "output-format": "json"},
                repeatable=True,
            )
        if options["fink_class"]:
            return HttpRequest(
                "POST",
                f"{self.base_url}/latests",
                json={"class": options["fink_class"], "n": options["n"], "output-format": "json"},
                repeatable=True,
            )
        cone = cone_search(options)
        if cone is not None:
            return HttpRequest(
                "POST",
                f"{self.base_url}/conesearch",
                json={**cone.fields(), "output-format": "json"},
                repeatable=True,
            )
        raise ValidationError("fink: give --object-id, --fink-class or a cone (--ra, --dec, --radius)")

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        if not isinstance(payload, list):
            raise AdapterError("Fink: expected a list of alert rows")
        by_object: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in payload:
            by_object[str(row["i:objectId"])].append(row)
        results = []
        for rows in by_object.values():
            rows.sort(key=lambda row: float(row["i:jd"]))
            results.append({**rows[-1], "history": rows})
        return results

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        name = str(raw["i:objectId"])
        extra = {key: raw[key] for key in ("d:cdsxmatch", "d:tns") if raw.get(key)}
        return GenericAlert(
            broker=self.name,
            id=name,
            name=name,
            ra=finite_or_none(raw.get("i:ra")),
            dec=finite_or_none(raw.get("i:dec")),
            mjd=jd_to_mjd(float(raw["i:jd"])),
            mag=finite_or_none(raw.get("i:magpsf")),
            filter=ZTF_FILTERS.get(int(raw["i:fid"])),
            classification=raw.get("v:classification"),
            url=f"https://fink-portal.org/{name}",
            extra={k.split(":", 1)[1]: v for k, v in extra.items()},
            raw=raw,
        )

    def history_request(self, alert: GenericAlert) -> HttpRequest | None:
        return HttpRequest(
            "POST",
            f"{self.base_url}/objects",
            json={"objectId": alert.id, "withupperlim": True, "output-format": "json"},
            repeatable=True,
        )

    def photometry_history(self, alert: GenericAlert) -> pa.Table:
        if "history" in alert.raw:
            return self.parse_history(alert, alert.raw["history"])
        return super().photometry_history(alert)

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        if not isinstance(payload, list):
            raise AdapterError("Fink: expected a list of alert rows")
        columns = PhotometryColumns(magsys=ZTF_MAGSYS)
        for row in payload:
            # With withupperlim, d:tag says "valid", "upperlim" or "badquality".
            detected = row.get("d:tag", "valid") == "valid"
            measurement = ztf_measurement(row, detected=detected, prefix="i:")
            columns.append_row(alert.name, {**measurement, "source": "fink"})
        return columns.to_table()
