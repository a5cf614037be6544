"""Master calibration frames: bias, dark per second, flat per filter, and choosing one for a night.

Frames are combined as ccdproc's :func:`ccdproc.combine` does (sigma-clipped, 3 sigma about the
median with the median absolute deviation as the spread, then averaged), by
:mod:`tom_tui.processing.reduction.combine`, a band of rows at a time within ``memory_limit``
bytes of working memory. Given file paths, each raw frame is read once, memory-mapped, and a
master bias never holds the stack in memory; darks and flats are bias-subtracted (and
dark-subtracted) one at a time first, so they are combined from memory.

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
from typing import Any, TypeAlias

import ccdproc
import numpy as np
import numpy.typing as npt
from astropy import units as u
from astropy.io import fits
from astropy.nddata import CCDData, StdDevUncertainty

from tom_tui.processing.reduction.combine import clipped_mean, rows_per_band

# Working memory of a combine, beside the master itself (its mean and uncertainty, two float32
# frames), as a fraction of one float32 frame: a master bias peaks under three frames' worth.
WORKING_MEMORY_FRAMES = 0.5
# ...but never less than this (bytes): bands of a few rows of a small frame cost more in Python
# than they save in memory.
MIN_WORKING_MEMORY = 1e6
# A master from a night further than this from the frame's night is used with a warning.
STALE_MASTER_DAYS = 7

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


class _FrameRows:
    """Rows of one frame on demand: a slice of an in-memory CCDData (NaN where masked), or a
    band read from a FITS file: memory-mapped and scaled here (BZERO, BSCALE, BLANK) for plain
    images, through astropy's section (which decompresses only those tiles) for compressed ones."""

    def __init__(self, source: FrameSource, name: str) -> None:
        self.name = name
        self._file: fits.HDUList | None = None
        self._mask: npt.NDArray[np.bool_] | None = None
        self._zero, self._scale, self._blank = 0.0, 1.0, None
        if isinstance(source, CCDData):
            self._pixels: Any = source.data
            self._mask = None if source.mask is None else np.asarray(source.mask, dtype=bool)
            self.header = source.meta
            self.shape: tuple[int, ...] = tuple(source.data.shape)
            return
        try:
            # Raw integers, memory-mapped: each band is read and scaled once, straight to float32.
            self._file = fits.open(source, memmap=True, do_not_scale_image_data=True)
            index, hdu = next(
                (index, hdu)
                for index, hdu in enumerate(self._file)
                if hdu.is_image and hdu.header.get("NAXIS") == 2
            )
        except StopIteration:
            self.close()
            raise ValueError(f"{source} holds no two-dimensional image; expected a CCD frame") from None
        except OSError as error:
            self.close()
            raise ValueError(f"{source} is not a readable FITS file ({error})") from None
        self.header = hdu.header
        self.shape = (int(hdu.header["NAXIS2"]), int(hdu.header["NAXIS1"]))
        if isinstance(hdu, fits.CompImageHDU):
            self._file.close()
            self._file = fits.open(source)
            self._pixels = self._file[index].section
            return
        self._pixels = hdu.data
        self._zero = float(hdu.header.get("BZERO", 0.0))
        self._scale = float(hdu.header.get("BSCALE", 1.0))
        blank = hdu.header.get("BLANK")
        self._blank = int(blank) if isinstance(blank, int) and hdu.header.get("BITPIX", 0) > 0 else None

    def rows(self, start: int, stop: int, out: npt.NDArray[np.float32]) -> None:
        raw = self._pixels[start:stop]
        np.copyto(out, raw, casting="unsafe")
        if self._scale != 1.0:
            out *= np.float32(self._scale)
        if self._zero:
            out += np.float32(self._zero)
        if self._blank is not None:
            out[raw == self._blank] = np.nan
        if self._mask is not None:
            out[self._mask[start:stop]] = np.nan

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _open_all(sources: Sequence[FrameSource], names: Sequence[str]) -> list[_FrameRows]:
    frames: list[_FrameRows] = []
    try:
        for source, name in zip(sources, names, strict=True):
            frames.append(_FrameRows(source, name))
            if frames[-1].shape != frames[0].shape:
                height, width = frames[-1].shape
                raise ValueError(
                    f"{name} is {width}x{height}; expected {frames[0].shape[1]}x{frames[0].shape[0]} "
                    f"like {frames[0].name}"
                )
    except BaseException:
        for frame in frames:
            frame.close()
        raise
    return frames


def combine_frames(
    sources: Sequence[FrameSource],
    *,
    memory_limit: float | None = None,
    unit: str = "adu",
    names: Sequence[str] | None = None,
) -> CCDData:
    """The sigma-clipped average of ``sources`` (paths or CCDData of one size), in bounded memory.

    The combine is :func:`tom_tui.processing.reduction.combine.clipped_mean` (ccdproc's average
    with a 3-sigma clip about the median, MAD as the spread) over bands of rows sized so that the
    working arrays stay within ``memory_limit`` bytes (default: half of one float32 frame, at
    least :data:`MIN_WORKING_MEMORY`); each file is read once. The result holds
    the mean (float32), its standard error as the uncertainty, and a mask where every frame was
    rejected. Its header is the first frame's, with ``NCOMBINE`` and a ``HISTORY`` line per frame
    (``names``, else the file names). Unit: the first CCDData's, else ``unit``.
    """
    if not sources:
        raise ValueError("no frames to combine; a master needs at least one frame")
    names = list(names or [_name_of(source, index) for index, source in enumerate(sources)])
    frames = _open_all(sources, names)
    try:
        height, width = frames[0].shape
        mean = np.empty((height, width), dtype=np.float32)
        error = np.empty((height, width), dtype=np.float32)
        rejected: npt.NDArray[np.bool_] | None = None  # made only if some pixel lost every frame
        limit = memory_limit
        if limit is None:
            limit = max(MIN_WORKING_MEMORY, WORKING_MEMORY_FRAMES * height * width * 4)
        band = rows_per_band(len(frames), width, limit)
        for start in range(0, height, band):
            stop = min(height, start + band)
            stack = np.empty((len(frames), stop - start, width), dtype=np.float32)
            for frame, plane in zip(frames, stack, strict=True):
                frame.rows(start, stop, plane)
            combined = clipped_mean(stack)
            mean[start:stop], error[start:stop] = combined.mean, combined.error
            if combined.all_rejected.any():
                rejected = np.zeros((height, width), dtype=bool) if rejected is None else rejected
                rejected[start:stop] = combined.all_rejected
        header = fits.Header(frames[0].header)
    finally:
        for frame in frames:
            frame.close()
    first = next((source for source in sources if isinstance(source, CCDData)), None)
    master = CCDData(
        mean,
        uncertainty=StdDevUncertainty(error, copy=False),
        mask=rejected,
        meta=header,
        unit=first.unit if first is not None else unit,
    )
    master.meta["NCOMBINE"] = (len(sources), "frames combined")
    for name in names:
        master.meta.add_history(f"combined from {name}")
    return master


def master_bias(sources: Sequence[FrameSource], *, memory_limit: float | None = None) -> CCDData:
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
    memory_limit: float | None = None,
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
    memory_limit: float | None = None,
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
