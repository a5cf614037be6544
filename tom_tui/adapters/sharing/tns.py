"""TNS (the Transient Name Server) bulk reports: AT (discovery) and classification reports.

The JSON is TNS's bulk-report format (the TNS "Bulk Report" manual; the same structure AMPEL,
ALeRCE, Fink and Hermes send)::

    {"at_report": {"0": {"ra": {"value", "error", "units"}, "dec": {...},
                         "reporting_group_id", "discovery_data_source_id", "reporter",
                         "discovery_datetime", "at_type", "internal_name", "remarks",
                         "non_detection": {...}, "photometry": {"photometry_group": {"0": {...}}}}}}
    {"classification_report": {"0": {"name", "classifier", "objtypeid", "redshift", "groupid",
                                     "remarks", "spectra": {"spectra-group": {"0": {...}}}}}}

Photometry rows carry ``obsdate`` (UTC, ``YYYY-MM-DD HH:MM:SS.sss``), ``flux``/``flux_error``
or ``limiting_flux`` with ``flux_units`` (TNS unit ids: 1 AB mag, 3 Vega mag), and the TNS ids of
the filter and instrument (``filter_value``, ``instrument_value``), which each TNS site numbers
itself: they come from the destination's ``filter_ids`` and ``instrument_ids`` tables.

A report is sent as a form POST to ``{base_url}/api/bulk-report`` with ``api_key`` and ``data``
(the JSON), and a ``User-Agent`` header holding the bot's ``tns_marker`` (TNS refuses requests
without it). TNS answers ``{"id_code", "id_message", "data": {"report_id"}}``; the report is then
processed in the background and ``{base_url}/api/bulk-report-reply`` (``api_key``, ``report_id``)
answers 404 until it is, then 200 with ``data.feedback`` (an accepted AT report names its
``objname``) or 400 with the reasons. The report POST goes through
:class:`~tom_tui.adapters.http.HttpClient` and is never sent twice; asking for the reply is a
read, repeated safely.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from tom_tui.adapters.http import (
    AmbiguousRequestError,
    Credentials,
    HttpClient,
    HttpRequest,
    quoted_reply,
    retry_after_seconds,
)
from tom_tui.domain.clock import from_mjd
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.target import Target

REPORT_PATH = "api/bulk-report"
REPLY_PATH = "api/bulk-report-reply"
FILE_UPLOAD_PATH = "api/file-upload"
# TNS's "units" list (api/get/values): 1 ABMag, 3 VegaMag.
FLUX_UNIT_IDS = {"AB": "1", "VEGA": "3"}
AT_TYPE_PSN = "1"  # "PSN": a possible supernova, TNS's default AT type
SPECTRUM_TYPE_OBJECT = "1"
NO_ARCHIVE_ID = "0"  # "Other"
# TNS's object types (api/get/values "object_types"), as a classification names them.
OBJECT_TYPE_IDS = {
    "Other": "0", "SN": "1", "SN I": "2", "SN Ia": "3", "SN Ib": "4", "SN Ic": "5", "SN Ib/c": "6",
    "SN Ic-BL": "7", "SN Ibn": "9", "SN II": "10", "SN IIP": "11", "SN IIL": "12", "SN IIn": "13",
    "SN IIb": "14", "SN I-faint": "15", "SN I-rapid": "16", "SLSN-I": "18", "SLSN-II": "19",
    "SLSN-R": "20", "Afterglow": "23", "LBV": "24", "ILRT": "25", "Nova": "26", "CV": "27",
    "Varstar": "28", "AGN": "29", "Galaxy": "30", "QSO": "31", "Light-Echo": "40", "Std-spec": "50",
    "Gap": "60", "Gap I": "61", "Gap II": "62", "LRN": "65", "FBOT": "66", "Kilonova": "70",
    "Impostor-SN": "99", "SN Ia-pec": "100", "SN Ia-SC": "102", "SN Ia-91bg-like": "103",
    "SN Ia-91T-like": "104", "SN Iax[02cx-like]": "105", "SN Ia-CSM": "106", "SN Ib-pec": "107",
    "SN Ic-pec": "108", "SN Icn": "109", "SN Ibn/Icn": "110", "SN II-pec": "111", "SN IIn-pec": "112",
    "SN Ib-Ca-rich": "115", "SN Ib/c-Ca-rich": "116", "SN Ic-Ca-rich": "117", "SN Ia-Ca-rich": "118",
    "TDE": "120", "TDE-H": "121", "TDE-He": "122", "TDE-H-He": "123", "FRB": "130", "WR": "200",
    "WR-WN": "201", "WR-WC": "202", "WR-WO": "203", "M dwarf": "210",
}  # fmt: skip
# "2026abc", "AT 2026abc", "SN2026abc": a TNS designation (year and letters).
TNS_NAME = re.compile(r"^(?:(?:AT|SN|TDE|FRB|Kilonova)\s*)?((?:19|20)\d{2}[a-z]{1,4})$")
# What TNS's id codes mean, said once for every request.
ID_CODE_MEANINGS = {
    400: "refused the request as malformed",
    401: "refused the bot's API key (check api_key in the store's credentials file)",
    403: "refused the bot (check bot_id and bot_name, and that the bot may report for the group)",
    404: "does not know this report",
    500: "failed on its side; try again later",
}


def object_type_id(name: str) -> str:
    """The TNS id of a classification: its name (``SN Ia``, any case) or the id itself."""
    if name.strip().isdigit():
        return name.strip()
    folded = {key.casefold(): value for key, value in OBJECT_TYPE_IDS.items()}
    found = folded.get(name.strip().casefold())
    if found is None:
        close = [key for key in OBJECT_TYPE_IDS if key.casefold().startswith(name.strip().casefold()[:4])]
        hint = f" (did you mean {', '.join(close[:4])}?)" if close else ""
        raise ValidationError(f"--type {name!r}: not a TNS object type{hint}; give its name or its TNS id")
    return found


def tns_name_of(names: Sequence[str]) -> str | None:
    """The TNS designation (``2026abc``) among a target's names, without its AT/SN prefix."""
    for name in names:
        matched = TNS_NAME.match(name.strip())
        if matched:
            return matched.group(1)
    return None


def tns_time(mjd: float) -> str:
    """An MJD (UTC) as TNS writes times: ``YYYY-MM-DD HH:MM:SS.sss``."""
    return from_mjd(mjd).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class TnsBot:
    """The bot a report is sent as: its id and name go in the ``tns_marker`` header."""

    bot_id: str
    bot_name: str

    def marker(self) -> str:
        return "tns_marker" + json.dumps({"tns_id": int(self.bot_id), "type": "bot", "name": self.bot_name})


@dataclass(frozen=True)
class ReportSettings:
    """Who reports, for which group, and the site's ids of filters and instruments."""

    reporter: str
    group_id: str
    data_source_id: str
    at_type: str = AT_TYPE_PSN
    filter_ids: Mapping[str, str] = field(default_factory=dict)
    instrument_ids: Mapping[str, str] = field(default_factory=dict)

    def filter_id(self, row: Mapping[str, Any]) -> str | None:
        band = row.get("filter")
        return None if not band else self.filter_ids.get(str(band))

    def instrument_id(self, instrument: str | None, telescope: str | None = None) -> str | None:
        for key in (instrument, telescope):
            if key and key in self.instrument_ids:
                return self.instrument_ids[key]
        return None


def _magnitude_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Points TNS can take: a magnitude or a limit in AB or Vega, by time."""
    usable = [
        row
        for row in rows
        if str(row.get("magsys") or "AB").upper() in FLUX_UNIT_IDS
        and (_present(row.get("mag")) or _present(row.get("limit")))
    ]
    return sorted(usable, key=lambda row: float(row["mjd"]))


def missing_ids(rows: Sequence[Mapping[str, Any]], settings: ReportSettings) -> list[str]:
    """One sentence per band or instrument of ``rows`` without a TNS id in the settings."""
    usable = _magnitude_rows(rows)
    bands = sorted({str(row.get("filter") or "") for row in usable if settings.filter_id(row) is None})
    instruments = sorted(
        {
            str(row.get("instrument") or row.get("telescope") or "")
            for row in usable
            if settings.instrument_id(row.get("instrument"), row.get("telescope")) is None
        }
    )
    problems = [f"band {band!r} has no TNS filter id: add it to filter_ids" for band in bands]
    problems += [
        f"instrument {name!r} has no TNS instrument id: add it to instrument_ids" for name in instruments
    ]
    return problems


def _photometry_entry(row: Mapping[str, Any], settings: ReportSettings) -> dict[str, Any]:
    detected = _present(row.get("mag"))
    return {
        "obsdate": tns_time(float(row["mjd"])),
        "flux": float(row["mag"]) if detected else "",
        "flux_error": float(row["magerr"]) if detected and _present(row.get("magerr")) else "",
        "limiting_flux": float(row["limit"]) if _present(row.get("limit")) else "",
        "flux_units": FLUX_UNIT_IDS[str(row.get("magsys") or "AB").upper()],
        "filter_value": settings.filter_id(row) or "",
        "instrument_value": settings.instrument_id(row.get("instrument"), row.get("telescope")) or "",
        "exptime": "",
        "observer": settings.reporter,
        "comments": "",
    }


def at_report(
    target: Target,
    rows: Sequence[Mapping[str, Any]],
    settings: ReportSettings,
    position_error_arcsec: float | None = None,
    remarks: str = "",
) -> dict[str, Any]:
    """An AT report of ``target`` from its photometry: discovery at the first detection, the last
    non-detection before it, every detection as a photometry row."""
    if target.ra is None or target.dec is None:
        raise ValidationError(f"{target.name}: no ra/dec; an AT report needs the position")
    usable = _magnitude_rows(rows)
    detections = [row for row in usable if _present(row.get("mag"))]
    if not detections:
        raise ValidationError(
            f"{target.name}: no detection with an AB or Vega magnitude; an AT report needs one"
        )
    discovery = float(detections[0]["mjd"])
    earlier_limits = [row for row in usable if not _present(row.get("mag")) and float(row["mjd"]) < discovery]
    error = "" if position_error_arcsec is None else position_error_arcsec
    report: dict[str, Any] = {
        "ra": {"value": target.ra, "error": error, "units": "arcsec"},
        "dec": {"value": target.dec, "error": error, "units": "arcsec"},
        "reporting_group_id": settings.group_id,
        "discovery_data_source_id": settings.data_source_id,
        "reporter": settings.reporter,
        "discovery_datetime": tns_time(discovery),
        "at_type": settings.at_type,
        "internal_name": target.name,
        "remarks": remarks,
        "non_detection": _non_detection(earlier_limits[-1] if earlier_limits else None, settings),
        "photometry": {
            "photometry_group": {
                str(index): _photometry_entry(row, settings) for index, row in enumerate(detections)
            }
        },
    }
    return {"at_report": {"0": report}}


def _non_detection(row: Mapping[str, Any] | None, settings: ReportSettings) -> dict[str, Any]:
    """The last non-detection before discovery, or, without one, TNS's "archive" form saying so."""
    if row is None:
        return {
            "archiveid": NO_ARCHIVE_ID,
            "archival_remarks": "no non-detection before the discovery in the reporter's photometry",
        }
    entry = _photometry_entry(row, settings)
    for key in ("flux", "flux_error"):
        entry.pop(key)
    return entry


@dataclass(frozen=True)
class ClassifiedSpectrum:
    """A spectrum named in a classification report (its file uploaded to TNS separately)."""

    mjd: float
    instrument: str | None
    telescope: str | None = None
    ascii_file: str = ""


def classification_report(
    tns_name: str,
    type_id: str,
    settings: ReportSettings,
    redshift: float | None = None,
    spectra: Sequence[ClassifiedSpectrum] = (),
    remarks: str = "",
) -> dict[str, Any]:
    """A classification report of the TNS object ``tns_name`` (``2026abc``)."""
    report: dict[str, Any] = {
        "name": tns_name,
        "classifier": settings.reporter,
        "objtypeid": type_id,
        "redshift": "" if redshift is None else redshift,
        "groupid": settings.group_id,
        "remarks": remarks,
    }
    if spectra:
        report["spectra"] = {
            "spectra-group": {
                str(index): {
                    "obsdate": tns_time(spectrum.mjd),
                    "instrumentid": settings.instrument_id(spectrum.instrument, spectrum.telescope) or "",
                    "exptime": "",
                    "observer": settings.reporter,
                    "reducer": settings.reporter,
                    "spectypeid": SPECTRUM_TYPE_OBJECT,
                    "ascii_file": spectrum.ascii_file,
                    "fits_file": "",
                    "remarks": "",
                }
                for index, spectrum in enumerate(spectra)
            }
        }
    return {"classification_report": {"0": report}}


def spectrum_ascii(wavelength: Sequence[float], flux: Sequence[float], flux_units: str) -> bytes:
    """A spectrum as the two-column ASCII table TNS takes with a classification (Å, then flux)."""
    lines = [f"# wavelength [Angstrom], flux [{flux_units}]"]
    lines += [f"{w:.4f} {f:.6e}" for w, f in zip(wavelength, flux, strict=True)]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class TnsReply:
    """TNS's answer about a processed report."""

    accepted: bool
    answer: dict[str, Any]

    @property
    def object_names(self) -> list[str]:
        return [str(entry["objname"]) for entry in _feedback_entries(self.answer) if entry.get("objname")]

    @property
    def messages(self) -> list[str]:
        return [str(entry["message"]) for entry in _feedback_entries(self.answer) if entry.get("message")]


def _feedback_entries(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every object of a reply's ``data.feedback`` with a ``message`` or an ``objname``."""
    if isinstance(node, Mapping):
        if "message" in node or "objname" in node:
            yield node
        for value in node.values():
            yield from _feedback_entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _feedback_entries(value)


class TnsClient:
    """Sends bulk reports as one bot, and asks for their replies."""

    def __init__(
        self, base_url: str, bot: TnsBot, credentials: Credentials, client: HttpClient | None = None
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url {base_url!r}: expected an http:// or https:// address")
        credentials.require("api_key")
        self.base_url = base_url.rstrip("/") + "/"
        self.bot = bot
        self._api_key = credentials["api_key"]
        self.http = client or HttpClient()

    def _request(self, path: str, fields: dict[str, str], repeatable: bool) -> HttpRequest:
        return HttpRequest(
            "POST",
            urljoin(self.base_url, path),
            data={"api_key": self._api_key, **fields},
            headers={"User-Agent": self.bot.marker()},
            repeatable=repeatable,
        )

    def report_request(self, report: Mapping[str, Any]) -> HttpRequest:
        return self._request(REPORT_PATH, {"data": json.dumps(report)}, repeatable=False)

    def send_report(self, report: Mapping[str, Any]) -> str:
        """Send ``report``; the id TNS gives it."""
        request = self.report_request(report)
        try:
            response = self.http.send(request, check_status=False)
        except AmbiguousRequestError as error:
            raise AmbiguousRequestError(
                f"{error}; TNS may have received the report: look at the bot's reports on TNS before "
                "sending it again"
            ) from None
        answer = self._answer(request, response, "the report")
        report_id = (answer.get("data") or {}).get("report_id") if isinstance(answer, dict) else None
        if not report_id:
            raise AdapterError(
                f"TNS ({request.display_url()}) answered without a report_id{quoted_reply(response, request)}"
            )
        return str(report_id)

    def upload_file(self, name: str, content: bytes) -> str:
        """Upload one file (a spectrum's ASCII table) for a report; the name TNS stored it under."""
        request = HttpRequest(
            "POST",
            urljoin(self.base_url, FILE_UPLOAD_PATH),
            data={"api_key": self._api_key},
            files={"files[0]": (name, content, "text/plain")},
            headers={"User-Agent": self.bot.marker()},
        )
        response = self.http.send(request, check_status=False)
        stored = self._answer(request, response, f"the file {name}").get("data")
        if not isinstance(stored, list) or not stored:
            raise AdapterError(
                f"TNS ({request.display_url()}) answered the upload of {name} without a file name"
            )
        return str(stored[0])

    def reply(self, report_id: str) -> TnsReply | None:
        """TNS's reply to report ``report_id``; None while it is still being processed."""
        request = self._request(REPLY_PATH, {"report_id": report_id}, repeatable=True)
        response = self.http.send(request, check_status=False)
        if response.status_code == 404:
            return None
        if response.status_code == 400:
            return TnsReply(False, _json_or_empty(response))
        return TnsReply(True, self._answer(request, response, f"report {report_id}"))

    def wait_for_reply(
        self, report_id: str, attempts: int, interval: float, sleep: Callable[[float], None] = time.sleep
    ) -> TnsReply | None:
        """Ask for the reply up to ``attempts`` times, ``interval`` seconds apart."""
        for attempt in range(attempts):
            if attempt:
                sleep(interval)
            reply = self.reply(report_id)
            if reply is not None:
                return reply
        return None

    def _answer(self, request: HttpRequest, response: requests.Response, what: str) -> dict[str, Any]:
        """The JSON of a 200 answer; one sentence for every TNS error code and for 429."""
        where = f"TNS ({request.display_url()})"
        if response.status_code == 429:
            wait = retry_after_seconds(
                response.headers.get("x-rate-limit-reset") or response.headers.get("Retry-After")
            )
            after = f" in {wait:g} s" if wait is not None else " later"
            raise AdapterError(
                f"{where} is limiting the bot's requests (HTTP 429) for {what}; try again{after}"
            )
        if response.status_code != 200:
            meaning = ID_CODE_MEANINGS.get(response.status_code, f"answered HTTP {response.status_code}")
            raise AdapterError(f"{where} {meaning} for {what}{quoted_reply(response, request)}")
        answer = _json_or_empty(response)
        if not answer:
            raise AdapterError(f"{where} answered {what} with something other than JSON; check base_url")
        return answer


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
