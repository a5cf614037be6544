"""Gaia: DR3 epoch photometry from the Gaia archive, and Gaia Science Alerts light curves.

**DR3 epoch photometry** (``gaia``): a cone search of ``gaiadr3.gaia_source`` for sources with
``has_epoch_photometry`` through the archive's TAP service (``GET /tap-server/tap/sync?REQUEST=
doQuery&LANG=ADQL&FORMAT=json&QUERY=...``, answer ``{"metadata": [...], "data": [[...]]}``), then
each source's photometry through DataLink (``GET /data-server/data?RETRIEVAL_TYPE=
EPOCH_PHOTOMETRY&ID=<source_id>&RELEASE=Gaia DR3&FORMAT=csv&DATA_STRUCTURE=INDIVIDUAL``: a zip of
``EPOCH_PHOTOMETRY-Gaia DR3 <id>.csv``), which is what ``astroquery.gaia.Gaia.load_data`` asks.
Both layouts the archive has served are read: one row per transit and band (``band, time, mag,
flux, flux_error, flux_over_error, rejected_by_photometry, rejected_by_variability``) and, since
late 2024, one row per transit (``g_transit_time, g_transit_mag, g_transit_flux_over_error,
bp_obs_time, bp_mag, ..., variability_flag_g_reject, ...``).

Times there are barycentric Julian dates in TCB minus 2455197.5; they are turned into the UTC
MJD at which the light reached the Earth's centre: TCB → TDB, minus the Rømer delay towards the
source (astropy's ``light_travel_time``), → UTC. Gaia is 1.5 million km from the Earth, so the
result is within ~5 s of the time at the spacecraft. Magnitudes are in Gaia's own Vega-based
system (``magsys`` Vega, bands ``gaia::G``, ``gaia::GBP``, ``gaia::GRP``); their error is
2.5/ln 10 over the flux's S/N; fluxes are in e⁻/s, not µJy, so they are kept in ``extra`` only.
Transits rejected by the photometric or variability processing are left out and counted in the
note. DR3 is a closed release.

**Gaia Science Alerts** (``gsa``): ``GET http://gsaweb.ast.cam.ac.uk/alerts/alert/<name>/lightcurve.csv``,
a text file whose first line is the alert name, then ``#Date,JD(TCB),averagemag.`` and rows
``2014-08-02 20:49:51,2456872.36795,19.12`` (``untrusted`` or ``null`` where there is no usable
magnitude; those rows are left out). The alert's name comes from the target's name or aliases
(``Gaia16aye``), else from the alert list (``/alerts/alerts.csv``: ``#Name, ..., RaDeg, DecDeg,
...``) by position. ``JD(TCB)`` is taken as a Julian date in the TCB time scale with no
barycentric correction (none is stated) and converted to UTC; the ``Date`` column is the same
number written as a calendar date, so it is not UTC and is not used.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from tom_tui.adapters.http import HttpRequest
from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyService, TaskMemory
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, finite_or_none
from tom_tui.domain.sky import ARCSEC_PER_DEGREE, separation_arcsec
from tom_tui.processing.visibility import offline_iers

GAIA_TIME_ZERO_JD = 2455197.5
GAIA_BANDS = {"G": "gaia::G", "BP": "gaia::GBP", "RP": "gaia::GRP"}
# Columns of the per-transit layout, per band: time, magnitude, S/N, variability rejection flag.
WIDE_COLUMNS = {
    "G": ("g_transit_time", "g_transit_mag", "g_transit_flux_over_error", "variability_flag_g_reject"),
    "BP": ("bp_obs_time", "bp_mag", "bp_flux_over_error", "variability_flag_bp_reject"),
    "RP": ("rp_obs_time", "rp_mag", "rp_flux_over_error", "variability_flag_rp_reject"),
}
MAG_PER_SNR = 2.5 / np.log(10.0)
_GSA_NAME = re.compile(r"^Gaia\d{2}[a-z]{2,4}$")
TRUE_TEXTS = frozenset({"true", "t", "1"})


def barycentric_tcb_to_utc_mjd(bjd_tcb: np.ndarray, ra: float, dec: float) -> np.ndarray:
    """UTC MJDs at the Earth's centre of barycentric TCB Julian dates of light from (ra, dec)."""
    from astropy import units as u
    from astropy.coordinates import EarthLocation, SkyCoord
    from astropy.time import Time

    if len(bjd_tcb) == 0:
        return np.asarray(bjd_tcb, dtype=np.float64)
    with offline_iers(), _no_leap_second_warnings():
        geocentre = EarthLocation.from_geocentric(0.0, 0.0, 0.0, unit=u.m)
        barycentric = Time(
            np.asarray(bjd_tcb, dtype=np.float64), format="jd", scale="tcb", location=geocentre
        )
        delay = barycentric.light_travel_time(SkyCoord(ra * u.deg, dec * u.deg), kind="barycentric")
        arrival = barycentric.tdb - delay
        return np.asarray(arrival.utc.mjd, dtype=np.float64)


def tcb_to_utc_mjd(jd_tcb: np.ndarray) -> np.ndarray:
    """UTC MJDs of Julian dates in the TCB time scale (no change of place)."""
    from astropy.time import Time

    if len(jd_tcb) == 0:
        return np.asarray(jd_tcb, dtype=np.float64)
    with _no_leap_second_warnings():
        return np.asarray(Time(np.asarray(jd_tcb, dtype=np.float64), format="jd", scale="tcb").utc.mjd)


@contextmanager
def _no_leap_second_warnings() -> Iterator[None]:
    """Past the leap-second table's last update erfa warns ("dubious year") and keeps the last
    offset, which is the best anyone knows; a damaged date far outside 1900-2100 warns too."""
    import erfa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        yield


class GaiaEpochPhotometry(SurveyService):
    """Gaia DR3 epoch photometry (G, BP, RP) of the sources in the cone."""

    name: ClassVar[str] = "gaia"
    label: ClassVar[str] = "Gaia DR3 epoch photometry"
    default_base_url: ClassVar[str] = "https://gea.esac.esa.int"
    default_radius_arcsec: ClassVar[float] = 1.0
    position_epoch_mjd: ClassVar[float | None] = 57388.5  # J2016.0, the Gaia DR3 reference epoch
    takes_new_data: ClassVar[bool] = False
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("max_sources", "int", 5, "at most this many sources of the cone, nearest first", minimum=1),
        Option("radius_arcsec", "float", None, "match radius, arcsec", minimum=0.0),
    )

    def cone_request(self, ra: float, dec: float, radius_arcsec: float) -> HttpRequest:
        radius = radius_arcsec / ARCSEC_PER_DEGREE
        query = (
            f"SELECT TOP {int(self.settings['max_sources'])} source_id, ra, dec, phot_g_mean_mag, "
            f"DISTANCE(POINT(ra, dec), POINT({ra:.8f}, {dec:.8f})) AS dist "
            "FROM gaiadr3.gaia_source WHERE has_epoch_photometry = 'True' AND "
            f"1 = CONTAINS(POINT(ra, dec), CIRCLE({ra:.8f}, {dec:.8f}, {radius:.8f})) ORDER BY dist"
        )
        params = {"REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "json", "QUERY": query}
        return HttpRequest("GET", f"{self.base_url}/tap-server/tap/sync", params=params)

    def epoch_request(self, source_id: str) -> HttpRequest:
        params = {
            "RETRIEVAL_TYPE": "EPOCH_PHOTOMETRY",
            "ID": source_id,
            "RELEASE": "Gaia DR3",
            "FORMAT": "csv",
            "DATA_STRUCTURE": "INDIVIDUAL",
        }
        return HttpRequest("GET", f"{self.base_url}/data-server/data", params=params)

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
        request = self.cone_request(ra, dec, radius)
        payload = self.client.send_json(request)
        with self.reading(request, "cone search"):
            sources = tap_rows(payload)
        raws, tables, rejected = [], [], 0
        for source in sources:
            source_id = str(source["source_id"])
            epoch = self.epoch_request(source_id)
            response = self.client.send(epoch)
            with self.reading(epoch, "epoch photometry"):
                raw = read_epoch_zip(response.content)
                table, left_out = epoch_measurements(raw, ra, dec, since_mjd)
            raws.append(raw)
            tables.append(table)
            rejected += left_out
        raw_all = pa.concat_tables(raws, promote_options="default") if raws else pa.table({})
        photometry = pa.concat_tables(tables) if tables else PhotometryColumns(magsys="Vega").to_table()
        note = f"{rejected} transit(s) rejected by Gaia's processing left out" if rejected else ""
        return self.answer(ra, dec, radius, raw_all, photometry.drop_columns(["target"]), note)


def tap_rows(payload: Any) -> list[dict[str, Any]]:
    """A TAP JSON answer's rows as dicts keyed by column name."""
    if not isinstance(payload, dict) or "metadata" not in payload or "data" not in payload:
        raise ValueError("expected a TAP JSON answer with 'metadata' and 'data'")
    names = [str(column["name"]) for column in payload["metadata"]]
    return [dict(zip(names, row, strict=True)) for row in payload["data"]]


def read_epoch_zip(content: bytes) -> pa.Table:
    """The epoch-photometry table of a DataLink answer (a zip, or the CSV itself)."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if n.startswith("EPOCH_PHOTOMETRY") and n.endswith(".csv")]
            if not names:
                return pa.table({})
            parts = [_read_csv_text(archive.read(n).decode("utf-8", errors="replace")) for n in names]
            return pa.concat_tables(parts, promote_options="default")
    text = content.decode("utf-8", errors="replace")
    if not text.strip():
        return pa.table({})
    return _read_csv_text(text)


def _read_csv_text(text: str) -> pa.Table:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or "source_id" not in reader.fieldnames:
        raise ValueError("expected an epoch-photometry CSV with a source_id column")
    rows = list(reader)
    return pa.table(
        {name: pa.array([row.get(name) or None for row in rows], pa.string()) for name in reader.fieldnames}
    )


def _long_layout(raw: pa.Table) -> list[dict[str, Any]]:
    """Per band and transit: band, time, mag, S/N and whether Gaia rejected it, from either layout."""
    records = raw.to_pylist()
    if "band" in raw.column_names:
        return [
            {
                "source_id": r.get("source_id"),
                "transit_id": r.get("transit_id"),
                "band": str(r.get("band") or ""),
                "time": finite_or_none(r.get("time")),
                "mag": finite_or_none(r.get("mag")),
                "snr": finite_or_none(r.get("flux_over_error")),
                "flux": finite_or_none(r.get("flux")),
                "rejected": _flag(r.get("rejected_by_photometry")) or _flag(r.get("rejected_by_variability")),
            }
            for r in records
        ]
    if "g_transit_time" not in raw.column_names:
        raise ValueError("expected epoch photometry with band/time or g_transit_time columns")
    long: list[dict[str, Any]] = []
    for band, (time_col, mag_col, snr_col, reject_col) in WIDE_COLUMNS.items():
        for r in records:
            long.append(
                {
                    "source_id": r.get("source_id"),
                    "transit_id": r.get("transit_id"),
                    "band": band,
                    "time": finite_or_none(r.get(time_col)),
                    "mag": finite_or_none(r.get(mag_col)),
                    "snr": finite_or_none(r.get(snr_col)),
                    "flux": None,
                    "rejected": _flag(r.get("rejected_by_photometry")) or _flag(r.get(reject_col)),
                }
            )
    return long


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in TRUE_TEXTS


def epoch_measurements(raw: pa.Table, ra: float, dec: float, since_mjd: float | None) -> tuple[pa.Table, int]:
    """Epoch photometry → measurements (Vega magnitudes at UTC), and how many transits were rejected."""
    columns = PhotometryColumns(magsys="Vega")
    if raw.num_rows == 0:
        return columns.to_table(), 0
    transits = _long_layout(raw)
    usable = [
        t for t in transits if t["time"] is not None and t["mag"] is not None and t["band"] in GAIA_BANDS
    ]
    rejected = sum(1 for t in usable if t["rejected"])
    kept = [t for t in usable if not t["rejected"]]
    mjd = barycentric_tcb_to_utc_mjd(np.asarray([t["time"] + GAIA_TIME_ZERO_JD for t in kept]), ra, dec)
    for transit, when in zip(kept, mjd.tolist(), strict=True):
        if since_mjd is not None and when < since_mjd:
            continue
        snr = transit["snr"]
        columns.append(
            str(transit["source_id"]),
            when,
            GAIA_BANDS[transit["band"]],
            mag=transit["mag"],
            magerr=None if not snr else float(MAG_PER_SNR / snr),
            telescope="Gaia",
            instrument="Gaia",
            source="Gaia DR3 epoch photometry",
            extra=f'{{"source_id": "{transit["source_id"]}", "transit_id": "{transit["transit_id"]}"}}',
        )
    return columns.to_table(), rejected


class GaiaScienceAlerts(SurveyService):
    """Gaia Science Alerts light curves (G band) of the alert at the target."""

    name: ClassVar[str] = "gsa"
    label: ClassVar[str] = "Gaia Science Alerts light curves"
    default_base_url: ClassVar[str] = "http://gsaweb.ast.cam.ac.uk/alerts"
    default_radius_arcsec: ClassVar[float] = 2.0
    position_epoch_mjd: ClassVar[float | None] = 57388.5  # J2016.0, the positions of the alert list
    takes_new_data: ClassVar[bool] = False  # Gaia stopped observing in January 2025
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("radius_arcsec", "float", None, "match radius against the alert list, arcsec", minimum=0.0),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alerts: list[tuple[str, float, float]] | None = None

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
        alert = self.alert_name(ra, dec, radius, name)
        if alert is None:
            empty = PhotometryColumns(magsys="Vega").to_table().drop_columns(["target"])
            return self.answer(ra, dec, radius, pa.table({}), empty, note="no Gaia alert at this position")
        request = HttpRequest("GET", f"{self.base_url}/alert/{alert}/lightcurve.csv")
        response = self.client.send(request)
        with self.reading(request, "light curve"):
            raw, photometry = read_gsa_light_curve(response.text, alert, since_mjd)
        return self.answer(ra, dec, radius, raw, photometry, note=alert)

    def alert_name(self, ra: float, dec: float, radius_arcsec: float, name: str | None) -> str | None:
        """The alert's name: the target's own (``Gaia16aye``), else the nearest alert in the list."""
        if name and _GSA_NAME.match(name.strip()):
            return name.strip()
        alerts = self.alert_list()
        if not alerts:
            return None
        positions = np.asarray([(a[1], a[2]) for a in alerts])
        distances = separation_arcsec(ra, dec, positions[:, 0], positions[:, 1])
        nearest = int(np.argmin(distances))
        return alerts[nearest][0] if distances[nearest] <= radius_arcsec else None

    def alert_list(self) -> list[tuple[str, float, float]]:
        if self._alerts is None:
            request = HttpRequest("GET", f"{self.base_url}/alerts.csv")
            text = self.client.send(request).text
            with self.reading(request, "alert list"):
                self._alerts = parse_alert_list(text)
        return self._alerts


def parse_alert_list(text: str) -> list[tuple[str, float, float]]:
    """(name, ra, dec) of every alert in GSA's ``alerts.csv``."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [column.strip().lstrip("#") for column in next(reader)]
    if "Name" not in header or "RaDeg" not in header or "DecDeg" not in header:
        raise ValueError("expected columns #Name, RaDeg and DecDeg")
    at = {column: header.index(column) for column in ("Name", "RaDeg", "DecDeg")}
    alerts = []
    for row in reader:
        ra, dec = finite_or_none(row[at["RaDeg"]]), finite_or_none(row[at["DecDeg"]])
        if ra is not None and dec is not None:
            alerts.append((row[at["Name"]].strip(), ra, dec))
    return alerts


def read_gsa_light_curve(text: str, alert: str, since_mjd: float | None) -> tuple[pa.Table, pa.Table]:
    """A GSA ``lightcurve.csv``: its rows, and the trusted ones as G-band measurements at UTC."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header_at = next((i for i, line in enumerate(lines) if line.startswith("#Date")), None)
    if header_at is None:
        if "<html" in text.lower() or "not found" in text.lower():
            raise AdapterError(f"Gaia Science Alerts: no light curve for {alert}")
        raise ValueError("expected a '#Date,JD(TCB),averagemag.' header")
    rows = [line.split(",") for line in lines[header_at + 1 :]]
    raw = pa.table(
        {
            "Date": pa.array([r[0] for r in rows], pa.string()),
            "JD(TCB)": pa.array([r[1] if len(r) > 1 else None for r in rows], pa.string()),
            "averagemag": pa.array([r[2] if len(r) > 2 else None for r in rows], pa.string()),
        }
    )
    trusted = [(finite_or_none(r[1]), finite_or_none(r[2])) for r in rows if len(r) > 2]
    trusted = [(jd, mag) for jd, mag in trusted if jd is not None and mag is not None]
    mjd = tcb_to_utc_mjd(np.asarray([jd for jd, _ in trusted])) if trusted else np.asarray([])
    columns = PhotometryColumns(magsys="Vega")
    for (jd, mag), when in zip(trusted, mjd.tolist(), strict=True):
        if since_mjd is None or when >= since_mjd:
            columns.append(
                alert,
                when,
                "gaia::G",
                mag=mag,
                telescope="Gaia",
                instrument="Gaia",
                source="Gaia Science Alerts",
                extra=f'{{"alert": "{alert}", "jd_tcb": {jd}}}',
            )
    return raw, columns.to_table().drop_columns(["target"])
