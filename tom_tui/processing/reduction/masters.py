"""Master calibration frames: bias, dark per second, flat per filter, and choosing one for a night.

Frames are combined with ccdproc's :func:`ccdproc.combine`: sigma-clipped (3 sigma about the
median, median absolute deviation as the spread) then averaged, in tiles no bigger than
``mem_limit`` bytes. Given file paths, the raw frames are read a tile at a time and a master bias
never holds the whole stack in memory; darks and flats are bias-subtracted (and dark-subtracted)
one at a time first, so they are combined from memory.

Every master records the frames it came from: ``NCOMBINE`` and one ``HISTORY`` line per frame in
its header, and :attr:`MasterRecord.sources` in the record a run keeps.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeAlias

import ccdproc
import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.stats import mad_std

# Tiles of 256 MB: a 2k x 2k float64 stack of 10 frames (320 MB) is combined in two passes.
DEFAULT_MEMORY_LIMIT = 256e6
# A master from a night further than this from the frame's night is used with a warning.
STALE_MASTER_DAYS = 7
SIGMA_CLIP_LIMIT = 3.0

FrameSource: TypeAlias = str | os.PathLike[str] | CCDData


class MasterKind(StrEnum):
    """The calibration a master frame carries: bias level and structure, dark current per
    second, or the flat field of one filter."""

    BIAS = "bias"
    DARK = "dark"
    FLAT = "flat"


@dataclass(frozen=True)
class MasterRecord:
    """A master frame a run made: what it is, for which night and keywords, from which frames.

    ``keywords`` are the header values that must match for a frame to use it (the filter of a
    flat, the binning, the readout mode...), as text.
    """

    kind: MasterKind
    night: str  # YYYYMMDD
    path: str
    keywords: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class MasterChoice:
    """The master chosen for a frame, how many nights away it was made, and a warning if stale."""

    record: MasterRecord
    days_apart: int
    warning: str | None = None


def _name_of(source: FrameSource, index: int) -> str:
    if isinstance(source, CCDData):
        return str(source.meta.get("FILENAME") or f"frame {index + 1}")
    return Path(source).name


def _as_ccd(source: FrameSource, unit: str) -> CCDData:
    if isinstance(source, CCDData):
        return source
    return CCDData.read(source, unit=unit)


def combine_frames(
    sources: Sequence[FrameSource],
    *,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    unit: str = "adu",
    names: Sequence[str] | None = None,
) -> CCDData:
    """The sigma-clipped average of ``sources`` (paths or CCDData of one size), in bounded memory.

    The result's header is the first frame's, with ``NCOMBINE`` and a ``HISTORY`` line per frame
    (``names``, else the file names).
    """
    if not sources:
        raise ValueError("no frames to combine; a master needs at least one frame")
    inputs: list[CCDData] | list[str] = (
        [_as_ccd(s, unit) for s in sources]
        if any(isinstance(s, CCDData) for s in sources)
        else [os.fspath(s) for s in sources if not isinstance(s, CCDData)]
    )
    combined: CCDData = ccdproc.combine(
        inputs,
        method="average",
        sigma_clip=True,
        sigma_clip_low_thresh=SIGMA_CLIP_LIMIT,
        sigma_clip_high_thresh=SIGMA_CLIP_LIMIT,
        sigma_clip_func=np.ma.median,
        sigma_clip_dev_func=mad_std,
        mem_limit=memory_limit,
        dtype=np.float32,
        unit=unit,
    )
    if not isinstance(combined.meta, fits.Header):
        combined.meta = fits.Header(dict(combined.meta))
    combined.meta["NCOMBINE"] = (len(sources), "frames combined")
    for name in names or [_name_of(source, index) for index, source in enumerate(sources)]:
        combined.meta.add_history(f"combined from {name}")
    return combined


def master_bias(sources: Sequence[FrameSource], *, memory_limit: float = DEFAULT_MEMORY_LIMIT) -> CCDData:
    """The master bias (ADU) of raw bias frames, already overscan-corrected and trimmed if needed."""
    master = combine_frames(sources, memory_limit=memory_limit)
    master.meta["IMAGETYP"] = "MASTER BIAS"
    return master


def exposure_of(ccd: CCDData, keyword: str = "EXPTIME") -> float:
    """The exposure time in seconds from a frame's header; a clear error when it is missing."""
    value = ccd.meta.get(keyword)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"header keyword {keyword} is {value!r}; expected the exposure time in seconds")
    return float(value)


def master_dark(
    sources: Sequence[FrameSource],
    bias: CCDData,
    *,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    unit: str = "adu",
) -> CCDData:
    """The dark current per second (ADU/s): each dark minus the bias, over its exposure, combined.

    Dark frames of different exposure times can be mixed: each is scaled to one second before
    the combine, so a frame of any exposure ``t`` is corrected with ``master * t``.
    """
    per_second = []
    for source in sources:
        dark = ccdproc.subtract_bias(_as_ccd(source, unit), bias)
        exposure = exposure_of(dark)
        if exposure <= 0:
            raise ValueError(f"dark frame {_name_of(source, 0)} has EXPTIME 0; a dark needs an exposure")
        scaled = dark.divide(exposure, handle_meta="first_found")  # ADU in one second
        scaled.meta = dark.meta
        per_second.append(scaled)
    master = combine_frames(
        per_second, memory_limit=memory_limit, unit=str(per_second[0].unit), names=_names(sources)
    )
    master.meta["EXPTIME"] = (1.0, "dark current per second")
    master.meta["IMAGETYP"] = "MASTER DARK"
    return master


def master_flat(
    sources: Sequence[FrameSource],
    bias: CCDData | None,
    dark: CCDData | None = None,
    *,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    unit: str = "adu",
) -> CCDData:
    """The normalised flat (median 1) of flat frames of one filter, bias and dark removed first.

    Each flat is divided by its own median before the combine, so twilight flats of different
    brightness weigh the same and stars in them are clipped away.
    """
    normalised = []
    for index, source in enumerate(sources):
        flat = _as_ccd(source, unit)
        if bias is not None:
            flat = ccdproc.subtract_bias(flat, bias)
        if dark is not None:
            flat = subtract_dark_current(flat, dark)
        level = float(np.nanmedian(flat.data))
        if not level > 0:
            raise ValueError(
                f"flat frame {_name_of(source, index)} has median {level:.1f} after bias; expected light"
            )
        scaled = flat.divide(level, handle_meta="first_found")
        scaled.meta = flat.meta
        normalised.append(scaled)
    combined = combine_frames(
        normalised, memory_limit=memory_limit, unit=str(normalised[0].unit), names=_names(sources)
    )
    master = combined.divide(float(np.nanmedian(combined.data)), handle_meta="first_found")
    master.meta = combined.meta
    master.meta["IMAGETYP"] = "MASTER FLAT"
    return master


def subtract_dark_current(ccd: CCDData, dark_per_second: CCDData) -> CCDData:
    """The frame minus the dark current of its exposure (master dark per second times EXPTIME)."""
    return ccdproc.subtract_dark(
        ccd,
        dark_per_second,
        dark_exposure=1.0 * u.s,
        data_exposure=exposure_of(ccd) * u.s,
        scale=True,
    )


def _names(sources: Sequence[FrameSource]) -> list[str]:
    return [_name_of(source, index) for index, source in enumerate(sources)]


def _night_date(night: str) -> dt.date:
    return dt.datetime.strptime(night, "%Y%m%d").date()


def choose_master(
    candidates: Sequence[MasterRecord],
    kind: MasterKind,
    night: str,
    keywords: Mapping[str, str] | None = None,
) -> MasterChoice | None:
    """The master of ``kind`` with the same ``keywords`` from the night nearest ``night``.

    Ties go to the earlier night (a master made before the frame was taken). Beyond
    :data:`STALE_MASTER_DAYS` the choice carries a warning; None when no candidate matches.
    """
    wanted = {key: str(value) for key, value in (keywords or {}).items()}
    target = _night_date(night)
    matching = [
        record
        for record in candidates
        if record.kind == kind and all(record.keywords.get(key) == value for key, value in wanted.items())
    ]
    if not matching:
        return None
    best = min(matching, key=lambda r: (abs((_night_date(r.night) - target).days), _night_date(r.night)))
    days = abs((_night_date(best.night) - target).days)
    warning = None
    if days > STALE_MASTER_DAYS:
        warning = (
            f"the nearest {kind} master ({best.path}, night {best.night}) is {days} days from night "
            f"{night}; expected one within {STALE_MASTER_DAYS} days"
        )
    return MasterChoice(record=best, days_apart=days, warning=warning)
