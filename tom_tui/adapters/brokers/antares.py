"""ANTARES (NOIRLab, https://antares.noirlab.edu): loci searched with an Elasticsearch query through
``GET {base_url}/loci`` (JSON:API pages) and a locus's alerts through ``/loci/{locus_id}/alerts``.
Cone searches use the index's ``sky_distance`` filter, as ANTARES's own client does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tom_tui.adapters.brokers.base import Broker, GenericAlert, cone_options, cone_search
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none

# ANTARES passbands (ant_passband) → filter names used by tom-tui.
PASSBANDS = {"g": "g", "R": "r", "i": "i", "u": "u", "r": "r", "z": "z", "y": "y"}


class AntaresBroker(Broker):
    name = "antares"
    label = "ANTARES"
    default_base_url = "https://api.antares.noirlab.edu/v1"
    options = (
        Option("ztf_object_id", "str", None, "ZTF object name, e.g. ZTF26abeuijw"),
        Option("tag", "str", None, "ANTARES filter tag, e.g. refitt_newsources_snrcut"),
        Option("max_mag", "float", None, "newest alert brighter than this magnitude"),
        Option("newer_than_mjd", "float", None, "newest alert after this MJD"),
        *cone_options(10.0),
        Option("limit", "int", 20, "results per page"),
    )

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        filters: list[dict[str, Any]] = []
        if options["ztf_object_id"]:
            filters.append({"term": {"properties.ztf_object_id": options["ztf_object_id"]}})
        if options["tag"]:
            filters.append({"term": {"tags": options["tag"]}})
        if options["max_mag"] is not None:
            filters.append({"range": {"properties.newest_alert_magnitude": {"lte": options["max_mag"]}}})
        if options["newer_than_mjd"] is not None:
            filters.append(
                {"range": {"properties.newest_alert_observation_time": {"gte": options["newer_than_mjd"]}}}
            )
        cone = cone_search(options)
        if cone is not None:
            # The sky_distance filter of ANTARES's locus index (an HTM level-16 index of positions).
            filters.append(
                {
                    "sky_distance": {
                        "distance": f"{cone.radius / 3600.0} degree",
                        "htm16": {"center": f"{cone.ra} {cone.dec}"},
                    }
                }
            )
        if not filters:
            raise ValidationError("ANTARES: give an object id, a tag, a magnitude, a date or a cone")
        query = {"query": {"bool": {"filter": filters[0] if len(filters) == 1 else filters}}}
        return HttpRequest(
            "GET",
            f"{self.base_url}/loci",
            params={
                "sort": "-properties.newest_alert_observation_time",
                "elasticsearch_query[locus_listing]": json.dumps(query),
                "page[limit]": options["limit"],
            },
        )

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise AdapterError("ANTARES: expected a JSON:API document with a data list")
        return [dict(item) for item in payload["data"]]

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        attributes = raw["attributes"]
        properties = attributes.get("properties", {})
        locus_id = str(raw["id"])
        ztf_id = properties.get("ztf_object_id")
        lsst_ids = properties.get("survey", {}).get("lsst", {}).get("dia_object_id") or []
        name = ztf_id or (f"LSST-{lsst_ids[0]}" if lsst_ids else locus_id)
        aliases = [locus_id] if name != locus_id else []
        return GenericAlert(
            broker=self.name,
            id=locus_id,
            name=name,
            ra=finite_or_none(attributes.get("ra")),
            dec=finite_or_none(attributes.get("dec")),
            mjd=finite_or_none(properties.get("newest_alert_observation_time")),
            mag=finite_or_none(properties.get("newest_alert_magnitude")),
            url=f"https://antares.noirlab.edu/loci/{locus_id}",
            aliases=aliases,
            extra={
                "antares_tags": ",".join(attributes.get("tags", [])),
                "num_alerts": properties.get("num_alerts"),
            },
            raw=raw,
        )

    def history_request(self, alert: GenericAlert) -> HttpRequest | None:
        return HttpRequest("GET", f"{self.base_url}/loci/{alert.id}/alerts")

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise AdapterError("ANTARES: expected a JSON:API document with a data list of alerts")
        columns = PhotometryColumns(magsys="AB")
        for item in payload["data"]:
            properties = item["attributes"]["properties"]
            survey = item["attributes"].get("survey", "ztf")
            band = PASSBANDS.get(str(properties.get("ant_passband")), str(properties.get("ant_passband")))
            mjd = float(properties.get("ant_mjd", item["attributes"].get("mjd")))
            mag = finite_or_none(properties.get("ant_mag"))
            columns.append(
                alert.name,
                mjd,
                band,
                mag=mag,
                magerr=finite_or_none(properties.get("ant_magerr")),
                limit=None if mag is not None else finite_or_none(properties.get("ant_maglim")),
                telescope="P48" if survey == "ztf" else "Rubin",
                instrument="ZTF" if survey == "ztf" else "LSSTCam",
                source="antares",
            )
        return columns.to_table()
