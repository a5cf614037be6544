"""Import a YSE-PZ transient upload dictionary (the JSON its ``add_transient`` API takes)::

    {"noupdatestatus": true,
     "2019np": {"name": "2019np", "ra": 157.34, "dec": 29.51, "status": "Watch", "obs_group": "ZTF",
                "tags": ["YSE"], "redshift": 0.004,
                "transientphotometry": {
                    "mjdmatchmin": 0.01, "clobber": false,
                    "ZTF": {"instrument": "ZTF-Cam", "obs_group": "ZTF",
                            "photdata": {"0": {"obs_date": "2019-01-10T00:00:00", "band": "g-ZTF",
                                               "mag": 18.5, "mag_err": 0.05, "flux": null, ...}}}}}}

- ``noupdatestatus``: a transient that already exists keeps its status (else the upload's wins);
- ``mjdmatchmin``: points of one target, band and instrument closer than this many days are the
  same observation;
- ``clobber``: such a point replaces the one already there (else the existing one is kept and the
  new one ignored).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from tom_tui.domain.bands import BAND_ALIASES, canonical_band
from tom_tui.domain.clock import to_mjd
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import DedupPolicy, PhotometryColumns, finite_or_none
from tom_tui.domain.units import rescale_flux
from tom_tui.services.alerts.ingest import IngestReport, PhotometryWriter, ingest_candidates
from tom_tui.services.alerts.ingest import photometry_writer as default_yse_writer_for
from tom_tui.services.alerts.rules import AlertCandidate
from tom_tui.store.store import Store

HEADER_KEYS = {"noupdatestatus", "mjdmatchmin", "clobber"}
TRANSIENT_EXTRAS = (
    "status",
    "obs_group",
    "disc_date",
    "redshift",
    "best_spec_class",
    "TNS_spec_class",
    "mw_ebv",
    "point_source_probability",
)
DEFAULT_MJD_MATCH = 0.01
YSE_FLUX_ZEROPOINT = 27.5  # YSE-PZ's default zero point for fluxes


def _mjd(value: Any, where: str) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{where}.obs_date: {value!r} is not an ISO date (2019-01-10T00:00:00)"
        ) from None
    return to_mjd(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _flux_ujy(flux: float | None, zeropoint: float | None) -> float | None:
    if flux is None:
        return None
    return rescale_flux(flux, zeropoint or YSE_FLUX_ZEROPOINT)


def parse_upload(document: Any, source: str) -> tuple[list[AlertCandidate], pa.Table, dict[str, Any]]:
    """Candidates, their photometry and the upload's options (noupdatestatus, mjdmatchmin, clobber)."""
    if not isinstance(document, dict):
        raise ValidationError(f"{source}: expected a JSON object of transients keyed by name")
    options = {
        "noupdatestatus": bool(document.get("noupdatestatus", False)),
        "mjdmatchmin": float(document.get("mjdmatchmin", DEFAULT_MJD_MATCH)),
        "clobber": bool(document.get("clobber", False)),
    }
    candidates: list[AlertCandidate] = []
    columns = PhotometryColumns(magsys="AB")  # YSE-PZ magnitudes are AB
    problems: list[str] = []
    for key, transient in document.items():
        if key in HEADER_KEYS:
            continue
        where = f"{source}: {key}"
        if not isinstance(transient, dict):
            problems.append(f"{where}: expected an object with name, ra, dec")
            continue
        candidates.append(_candidate(key, transient, where))
        photometry = transient.get("transientphotometry") or {}
        if not isinstance(photometry, dict):
            problems.append(f"{where}.transientphotometry: expected an object")
            continue
        if "mjdmatchmin" in photometry:
            match_days = finite_or_none(photometry["mjdmatchmin"])
            if match_days is None or match_days < 0 or isinstance(photometry["mjdmatchmin"], bool):
                shown = repr(photometry["mjdmatchmin"])[:40]
                problems.append(
                    f"{where}.transientphotometry.mjdmatchmin: {shown} is not a number of days >= 0"
                )
                continue
            options["mjdmatchmin"] = match_days
        if "clobber" in photometry:
            options["clobber"] = bool(photometry["clobber"])
        for group_key, group in photometry.items():
            if group_key not in HEADER_KEYS:
                where_group = f"{where}.transientphotometry.{group_key}"
                problems.extend(_read_group(columns, candidates[-1].name, group, where_group))
    if problems:
        summary = (
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems in {source}; nothing was imported"
        )
        raise ValidationError(summary, problems)
    return candidates, columns.to_table(), options


def _candidate(key: str, transient: dict[str, Any], where: str) -> AlertCandidate:
    extra = {k: transient[k] for k in TRANSIENT_EXTRAS if transient.get(k) not in (None, "")}
    tags = transient.get("tags") or []
    return AlertCandidate(
        name=str(transient.get("name") or key),
        ra=transient.get("ra"),
        dec=transient.get("dec"),
        source="yse",
        extra=extra,
        origin=where,
        tags=[str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
    )


def _measured(value: Any) -> float | None:
    """A measured value: None when absent; NaN when present but not a finite number, so that the
    measurement checks refuse it instead of the point silently losing it."""
    if value is None or value == "":
        return None
    number = finite_or_none(value)
    return math.nan if number is None else number


def _band(name: str) -> str:
    """YSE-PZ names a band ``letter-survey`` (``r-ZTF``): a survey band's canonical name, else the letter."""
    if name.strip().lower() in BAND_ALIASES:
        return canonical_band(name)
    return name.split("-", 1)[0] if "-" in name else name


def _read_group(columns: PhotometryColumns, name: str, group: Any, where: str) -> list[str]:
    """Append one instrument group's ``photdata`` points; returns the problems found."""
    if not isinstance(group, dict) or not isinstance(group.get("photdata", {}), dict):
        return [f"{where}: expected instrument, obs_group, photdata"]
    problems: list[str] = []
    instrument = str(group.get("instrument") or "Unknown")
    for point_key, point in (group.get("photdata") or {}).items():
        point_where = f"{where}.photdata.{point_key}"
        if not isinstance(point, dict):
            problems.append(f"{point_where}: expected an object with obs_date, band and mag or flux")
            continue
        try:
            mjd = _mjd(point.get("obs_date"), point_where)
        except ValidationError as error:
            problems.append(str(error))
            continue
        band = str(point.get("band") or "")
        if not band:
            problems.append(f"{point_where}.band: missing")
            continue
        mag = _measured(point.get("mag"))
        zeropoint = finite_or_none(point.get("flux_zero_point"))
        columns.append(
            name,
            mjd,
            _band(band),
            mag=mag,
            magerr=_measured(point.get("mag_err")) if mag is not None else None,
            flux=_flux_ujy(finite_or_none(point.get("flux")), zeropoint),
            fluxerr=_flux_ujy(finite_or_none(point.get("flux_err")), zeropoint),
            telescope=str(group.get("obs_group") or "") or None,
            instrument=instrument,
            source="yse",
        )
    return problems


def default_yse_writer(policy: DedupPolicy) -> PhotometryWriter:
    return default_yse_writer_for(policy, source="yse")


def dedupe_within(table: pa.Table, mjdmatchmin: float, clobber: bool) -> pa.Table:
    """Points of one upload closer than ``mjdmatchmin`` are one observation: with ``clobber`` the
    later one in the file wins, otherwise the first."""
    keep = np.ones(table.num_rows, dtype=bool)
    kept_rows: dict[tuple[Any, ...], list[int]] = {}
    mjds = table.column("mjd").to_pylist()
    keys = zip(*(table.column(c).to_pylist() for c in ("target", "filter", "instrument")), strict=True)
    for row, key in enumerate(keys):
        for earlier in kept_rows.get(key, []):
            if keep[earlier] and abs(mjds[earlier] - mjds[row]) < mjdmatchmin:
                if clobber:
                    keep[earlier] = False
                else:
                    keep[row] = False
                break
        if keep[row]:
            kept_rows.setdefault(key, []).append(row)
    return table.filter(pa.array(keep))


def ingest_yse_file(
    store: Store, path: Path, photometry_writer: PhotometryWriter | None = None
) -> IngestReport:
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"{path}: not valid JSON ({error})") from None
    candidates, photometry, options = parse_upload(document, str(path))
    photometry = dedupe_within(photometry, options["mjdmatchmin"], options["clobber"])
    policy = DedupPolicy(mjd_match_days=options["mjdmatchmin"], clobber=options["clobber"])
    return ingest_candidates(
        store,
        candidates,
        photometry,
        rules=[],
        photometry_writer=photometry_writer or default_yse_writer(policy),
        overwrite_extra=() if options["noupdatestatus"] else ("status",),
        skip_invalid_points=False,
    )
