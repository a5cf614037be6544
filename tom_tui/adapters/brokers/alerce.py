"""ALeRCE (https://alerce.online): ZTF objects through API v1 and Rubin/LSST objects through the
multi-survey API.

ZTF: ``GET {base_url}/objects`` (filtered listing), ``/objects/{oid}``, ``/objects/{oid}/detections``,
``/objects/{oid}/non_detections`` (upper limits: ``diffmaglim`` per ``mjd`` and ``fid``).
LSST: ``GET {lsst_base_url}/object_api/object?survey_id=lsst&oid=...`` and
``/lightcurve_api/detections?survey_id=lsst&oid=...``; LSST fluxes are in nJy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tom_tui.adapters.alerts.rubin import rubin_measurement
from tom_tui.adapters.alerts.ztf import ZTF_MAGSYS, ztf_measurement
from tom_tui.adapters.brokers.base import Broker, GenericAlert, cone_options, cone_search
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none

LSST_BANDS = {1: "g", 2: "r", 3: "i", 4: "z", 5: "y", 6: "u"}


class AlerceBroker(Broker):
    name = "alerce"
    label = "ALeRCE"
    default_base_url = "https://api.alerce.online/ztf/v1"
    default_lsst_base_url = "https://api-lsst.alerce.online"
    options = (
        Option("survey", "choice", "ztf", "ztf or lsst", choices=("ztf", "lsst")),
        Option("oid", "str", None, "one object id (ZTF name or LSST diaObjectId)"),
        Option("classifier", "str", "lc_classifier", "ALeRCE classifier name"),
        Option("class_name", "str", None, "class to select, e.g. SNIa, SNII, TDE (ZTF listing)"),
        Option("probability", "float", None, "minimum class probability (0-1)"),
        *cone_options(30.0),
        Option("firstmjd_after", "float", None, "only objects first detected after this MJD"),
        Option("page_size", "int", 20, "results per page (at most 1000)"),
    )

    @property
    def lsst_base_url(self) -> str:
        return str(self.settings.get("lsst_base_url") or self.default_lsst_base_url).rstrip("/")

    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        oid = options["oid"]
        if options["survey"] == "lsst":
            if not oid:
                raise ValidationError("oid: the LSST survey is queried one object at a time; give --oid")
            return HttpRequest(
                "GET", f"{self.lsst_base_url}/object_api/object", params={"survey_id": "lsst", "oid": oid}
            )
        if oid:
            return HttpRequest("GET", f"{self.base_url}/objects/{oid}")
        params: dict[str, Any] = {
            "page_size": options["page_size"],
            "order_by": "lastmjd",
            "order_mode": "DESC",
        }
        if options["class_name"]:
            params.update(classifier=options["classifier"], class_name=options["class_name"])
        if options["probability"] is not None:
            params["probability"] = options["probability"]
        if options["firstmjd_after"] is not None:
            params["firstmjd"] = options["firstmjd_after"]
        cone = cone_search(options)
        if cone is not None:
            params.update(cone.fields())
        return HttpRequest("GET", f"{self.base_url}/objects", params=params)

    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        if isinstance(payload, dict) and "items" in payload:
            return [dict(item) for item in payload["items"]]
        if isinstance(payload, dict) and "oid" in payload:
            return [payload]
        raise AdapterError("ALeRCE: expected an object or a page of objects (items)")

    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        oid = str(raw["oid"])
        survey = "lsst" if "sid" in raw or oid.isdigit() else "ztf"
        url = f"https://alerce.online/object/{oid}"
        return GenericAlert(
            broker=self.name,
            id=oid,
            name=oid if survey == "ztf" else f"LSST-{oid}",
            ra=finite_or_none(raw.get("meanra")),
            dec=finite_or_none(raw.get("meandec")),
            mjd=finite_or_none(raw.get("lastmjd")),
            classification=raw.get("class") or raw.get("class_name"),
            score=finite_or_none(raw.get("probability")),
            url=url,
            extra={"survey": survey, "ndet": raw.get("ndet") or raw.get("n_det")},
            raw=raw,
        )

    def history_request(self, alert: GenericAlert) -> HttpRequest | None:
        if alert.extra.get("survey") == "lsst":
            return HttpRequest(
                "GET",
                f"{self.lsst_base_url}/lightcurve_api/detections",
                params={"survey_id": "lsst", "oid": alert.id},
            )
        return HttpRequest("GET", f"{self.base_url}/objects/{alert.id}/detections")

    def photometry_history(self, alert: GenericAlert) -> pa.Table:
        """Detections, plus for ZTF objects the non-detections as upper limits."""
        detections = super().photometry_history(alert)
        if alert.extra.get("survey") == "lsst":
            return detections
        request = HttpRequest("GET", f"{self.base_url}/objects/{alert.id}/non_detections")
        payload = self.fetch(request)
        try:
            limits = self.parse_non_detections(alert, payload)
        except (KeyError, TypeError, ValueError) as error:
            raise AdapterError(
                f"{self.label}: unexpected non-detections from {request.display_url()} "
                f"({type(error).__name__}: {error})"
            ) from None
        return (
            pa.concat_tables([detections, limits.cast(detections.schema)]) if limits.num_rows else detections
        )

    def parse_non_detections(self, alert: GenericAlert, payload: Any) -> pa.Table:
        if not isinstance(payload, list):
            raise AdapterError("ALeRCE: expected a list of non-detections")
        columns = PhotometryColumns(magsys=ZTF_MAGSYS)
        for item in payload:
            columns.append_row(alert.name, {**ztf_measurement(item, detected=False), "source": "alerce"})
        return columns.to_table()

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        if not isinstance(payload, list):
            raise AdapterError("ALeRCE: expected a list of detections")
        columns = PhotometryColumns(magsys="AB")  # ZTF magnitudes and Rubin nJy fluxes are both AB
        for detection in payload:
            mjd = float(detection["mjd"])
            if alert.extra.get("survey") == "lsst":
                band_map = {int(k): v for k, v in (detection.get("band_map") or {}).items()} or LSST_BANDS
                band = band_map.get(int(detection["band"]), str(detection["band"]))
                # ALeRCE relays Rubin's midpointMjdTai as ``mjd``.
                row = rubin_measurement(
                    mjd, band, detection.get("psfFlux"), detection.get("psfFluxErr"), forced=False
                )
                columns.append_row(alert.name, {**row, "source": "alerce"})
            else:
                measurement = ztf_measurement(detection, detected=True)
                columns.append_row(alert.name, {**measurement, "source": "alerce"})
        return columns.to_table()
