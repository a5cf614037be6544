"""Pan-STARRS1 DR2 single-epoch detections from the MAST catalogs API.

``GET https://catalogs.mast.stsci.edu/api/v0.1/panstarrs/dr2/detection.json?ra=&dec=&radius=<deg>
&columns=[objID,detectID,filterID,obsTime,ra,dec,psfFlux,psfFluxErr,psfQfPerfect,infoFlag,...]
&pagesize=N&page=K`` (public). The answer is ``{"info": [column descriptions], "data": [rows]}``,
each row a list in the order of ``info`` (or an object keyed by column name); pages are asked for
until one comes back short.

Fields, as the PS1 DR2 Detection table documents them: ``obsTime`` is the MJD at the *middle* of
the 30–45 s exposure in **TAI** (converted to UTC here: 35–37 s earlier); ``psfFlux``/``psfFluxErr``
are in **Jy** (×10⁶ → µJy; AB, so m = 23.9 − 2.5 log10 µJy); ``filterID`` 1–5 are g, r, i, z, y
(stored as ``ps1::g`` …); −999 means no value. Every row is a detection (the table holds only
detections). Rows whose PSF is mostly masked (``psfQfPerfect`` < 0.9, the limit MAST's examples
use) or with no positive flux are left out and counted in the answer's note. DR2 is a closed
release: fetching again later finds nothing new.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pyarrow as pa

from tom_tui.adapters.http import HttpRequest
from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyService, TaskMemory
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none
from tom_tui.domain.sky import ARCSEC_PER_DEGREE
from tom_tui.domain.units import flux_to_mag, tai_to_utc_mjd

PS1_BANDS = {1: "ps1::g", 2: "ps1::r", 3: "ps1::i", 4: "ps1::z", 5: "ps1::y"}
DETECTION_COLUMNS = (
    "objID",
    "detectID",
    "filterID",
    "obsTime",
    "ra",
    "dec",
    "psfFlux",
    "psfFluxErr",
    "psfQfPerfect",
    "infoFlag",
    "infoFlag2",
)
MISSING = -999.0
JY_TO_UJY = 1e6
MIN_PSF_QF_PERFECT = 0.9
MAX_PAGES = 100


class PanStarrsDetections(SurveyService):
    """Pan-STARRS1 DR2 detections (PSF fluxes in g, r, i, z, y)."""

    name: ClassVar[str] = "ps1"
    label: ClassVar[str] = "Pan-STARRS1 DR2 detections (MAST)"
    default_base_url: ClassVar[str] = "https://catalogs.mast.stsci.edu/api/v0.1/panstarrs/dr2"
    default_radius_arcsec: ClassVar[float] = 1.0
    position_epoch_mjd: ClassVar[float | None] = 56109.0  # 2012.5, the middle of the PS1 3π survey
    takes_new_data: ClassVar[bool] = False
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("page_size", "int", 5000, "rows asked for per page", minimum=1),
        Option("radius_arcsec", "float", None, "match radius, arcsec", minimum=0.0),
    )

    def page_request(self, ra: float, dec: float, radius_arcsec: float, page: int) -> HttpRequest:
        return HttpRequest(
            "GET",
            f"{self.base_url}/detection.json",
            params={
                "ra": f"{ra:.7f}",
                "dec": f"{dec:.7f}",
                "radius": f"{radius_arcsec / ARCSEC_PER_DEGREE:.8f}",
                "columns": "[" + ",".join(DETECTION_COLUMNS) + "]",
                "pagesize": int(self.settings["page_size"]),
                "page": page,
            },
        )

    def search(
        self,
        ra: float,
        dec: float,
        radius: float,
        *,
        name: str | None,
        since_mjd: float | None,
        tasks: TaskMemory | None,
    ) -> SurveyAnswer:
        rows: list[dict[str, Any]] = []
        page_size = int(self.settings["page_size"])
        for page in range(1, MAX_PAGES + 1):
            request = self.page_request(ra, dec, radius, page)
            payload = self.client.send_json(request)
            with self.reading(request, "detection page"):
                found = mast_rows(payload)
            rows.extend(found)
            if len(found) < page_size:
                break
        raw = pa.Table.from_pylist(
            [{column: row.get(column) for column in DETECTION_COLUMNS} for row in rows]
        )
        photometry, left_out = detections_to_measurements(rows, since_mjd)
        note = f"{left_out} detection(s) left out (masked PSF or no positive flux)" if left_out else ""
        return self.answer(ra, dec, radius, raw, photometry, note)


def mast_rows(payload: Any) -> list[dict[str, Any]]:
    """A MAST catalogs answer's rows as dicts keyed by column name."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("expected a JSON object with 'info' and 'data'")
    data = payload["data"]
    if not isinstance(data, list):
        raise ValueError("'data' is not a list of rows")
    if data and isinstance(data[0], list):
        names = [str(column["name"]) for column in payload["info"]]
        return [dict(zip(names, row, strict=True)) for row in data]
    return [dict(row) for row in data]


def _value(row: dict[str, Any], name: str) -> float | None:
    value = finite_or_none(row.get(name))
    return None if value is None or value == MISSING else value


def detections_to_measurements(rows: list[dict[str, Any]], since_mjd: float | None) -> tuple[pa.Table, int]:
    """PS1 detection rows → measurements, and how many were left out (see the module docstring)."""
    columns = PhotometryColumns(magsys="AB", key="detectID")
    left_out = 0
    for row in rows:
        tai, flux_jy = _value(row, "obsTime"), _value(row, "psfFlux")
        band = PS1_BANDS.get(int(_value(row, "filterID") or 0))
        quality = _value(row, "psfQfPerfect")
        if (
            tai is None
            or band is None
            or flux_jy is None
            or flux_jy <= 0
            or (quality or 0.0) < MIN_PSF_QF_PERFECT
        ):
            left_out += 1
            continue
        mjd = tai_to_utc_mjd(tai)
        if since_mjd is not None and mjd < since_mjd:
            continue
        error_jy = _value(row, "psfFluxErr")
        flux = flux_jy * JY_TO_UJY
        fluxerr = None if error_jy is None else error_jy * JY_TO_UJY
        mag, magerr = flux_to_mag(flux, fluxerr)
        extra = {
            "objID": str(row.get("objID")),
            "detectID": str(row.get("detectID")),
            "infoFlag": row.get("infoFlag"),
        }
        columns.append(
            str(row.get("detectID")),
            mjd,
            band,
            mag=mag,
            magerr=magerr,
            flux=flux,
            fluxerr=fluxerr,
            telescope="PS1",
            instrument="GPC1",
            source="Pan-STARRS1 DR2 detection",
            extra=json.dumps(extra),
        )
    return columns.to_table().drop_columns(["detectID"]), left_out
