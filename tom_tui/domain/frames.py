"""Raw and reduced image frames: what a frame is, read from its FITS header, and where it lives.

Raw frames are kept under ``raw/<telescope>/<night>/<file>`` in the store (:func:`raw_frame_path`).
The observing night is the date of the evening it began, YYYYMMDD: the UTC date twelve hours
before the exposure (noon-to-noon in UT), unless the header names it (``DAY-OBS``, as LCO does).

Header keywords read by :meth:`Frame.from_header`, first one present wins:

- start time: ``DATE-OBS`` (ISO 8601; when it holds only a date, the time comes from ``UT``,
  ``TIME-OBS`` or ``UTSTART``), else ``MJD-OBS``, else ``JD``. Times are UTC unless ``TIMESYS``
  names another scale (TAI, TT...), which is converted. ``DATE-OBS`` comes first because some
  writers round ``MJD-OBS`` to the day (the SAAO 1.0 m STE3 camera does).
- exposure time: ``EXPTIME``, else ``EXPOSURE`` (seconds).
- band: ``FILTER``, else ``FILTER1``; ``none``, ``air``, ``NOTPRESENT`` and blanks mean no filter.
- image type: ``IMAGETYP``, else ``OBSTYPE``, mapped onto :class:`ImageType` (``LIGHT``,
  ``OBJECT``, ``EXPOSE``... are science frames; ``ZERO`` is a bias).
- telescope ``TELESCOP``, instrument ``INSTRUME``, object ``OBJECT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tom_tui.domain.clock import from_mjd, to_mjd
from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.domain.units import JD_MINUS_MJD

RAW_FRAMES_FOLDER = "raw"
UNKNOWN_NIGHT = "unknown"
NO_FILTER = {"", "none", "air", "notpresent", "empty", "n/a"}


class ImageType(StrEnum):
    BIAS = "bias"
    DARK = "dark"
    FLAT = "flat"
    SCIENCE = "science"
    ARC = "arc"
    SPECTRUM = "spectrum"
    OTHER = "other"


# Header spellings of each type, lower case, as written by MaxIm DL, IRAF, LCO BANZAI and others.
_IMAGE_TYPE_WORDS: dict[str, ImageType] = {
    "bias": ImageType.BIAS,
    "zero": ImageType.BIAS,
    "bias frame": ImageType.BIAS,
    "dark": ImageType.DARK,
    "dark frame": ImageType.DARK,
    "flat": ImageType.FLAT,
    "flat field": ImageType.FLAT,
    "skyflat": ImageType.FLAT,
    "sky flat": ImageType.FLAT,
    "domeflat": ImageType.FLAT,
    "dome flat": ImageType.FLAT,
    "lampflat": ImageType.FLAT,
    "twilight flat": ImageType.FLAT,
    "light": ImageType.SCIENCE,
    "light frame": ImageType.SCIENCE,
    "object": ImageType.SCIENCE,
    "science": ImageType.SCIENCE,
    "expose": ImageType.SCIENCE,
    "standard": ImageType.SCIENCE,
    "arc": ImageType.ARC,
    "lamp": ImageType.ARC,
    "comparison": ImageType.ARC,
    "spectrum": ImageType.SPECTRUM,
}


def image_type_of(value: str | None) -> ImageType:
    """The :class:`ImageType` a header's ``IMAGETYP`` / ``OBSTYPE`` value stands for."""
    if value is None:
        return ImageType.OTHER
    return _IMAGE_TYPE_WORDS.get(" ".join(str(value).lower().split()), ImageType.OTHER)


def observing_night(start: dt.datetime | None) -> str:
    """The night (YYYYMMDD) an exposure starting at ``start`` (UTC) belongs to, UT noon to noon."""
    if start is None:
        return UNKNOWN_NIGHT
    if start.tzinfo is not None:
        start = start.astimezone(dt.UTC)
    return (start - dt.timedelta(hours=12)).strftime("%Y%m%d")


def raw_frame_path(telescope: str, night: str, file_name: str) -> str:
    """Where the store keeps a raw frame, relative to its root: ``raw/<telescope>/<night>/<file>``."""
    parts = (safe_file_name(telescope), safe_file_name(night), safe_file_name(file_name))
    return "/".join((RAW_FRAMES_FOLDER, *parts))


@dataclass(frozen=True)
class Frame:
    """One image frame: what was observed, when (MJD, UTC, start of exposure), how long (s), where."""

    path: str  # relative to the store root
    telescope: str
    instrument: str
    night: str  # YYYYMMDD, see observing_night
    mjd: float | None
    exposure_s: float | None
    band: str | None
    image_type: ImageType
    object_name: str = ""
    target_id: int | None = None
    observation_id: int | None = None

    @classmethod
    def from_header(
        cls,
        header: Mapping[str, Any],
        path: str = "",
        target_id: int | None = None,
        observation_id: int | None = None,
    ) -> Frame:
        """A frame described by a FITS header (any mapping of keyword to value); see the module
        docstring for which keywords are read. Missing keywords give empty or None fields."""
        start = _start_time(header)
        day_obs = _text(header, "DAY-OBS")
        return cls(
            path=path,
            telescope=_text(header, "TELESCOP"),
            instrument=_text(header, "INSTRUME"),
            night=day_obs.replace("-", "") if day_obs else observing_night(start),
            mjd=None if start is None else to_mjd(start),
            exposure_s=_number(header, "EXPTIME", "EXPOSURE"),
            band=_band(header),
            image_type=image_type_of(_text(header, "IMAGETYP") or _text(header, "OBSTYPE") or None),
            object_name=_text(header, "OBJECT"),
            target_id=target_id,
            observation_id=observation_id,
        )


def _text(header: Mapping[str, Any], keyword: str) -> str:
    value = header.get(keyword)
    return "" if value is None else str(value).strip()


def _number(header: Mapping[str, Any], *keywords: str) -> float | None:
    for keyword in keywords:
        value = header.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _band(header: Mapping[str, Any]) -> str | None:
    for keyword in ("FILTER", "FILTER1"):
        value = _text(header, keyword)
        if value:
            return None if value.lower() in NO_FILTER else value
    return None


def _start_time(header: Mapping[str, Any]) -> dt.datetime | None:
    """The exposure start in UTC, from the keywords the module docstring lists."""
    start = _start_from_date_obs(header)
    if start is None:
        mjd = _number(header, "MJD-OBS")
        jd = _number(header, "JD")
        if mjd is None and jd is not None:
            mjd = jd - JD_MINUS_MJD
        if mjd is None:
            return None
        start = from_mjd(mjd)
    return _as_utc(start, _text(header, "TIMESYS").upper() or "UTC")


def _start_from_date_obs(header: Mapping[str, Any]) -> dt.datetime | None:
    date_obs = _text(header, "DATE-OBS")
    if not date_obs:
        return None
    if "T" not in date_obs:
        time_of_day = _text(header, "UT") or _text(header, "TIME-OBS") or _text(header, "UTSTART")
        if not time_of_day:
            return None  # a bare date is not a start time; MJD-OBS or JD may say more
        date_obs = f"{date_obs}T{time_of_day}"
    try:
        start = dt.datetime.fromisoformat(date_obs.replace("Z", "+00:00"))
    except ValueError:
        return None
    return start if start.tzinfo else start.replace(tzinfo=dt.UTC)


def _as_utc(start: dt.datetime, scale: str) -> dt.datetime:
    if scale in ("UTC", "UT"):
        return start
    from astropy.time import Time  # only for the rare header in another time scale

    if scale.lower() not in Time.SCALES:
        raise ValueError(f"TIMESYS {scale!r} is not a time scale; expected UTC, TAI, TT, TDB...")
    converted: dt.datetime = Time(start.replace(tzinfo=None), scale=scale.lower()).utc.to_datetime()
    return converted.replace(tzinfo=dt.UTC)
