"""A project's catalogue: read, mapped to names and positions, moved to the survey epoch.

Rows are numbered from 0 in file order (``source``); that number names the source in every
output. A row without usable coordinates is set aside with its line and the reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.domain.errors import ValidationError
from tom_tui.services.projects.project_file import CatalogueSettings

SUFFIX_FORMATS = {".fits": "fits", ".fit": "fits", ".ecsv": "ecsv", ".parquet": "parquet", ".pq": "parquet"}
# Raw survey data is shared by every project, so its RA bins are fixed, not a project setting.
RA_BIN_DEG = 1.0


@dataclass(frozen=True)
class Catalogue:
    """``sources``: one row per usable source (``source``, ``name``, ``ra``, ``dec`` at the
    survey epoch, ``ra_bin``, and ``mag`` when mapped); ``rejected``: ``source``, ``line``,
    ``reason`` for each row set aside."""

    sources: pd.DataFrame
    rejected: pd.DataFrame


def ra_bin_of(ra: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return np.floor(np.mod(ra, 360.0) / RA_BIN_DEG).astype(np.int64)


def catalogue_format(path: Path, declared: str) -> str:
    """The declared format, else the one the file name says (CSV when it says nothing known)."""
    return declared or SUFFIX_FORMATS.get(path.suffix.lower(), "csv")


def _read_table(path: Path, chosen: str) -> pd.DataFrame:
    if not path.exists():
        raise ValidationError(f"{path}: no such catalogue file")
    try:
        if chosen == "parquet":
            return pd.read_parquet(path)
        if chosen in ("fits", "ecsv"):
            from astropy.table import Table

            astropy_format = "ascii.ecsv" if chosen == "ecsv" else "fits"
            astropy_table: pd.DataFrame = Table.read(path, format=astropy_format).to_pandas()
            return astropy_table
        return pd.read_csv(path, skipinitialspace=True)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise ValidationError(f"{path}: not a readable {chosen} catalogue ({error})") from None


def _numbers(table: pd.DataFrame, column: str | None) -> npt.NDArray[np.float64] | None:
    if column is None:
        return None
    return np.asarray(pd.to_numeric(table[column], errors="coerce"), dtype=float)


def read_catalogue(
    path: Path, settings: CatalogueSettings, target_epoch: float, project_name: str
) -> Catalogue:
    """The catalogue at ``path``, positions moved from ``settings.epoch`` to ``target_epoch``."""
    chosen = catalogue_format(path, settings.format)
    table = _read_table(path, chosen)
    columns = {"ra": "ra", "dec": "dec", **settings.columns}
    missing = [f"{role} → {name!r}" for role, name in columns.items() if name not in table.columns]
    if missing:
        raise ValidationError(
            f"{path}: the column mapping names columns the catalogue lacks ({', '.join(missing)}); "
            f"its columns are {', '.join(map(str, table.columns))}"
        )
    ra, dec = _numbers(table, columns["ra"]), _numbers(table, columns["dec"])
    assert ra is not None and dec is not None
    source = np.arange(len(table), dtype=np.int64)
    reason = np.full(len(table), "", dtype=object)
    reason[~(np.isfinite(dec) & (np.abs(dec) <= 90))] = "dec is missing or not between -90 and 90"
    reason[~(np.isfinite(ra) & (ra >= 0) & (ra < 360))] = "ra is missing or not between 0 and 360"
    good = reason == ""
    moved_ra, moved_dec = _propagated(
        ra[good],
        dec[good],
        _numbers(table, columns.get("pm_ra")),
        _numbers(table, columns.get("pm_dec")),
        good,
        (settings.epoch, target_epoch),
    )
    names = (
        table[columns["name"]].astype(str).to_numpy(object)
        if "name" in columns
        else np.array([f"{project_name} {row}" for row in source], dtype=object)
    )
    sources = pd.DataFrame(
        {
            "source": source[good],
            "name": names[good],
            "ra": moved_ra,
            "dec": moved_dec,
            "ra_bin": ra_bin_of(moved_ra),
        }
    )
    if "mag" in columns:
        mag = _numbers(table, columns["mag"])
        assert mag is not None
        sources["mag"] = mag[good]
    # A CSV's first data row is line 2 (after the header); other formats number rows from 1.
    first_line = 2 if chosen == "csv" else 1
    rejected = pd.DataFrame(
        {"source": source[~good], "line": source[~good] + first_line, "reason": reason[~good].astype(str)}
    )
    return Catalogue(sources, rejected)


def _propagated(
    ra: npt.NDArray[np.float64],
    dec: npt.NDArray[np.float64],
    pm_ra: npt.NDArray[np.float64] | None,
    pm_dec: npt.NDArray[np.float64] | None,
    good: npt.NDArray[np.bool_],
    epochs: tuple[float, float],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Positions moved by proper motion (mas/yr, RA component times cos dec) between two Julian
    epochs with astropy's space motion; a missing proper motion counts as zero."""
    if (pm_ra is None and pm_dec is None) or math.isclose(epochs[0], epochs[1]) or len(ra) == 0:
        return ra, dec
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    pm_ra_values = np.nan_to_num(pm_ra[good]) if pm_ra is not None else np.zeros(len(ra))
    pm_dec_values = np.nan_to_num(pm_dec[good]) if pm_dec is not None else np.zeros(len(ra))
    start = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pm_ra_values * u.mas / u.yr,
        pm_dec=pm_dec_values * u.mas / u.yr,
        obstime=Time(epochs[0], format="jyear"),
        frame="icrs",
    )
    with warnings.catch_warnings():
        # No distance: astropy assumes a very distant source, which is right for proper motion alone.
        warnings.simplefilter("ignore")
        moved = start.apply_space_motion(new_obstime=Time(epochs[1], format="jyear"))
    return np.asarray(moved.ra.deg, dtype=float), np.asarray(moved.dec.deg, dtype=float)
