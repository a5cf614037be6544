"""ZTF: data-release light curves from IRSA, and the forced-photometry service's result files.

**IRSA light curves** (``ztf``; https://irsa.ipac.caltech.edu/docs/program_interface/ztf_lightcurve_api.html,
public, no account): ``GET /cgi-bin/ZTF/nph_light_curves?POS=CIRCLE <ra> <dec> <radius deg>
&BAD_CATFLAGS_MASK=32768&FORMAT=csv`` (``TIME=<mjd from> <mjd to>`` with ``since``). These are PSF
magnitudes of ZTF objects measured on the science images of a data release (not difference
photometry, not alerts): one row per epoch and object, columns ``oid, expid, hjd, mjd, mag,
magerr, catflags, filtercode, ra, dec, chi, sharp, filefracday, field, ccdid, qid, limitmag,
magzp, magzprms, clrcoeff, clrcounc, exptime, airmass, programid``. ``mjd`` is the UTC start of
the exposure (kept, as every ZTF route here keeps the exposure start); ``mag`` is calibrated to
Pan-STARRS1 and is AB; ``limitmag`` the image's 5σ limit; ``filtercode`` ``zg``/``zr``/``zi``.
Rows whose ``catflags`` has the bits of ``bad_catflags_mask`` set (by default 32768, the
documented "bad" flag) are left out by the service itself; rows with other non-zero flags are
kept with the flags in ``extra``.

**Forced-photometry files** (``ztf_fps``): the ZTF forced-photometry service
(https://ztfweb.ipac.caltech.edu/cgi-bin/requestForcedPhotometry.cgi) takes requests from a
registered user and returns ``forcedphotometry_*_lc.txt`` files by link. Save them in the folder
named by the ``folder`` setting; a fetch reads every file there whose requested position (its
``# Requested input R.A. = ...`` header) is within the radius. The file is read by the same reader
as an uploaded one (difference-image flux ``forcediffimflux`` ± ``forcediffimfluxunc`` in DN with
zero point ``zpdiff``: flux in µJy = forcediffimflux × 10^(−0.4 (zpdiff − 23.9)); a detection
above S/N 3, else a 5σ limit; ``jd`` is the exposure start). Epochs the service's guide says not to
trust are left out and counted in the answer's note: ``infobitssci`` ≥ 33554432 (bad
calibration), ``scisigpix`` > 25, ``sciinpseeing`` > 4 pixels, a non-zero ``procstatus`` or no
measured flux. The fluxes are not baseline-corrected (the guide's "validation" step needs a
reference period without the transient, which only the user knows).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from tom_tui.adapters.http import HttpRequest
from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyService, TaskMemory
from tom_tui.domain.clock import now_mjd
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import PhotometryColumns, empty_measurements, finite_or_none
from tom_tui.domain.sky import ARCSEC_PER_DEGREE, separation_arcsec
from tom_tui.processing.photometry import ReadOptions, read_photometry
from tom_tui.processing.photometry.readers import PhotometryFormat, read_raw

IRSA_COLUMNS = ("oid", "mjd", "mag", "magerr", "catflags", "filtercode", "limitmag")
BAD_CATFLAGS = 32768
# The forced-photometry guide's thresholds for epochs not to trust.
FPS_BAD_INFOBITS = 33554432
FPS_MAX_SCISIGPIX = 25.0
FPS_MAX_SEEING_PIXELS = 4.0
_REQUESTED = re.compile(r"#\s*Requested input (R\.A\.|Dec\.)\s*=\s*([-+0-9.eE]+)")


class ZtfIrsaLightCurves(SurveyService):
    """ZTF data-release light curves from IRSA's light-curve API."""

    name: ClassVar[str] = "ztf"
    label: ClassVar[str] = "ZTF light curves (IRSA)"
    default_base_url: ClassVar[str] = "https://irsa.ipac.caltech.edu/cgi-bin/ZTF/nph_light_curves"
    default_radius_arcsec: ClassVar[float] = 1.5
    position_epoch_mjd: ClassVar[float | None] = 59215.5  # J2021.0, the middle of the ZTF data releases
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("collection", "str", "", "data release, e.g. ztf_dr23 (default: IRSA's latest)"),
        Option("bad_catflags_mask", "int", BAD_CATFLAGS, "leave out epochs with these catflags bits"),
        Option("radius_arcsec", "float", None, "match radius, arcsec", minimum=0.0),
    )

    def request(self, ra: float, dec: float, radius_arcsec: float, since_mjd: float | None) -> HttpRequest:
        params: dict[str, Any] = {
            "POS": f"CIRCLE {ra:.7f} {dec:.7f} {radius_arcsec / ARCSEC_PER_DEGREE:.7f}",
            "BAD_CATFLAGS_MASK": int(self.settings["bad_catflags_mask"]),
            "FORMAT": "csv",
        }
        if since_mjd is not None:
            params["TIME"] = f"{since_mjd:.5f} {now_mjd() + 1.0:.5f}"
        if self.settings["collection"]:
            params["COLLECTION"] = str(self.settings["collection"])
        return HttpRequest("GET", self.base_url, params=params)

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
        request = self.request(ra, dec, radius, since_mjd)
        response = self.client.send(request)
        with self.reading(request, "light curve"):
            raw = read_irsa_csv(response.content)
            photometry = irsa_measurements(raw)
        return self.answer(ra, dec, radius, raw, photometry)


def read_irsa_csv(content: bytes) -> pa.Table:
    """IRSA's CSV answer as a table; an answer that is not one (an error page) raises ValueError."""
    text = content.decode("utf-8", errors="replace").lstrip()
    header = text.split("\n", 1)[0]
    if not all(column in header.split(",") for column in IRSA_COLUMNS):
        excerpt = " ".join(text[:120].split())
        raise ValueError(f"expected a CSV light curve with {', '.join(IRSA_COLUMNS)}; got {excerpt!r}")
    options = pa_csv.ConvertOptions(column_types={"oid": pa.string(), "filtercode": pa.string()})
    return pa_csv.read_csv(pa.py_buffer(text.encode()), convert_options=options)


def irsa_measurements(raw: pa.Table) -> pa.Table:
    """IRSA light-curve rows → measurements (AB magnitudes of detections, the image's 5σ limit)."""
    rows = PhotometryColumns(magsys="AB", key="oid")
    for record in raw.select(list(IRSA_COLUMNS)).to_pylist():
        code = str(record["filtercode"] or "").strip().lower()
        mjd, mag = finite_or_none(record["mjd"]), finite_or_none(record["mag"])
        if mjd is None or mag is None or not code.startswith("z"):
            continue
        rows.append(
            str(record["oid"]),
            mjd,
            "ztf" + code[1:],
            mag=mag,
            magerr=finite_or_none(record["magerr"]),
            limit=finite_or_none(record["limitmag"]),
            telescope="P48",
            instrument="ZTF",
            source="ZTF data release light curve (IRSA)",
            extra=f'{{"oid": "{record["oid"]}", "catflags": {int(record["catflags"] or 0)}}}',
        )
    return rows.to_table().drop_columns(["oid"])


class ZtfForcedPhotometryFiles(SurveyService):
    """Results of the ZTF forced-photometry service, read from the folder they were saved in."""

    name: ClassVar[str] = "ztf_fps"
    label: ClassVar[str] = "ZTF forced photometry (saved service files)"
    default_base_url: ClassVar[str] = "https://ztfweb.ipac.caltech.edu/cgi-bin/requestForcedPhotometry.cgi"
    default_radius_arcsec: ClassVar[float] = 1.0
    position_epoch_mjd: ClassVar[float | None] = 59215.5  # J2021.0, the middle of ZTF
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("folder", "str", "", "where the forcedphotometry_*.txt files are saved"),
        Option("radius_arcsec", "float", None, "how close a file's position must be, arcsec", minimum=0.0),
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
        folder = Path(str(self.settings["folder"])).expanduser()
        if not str(self.settings["folder"]) or not folder.is_dir():
            raise ValidationError(
                f"[surveys.ztf_fps] folder = {str(self.settings['folder'])!r}: expected the folder where "
                "the service's forcedphotometry_*.txt files are saved"
            )
        files = [
            path for path in sorted(folder.glob("forcedphotometry_*.txt")) if _near(path, ra, dec, radius)
        ]
        if not files:
            raise AdapterError(
                f"{self.label}: no file in {folder} is for ({ra:.5f}, {dec:+.5f}); request forced "
                f"photometry at {self.base_url} and save the result there"
            )
        parts = [read_fps_file(path) for path in files]
        raw = pa.concat_tables([part[0] for part in parts], promote_options="default")
        photometry = pa.concat_tables([part[1] for part in parts])
        if since_mjd is not None:
            photometry = photometry.filter(pc.greater_equal(photometry.column("mjd"), since_mjd))
        left_out = sum(part[2] for part in parts)
        note = f"{left_out} epoch(s) left out by the service's quality criteria" if left_out else ""
        return self.answer(ra, dec, radius, raw, photometry, note)


def requested_position(path: Path) -> tuple[float, float] | None:
    """The position a forced-photometry file was requested for, from its header."""
    found: dict[str, float] = {}
    with open(path, errors="replace") as handle:
        for _, line in zip(range(40), handle, strict=False):
            match = _REQUESTED.match(line.strip())
            if match:
                found[match.group(1)] = float(match.group(2))
    if "R.A." in found and "Dec." in found:
        return found["R.A."], found["Dec."]
    return None


def _near(path: Path, ra: float, dec: float, radius_arcsec: float) -> bool:
    position = requested_position(path)
    return position is not None and float(separation_arcsec(ra, dec, *position)) <= radius_arcsec


def read_fps_file(path: Path) -> tuple[pa.Table, pa.Table, int]:
    """A forced-photometry file: its own rows, the trusted measurements, and how many were left out."""
    raw = read_raw(path, PhotometryFormat.ZTF_FPS)
    bad_lines = set(raw.line_numbers[_untrusted(raw.table)].tolist())
    measured = read_photometry(path, ReadOptions(format=PhotometryFormat.ZTF_FPS))
    keep = np.asarray([line not in bad_lines for line in measured.line_numbers.tolist()], dtype=bool)
    table = measured.table.filter(pa.array(keep)) if len(keep) else empty_measurements()
    flux = np.asarray(table.column("flux").to_numpy(zero_copy_only=False), dtype=np.float64)
    negative = pa.array(np.nan_to_num(flux, nan=0.0) < 0)
    table = table.set_column(
        table.schema.get_field_index("negative_subtraction"), "negative_subtraction", negative
    )
    return raw.table, table, len(bad_lines)


def _untrusted(table: pa.Table) -> np.ndarray:
    """Rows the service's guide says not to use (see the module docstring)."""

    def numbers(name: str, default: float) -> np.ndarray:
        if name not in table.column_names:
            return np.full(table.num_rows, default)
        values = pc.cast(table.column(name), pa.float64(), safe=False)
        return np.asarray(pc.fill_null(values, default).to_numpy(zero_copy_only=False), dtype=np.float64)

    status = (
        np.asarray(pc.fill_null(table.column("procstatus").cast(pa.string()), "0").to_pylist(), dtype=object)
        if "procstatus" in table.column_names
        else np.full(table.num_rows, "0", dtype=object)
    )
    bad: np.ndarray = (
        (numbers("infobitssci", 0.0) >= FPS_BAD_INFOBITS)
        | (numbers("scisigpix", 0.0) > FPS_MAX_SCISIGPIX)
        | (numbers("sciinpseeing", 0.0) > FPS_MAX_SEEING_PIXELS)
        | (status != "0")
        | (numbers("forcediffimflux", -99999.0) <= -99999.0)
    )
    return bad
