"""The reference catalog of a frame's field: the stars its WCS is fitted to and its zero point
measured against.

Chosen in this order:

1. a file the user gives: ``--catalog FILE`` for a run, else ``[reduction.catalogs]`` in
   ``tom-tui.toml`` for the frame's telescope (``"SIM-1m0" = "refcat2.ecsv"``), else
   ``[reduction] catalog``; ECSV, CSV or FITS with RA and Dec under their usual names and a
   magnitude column matching the frame's filter (APASS ``r'mag``, ATLAS-REFCAT2 ``rmag``,
   ``Vmag``...; ``[reduction.catalog_columns]`` maps a filter to a column by name), or Gaia's G,
   BP and RP, converted. Paths in the configuration are relative to the store.
2. the simulated sky's stars, for the simulated telescope's frames (offline);
3. Gaia DR3 from the ESA archive (``[reduction] gaia_url``, ``gaia_timeout``,
   ``gaia_faintest_mag``; ``gaia = false`` turns it off), fetched once per sky cell and kept in the
   store under ``catalogs/gaia/``: the next frame of the same field reads the copy and asks
   nothing. Positions are moved by their proper motions to the frame's date; G, BP and RP are
   converted to the frame's band (:mod:`tom_tui.processing.reduction.reference_stars`).

The catalog returned is plain data (arrays and a note), ready to send to a worker process.
Every problem is one sentence naming the file, frame or service.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from astropy.table import Table

from tom_tui.adapters.instruments.base import FrameFileError, read_frame_header
from tom_tui.adapters.reference_catalogs.gaia import (
    DEFAULT_FAINTEST_G,
    DEFAULT_GAIA_URL,
    DEFAULT_TIMEOUT_S,
    GAIA_COLUMNS,
    GAIA_EPOCH,
    GaiaArchive,
)
from tom_tui.adapters.reference_catalogs.simulated import (
    DEFAULT_SKY_SEED,
    SIMULATED_TELESCOPE,
    simulated_field_stars,
)
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import Frame
from tom_tui.domain.sky import separation_arcsec
from tom_tui.processing.reduction.astrometry import ReferenceCatalog
from tom_tui.processing.reduction.reference_stars import (
    SkyField,
    catalog_in_band,
    field_from_pointing,
    propagate_proper_motion,
)
from tom_tui.services.reduction.profiles import ProfileChooser
from tom_tui.services.reduction.reference import field_of
from tom_tui.store.catalog_cache import read_cached_catalog, write_cached_catalog
from tom_tui.store.store import Store

GAIA_SERVICE = "gaia"
# Gaia cones are fetched for cells of this size (deg): every frame centred in a cell shares one.
GAIA_CELL_DEG = 0.1
# Cone radii are rounded up to this (arcmin), so frames of one camera share a cached cone.
RADIUS_STEP_ARCMIN = 5
J2000_MJD = 51544.5
DAYS_PER_JULIAN_YEAR = 365.25


@dataclass(frozen=True)
class CatalogSettings:
    """The ``[reduction]`` settings that choose a frame's catalog."""

    catalog: str | None = None
    per_telescope: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    gaia: bool = True
    gaia_url: str = DEFAULT_GAIA_URL
    gaia_timeout_s: float = DEFAULT_TIMEOUT_S
    gaia_faintest_mag: float = DEFAULT_FAINTEST_G
    sky_seed: int = DEFAULT_SKY_SEED

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> CatalogSettings:
        section = config.get("reduction", {})
        simulated = config.get("facilities", {}).get("simulated", {})
        return cls(
            catalog=section.get("catalog"),
            per_telescope=dict(section.get("catalogs", {})),
            columns=dict(section.get("catalog_columns", {})),
            gaia=bool(section.get("gaia", True)),
            gaia_url=str(section.get("gaia_url", DEFAULT_GAIA_URL)),
            gaia_timeout_s=float(section.get("gaia_timeout", DEFAULT_TIMEOUT_S)),
            gaia_faintest_mag=float(section.get("gaia_faintest_mag", DEFAULT_FAINTEST_G)),
            sky_seed=int(simulated.get("sky_seed", DEFAULT_SKY_SEED)),
        )

    def file_for(self, telescope: str) -> str | None:
        return self.per_telescope.get(telescope) or self.catalog


def reference_catalog_for(
    store: Store, frame: Frame, catalog_path: Path | str | None = None
) -> ReferenceCatalog:
    """The reference catalog for ``frame`` (see the module docstring for the order of choice).

    ValidationError for a catalog file that is missing or lacks RA, Dec or magnitudes in the
    frame's band, or a frame whose header says nowhere it points; AdapterError when Gaia is
    needed and the archive does not answer."""
    settings = CatalogSettings.of(store.config)
    label = frame.original_name or frame.path
    if catalog_path is not None:
        return catalog_from_file(Path(catalog_path).expanduser(), frame.band, settings, "--catalog")
    configured = settings.file_for(frame.telescope)
    if configured:
        path = Path(configured).expanduser()
        return catalog_from_file(
            path if path.is_absolute() else store.root / path, frame.band, settings, "[reduction] catalog"
        )
    sky = frame_field(store, frame)
    if frame.telescope == SIMULATED_TELESCOPE:
        table = simulated_field_stars(sky.ra, sky.dec, sky.radius_deg, frame.band, settings.sky_seed)
        found = ReferenceCatalog.from_table(table, mag_column="mag", source="the simulated sky")
        return ReferenceCatalog(found.ra, found.dec, found.mag, note="the simulated sky's field stars")
    if not settings.gaia:
        raise ValidationError(
            f"no reference catalog for {label}: Gaia is turned off ([reduction] gaia = false); "
            "give a catalog file with --catalog FILE or [reduction] catalog"
        )
    return gaia_catalog(store, frame, sky, settings)


def catalog_from_file(
    path: Path, band: str | None, settings: CatalogSettings, given_as: str
) -> ReferenceCatalog:
    """The catalog in a user's file, with magnitudes in ``band``."""
    if not path.is_file():
        raise ValidationError(f"{given_as} {path}: no such file; expected an ECSV, CSV or FITS catalog")
    stat = path.stat()
    table = _read_table(str(path.resolve()), stat.st_mtime_ns, stat.st_size, given_as)
    try:
        return catalog_in_band(table, band, str(path), column=settings.columns.get(band or ""))
    except ValueError as error:
        raise ValidationError(f"{given_as} {error}") from None


@functools.lru_cache(maxsize=8)
def _read_table(path: str, mtime_ns: int, size: int, given_as: str) -> Table:
    """A catalog file read once per version of it (the frames of a run share it)."""
    suffixes = "".join(Path(path).suffixes).lower()
    csv = ".csv" in suffixes and ".ecsv" not in suffixes
    try:
        return Table.read(path, format="ascii.csv" if csv else None)
    except Exception as error:  # astropy's readers raise many kinds for a file that is not theirs
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValidationError(
            f"{given_as} {path} cannot be read as an ECSV, CSV or FITS table ({reason})"
        ) from None


def frame_field(store: Store, frame: Frame) -> SkyField:
    """Where ``frame`` points: from its header WCS, else its pointing keywords and the pixel scale
    its instrument profile gives."""
    label = frame.original_name or frame.path
    with store.read() as view:
        try:
            header = read_frame_header(view.path(frame.path))
        except FrameFileError as error:
            raise ValidationError(f"no reference catalog for {label}: {error}") from None
    found = field_of(header)
    if found is not None:
        return SkyField(found.ra, found.dec, found.radius_deg)
    scale = ProfileChooser(store.config).named(frame.profile).detector_for(header).pixel_scale_arcsec
    size = frame.size or (int(header.get("NAXIS1") or 0), int(header.get("NAXIS2") or 0))
    pointing = field_from_pointing(header, (size[1], size[0]), scale) if scale else None
    if pointing is None:
        raise ValidationError(
            f"{label} says nowhere where it points: expected a WCS, or RA/DEC (or OBJCTRA/OBJCTDEC) "
            "keywords and a pixel scale (PIXSCALE, or pixel_scale_arcsec in its instrument profile)"
        )
    return pointing


@dataclass(frozen=True)
class GaiaCell:
    """A cell of the sky grid and the cone that covers every frame centred in it."""

    dec_index: int
    ra_index: int
    ra: float
    dec: float
    radius_arcmin: int

    def key(self, faintest_mag: float) -> str:
        return f"{self.dec_index}_{self.ra_index}_r{self.radius_arcmin}_g{faintest_mag:g}"


def gaia_cell(sky: SkyField) -> GaiaCell:
    """The cell holding the field's centre: cells are :data:`GAIA_CELL_DEG` high and as wide on
    the sky; the cone reaches from the cell's centre past the field's edge wherever in the cell
    the field is centred."""
    dec_index = math.floor(sky.dec / GAIA_CELL_DEG)
    cell_dec = max(-89.99, min(89.99, (dec_index + 0.5) * GAIA_CELL_DEG))
    cells_around = max(1, math.floor(360.0 * math.cos(math.radians(cell_dec)) / GAIA_CELL_DEG))
    width = 360.0 / cells_around
    ra_index = math.floor((sky.ra % 360.0) / width)
    reach_deg = sky.radius_deg + GAIA_CELL_DEG * math.sqrt(0.5)
    radius = RADIUS_STEP_ARCMIN * math.ceil(reach_deg * 60.0 / RADIUS_STEP_ARCMIN)
    return GaiaCell(dec_index, ra_index, (ra_index + 0.5) * width, cell_dec, radius)


def gaia_catalog(store: Store, frame: Frame, sky: SkyField, settings: CatalogSettings) -> ReferenceCatalog:
    """Gaia DR3 stars of the frame's field in its band, from the store's copy or the archive."""
    cell = gaia_cell(sky)
    key = cell.key(settings.gaia_faintest_mag)
    with store.read() as view:
        cached = read_cached_catalog(view, GAIA_SERVICE, key)
    if cached is None:
        archive = GaiaArchive(settings.gaia_url, timeout_s=settings.gaia_timeout_s)
        answer = archive.cone(cell.ra, cell.dec, cell.radius_arcmin / 60.0, settings.gaia_faintest_mag)
        cached = _as_arrow(answer, settings.gaia_url, cell)
        with store.transaction() as tx:
            write_cached_catalog(tx, GAIA_SERVICE, key, cached)
    table = Table(
        {
            name: np.asarray(cached[name].to_numpy(zero_copy_only=False), dtype=float)
            for name in cached.column_names
            if name != "source_id"
        }
    )
    year = _julian_year(frame.mjd)
    if year is not None and "pmra" in table.colnames:
        table["ra"], table["dec"] = propagate_proper_motion(
            table["ra"].data, table["dec"].data, table["pmra"].data, table["pmdec"].data, GAIA_EPOCH, year
        )
    catalog = catalog_in_band(table, frame.band, "Gaia DR3")
    inside = _within(catalog, sky)
    return ReferenceCatalog(
        catalog.ra[inside],
        catalog.dec[inside],
        None if catalog.mag is None else catalog.mag[inside],
        None if catalog.mag_error is None else catalog.mag_error[inside],
        note=catalog.note,
    )


def _within(catalog: ReferenceCatalog, sky: SkyField) -> np.ndarray[Any, np.dtype[np.bool_]]:
    return np.asarray(separation_arcsec(sky.ra, sky.dec, catalog.ra, catalog.dec) <= sky.radius_deg * 3600.0)


def _julian_year(mjd: float | None) -> float | None:
    return None if mjd is None else 2000.0 + (mjd - J2000_MJD) / DAYS_PER_JULIAN_YEAR


def _as_arrow(answer: Table, url: str, cell: GaiaCell) -> pa.Table:
    columns = {}
    for name in GAIA_COLUMNS:
        if name in answer.colnames:
            values = np.ma.filled(np.ma.asarray(answer[name]), 0 if name == "source_id" else np.nan)
            columns[name] = pa.array(np.asarray(values))
    metadata = {
        "service": f"Gaia DR3 at {url}",
        "cone": f"ra={cell.ra:.6f} dec={cell.dec:.6f} radius_arcmin={cell.radius_arcmin}",
        "epoch": f"J{GAIA_EPOCH}",
        "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return pa.table(columns).replace_schema_metadata(metadata)
