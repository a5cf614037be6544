"""Reduce: raw survey photometry of many sources into light curves per source, filter and season.

Everything works on one table of many sources at once (sorted columns and group boundaries, no
per-source Python loop), which is what makes a catalogue of 100k sources practical.

The raw table has one row per measurement: ``source`` (the catalogue row), ``filter``, ``mjd``
(UTC), ``flux`` and ``fluxerr`` (µJy), and where the survey gives them ``ra``/``dec`` (the
measured position), ``query_ra``/``query_dec`` (the position asked for) and ``survey_flag``
(non-zero when the survey marks the point as bad).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.domain.sky import separation_arcsec
from tom_tui.processing.projects.settings import ReduceSettings

RAW_REQUIRED = ("source", "filter", "mjd", "flux", "fluxerr")
# Columns of a light curve table (one row per point) as written to the project's Parquet files.
LIGHTCURVE_COLUMNS = (
    "source",
    "filter",
    "season",
    "mjd",
    "flux",
    "fluxerr",
    "offset_arcsec",
    "survey_flag",
    "flag",
)
# A light curve is one (source, filter, season); ``lightcurve`` numbers them 0..n-1 within a table.
LIGHTCURVE_KEY = ("source", "filter", "season")


def empty_raw() -> pd.DataFrame:
    """A raw table with no rows and the required columns."""
    return pd.DataFrame(
        {
            "source": np.empty(0, np.int64),
            "filter": np.empty(0, object),
            "mjd": np.empty(0),
            "flux": np.empty(0),
            "fluxerr": np.empty(0),
        }
    )


def _offsets(raw: pd.DataFrame) -> npt.NDArray[np.float64]:
    if not {"ra", "dec", "query_ra", "query_dec"} <= set(raw.columns):
        return np.full(len(raw), np.nan)
    return np.asarray(
        separation_arcsec(
            raw["ra"].to_numpy(float),
            raw["dec"].to_numpy(float),
            raw["query_ra"].to_numpy(float),
            raw["query_dec"].to_numpy(float),
        ),
        dtype=np.float64,
    )


def reduce_raw(raw: pd.DataFrame, settings: ReduceSettings) -> pd.DataFrame:
    """Light curve points: raw rows with a finite flux, sorted by source, filter and time, each
    with its season number (0, 1, ... within its source and filter) and ``lightcurve`` index.

    ``flag`` starts at 0 (the quality stage sets it); ``offset_arcsec`` is NaN where the survey
    gave no position.
    """
    missing = [name for name in RAW_REQUIRED if name not in raw.columns]
    if missing:
        raise ValueError(f"raw photometry lacks the column(s) {', '.join(missing)}")
    flux = raw["flux"].to_numpy(float)
    mjd = raw["mjd"].to_numpy(float)
    source = raw["source"].to_numpy(np.int64)
    filter_codes, filter_names = pd.factorize(raw["filter"].astype(str), sort=True)
    usable = np.flatnonzero(np.isfinite(flux) & np.isfinite(mjd))
    order = usable[_time_order(source[usable], filter_codes[usable], mjd[usable], len(filter_names))]
    survey_flag = raw["survey_flag"].to_numpy(float) if "survey_flag" in raw.columns else np.zeros(len(raw))
    points = pd.DataFrame(
        {
            "source": source[order],
            "filter": pd.Categorical.from_codes(filter_codes[order], categories=filter_names.astype(object)),
            "mjd": mjd[order],
            "flux": flux[order],
            "fluxerr": raw["fluxerr"].to_numpy(float)[order],
            "offset_arcsec": _offsets(raw)[order],
            "survey_flag": np.nan_to_num(survey_flag[order]).astype(np.int64),
        },
        copy=False,
    )
    return _with_seasons(points, settings.season_gap_days)


def _time_order(
    source: npt.NDArray[np.int64],
    filter_codes: npt.NDArray[np.intp],
    mjd: npt.NDArray[np.float64],
    filters: int,
) -> npt.NDArray[np.intp]:
    """The order that sorts points by source, filter and time.

    Survey answers come in time order, so sorting by (source, filter) alone, stably, usually
    leaves time sorted too; only when it does not is the slower three-key sort needed.
    """
    series = source * max(filters, 1) + filter_codes
    series_step, mjd_step = np.diff(series), np.diff(mjd)
    if np.all((series_step > 0) | ((series_step == 0) & (mjd_step >= 0))):
        return np.arange(len(series))
    order: npt.NDArray[np.intp] = np.argsort(series, kind="stable")
    in_order_series, in_order_mjd = series[order], mjd[order]
    if np.any((np.diff(in_order_mjd) < 0) & (np.diff(in_order_series) == 0)):
        order = np.lexsort((mjd, series))
    return order


def _with_seasons(points: pd.DataFrame, gap_days: float) -> pd.DataFrame:
    source = points["source"].to_numpy()
    filter_codes = points["filter"].cat.codes.to_numpy()
    mjd = points["mjd"].to_numpy()
    new_series = np.ones(len(points), dtype=bool)
    new_series[1:] = (source[1:] != source[:-1]) | (filter_codes[1:] != filter_codes[:-1])
    new_lightcurve = new_series.copy()
    new_lightcurve[1:] |= np.diff(mjd) > gap_days
    lightcurve = np.cumsum(new_lightcurve) - 1
    # The season number restarts at each (source, filter): subtract the count at the series start.
    series_start_lightcurve = np.maximum.accumulate(np.where(new_series, lightcurve, 0))
    points["season"] = (lightcurve - series_start_lightcurve).astype(np.int32)
    points["lightcurve"] = lightcurve.astype(np.int64)
    points["flag"] = np.zeros(len(points), dtype=np.int64)
    return points


def lightcurve_bounds(lightcurve: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """First index and one-past-last index of each light curve in a table sorted by it."""
    if len(lightcurve) == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    starts = np.flatnonzero(np.r_[True, lightcurve[1:] != lightcurve[:-1]])
    ends = np.r_[starts[1:], len(lightcurve)]
    return starts, ends
