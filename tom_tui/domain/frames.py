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
- binning: ``XBINNING``/``YBINNING``, else ``CCDSUM`` ("2 2", LCO and NOAO), else ``BINNING``
  ("2x2"); size: ``NAXIS1`` x ``NAXIS2`` (``ZNAXIS1``/``ZNAXIS2`` for tile-compressed files).
- polarizer angle ``POLANGLE``/``POLARANG``, half-wave-plate angle ``HWPANGLE``/``RETANG1``
  (degrees), for polarimetric frames.

Those spellings are the generic :class:`HeaderConventions`; an instrument profile passes its own.
A frame whose type cannot be read is :attr:`ImageType.UNKNOWN` with the reason in
``unknown_reason``: the type is never guessed from the exposure time or the object name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Self

from tom_tui.domain.clock import from_mjd, to_mjd
from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.domain.units import JD_MINUS_MJD

RAW_FRAMES_FOLDER = "raw"
UNKNOWN_NIGHT = "unknown"
UNKNOWN_TELESCOPE = "unknown"  # the raw/ folder of frames whose telescope nobody named
NO_FILTER = {"", "none", "air", "notpresent", "empty", "n/a"}


class ImageType(StrEnum):
    """What a frame is for. ``SCIENCE`` and ``OTHER`` are other names of ``LIGHT`` and ``UNKNOWN``."""

    BIAS = "bias"
    DARK = "dark"
    FLAT = "flat"
    LIGHT = "light"
    ARC = "arc"
    SPECTRUM = "spectrum"
    UNKNOWN = "unknown"
    SCIENCE = "light"
    OTHER = "unknown"


# Header spellings of each type, lower case, as written by MaxIm DL, IRAF, LCO BANZAI and others.
IMAGE_TYPE_WORDS: dict[str, ImageType] = {
    "bias": ImageType.BIAS,
    "zero": ImageType.BIAS,
    "bias frame": ImageType.BIAS,
    "dark": ImageType.DARK,
    "dark frame": ImageType.DARK,
    "flat": ImageType.FLAT,
    "flat field": ImageType.FLAT,
    "flat frame": ImageType.FLAT,
    "skyflat": ImageType.FLAT,
    "sky flat": ImageType.FLAT,
    "domeflat": ImageType.FLAT,
    "dome flat": ImageType.FLAT,
    "lampflat": ImageType.FLAT,
    "twilight flat": ImageType.FLAT,
    "light": ImageType.LIGHT,
    "light frame": ImageType.LIGHT,
    "object": ImageType.LIGHT,
    "science": ImageType.LIGHT,
    "expose": ImageType.LIGHT,
    "standard": ImageType.LIGHT,
    "arc": ImageType.ARC,
    "lamp": ImageType.ARC,
    "comparison": ImageType.ARC,
    "spectrum": ImageType.SPECTRUM,
}


def _words(value: object) -> str:
    return " ".join(str(value).lower().split())


def image_type_of(value: str | None, words: Mapping[str, ImageType] = IMAGE_TYPE_WORDS) -> ImageType:
    """The :class:`ImageType` a header's ``IMAGETYP`` / ``OBSTYPE`` value stands for."""
    if value is None:
        return ImageType.UNKNOWN
    return words.get(_words(value), ImageType.UNKNOWN)


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
class HeaderConventions:
    """Which header keywords say what, for one family of instruments. Every keyword list is read
    in order, the first keyword present wins; ``image_types`` maps a lower-case header value
    (blanks collapsed) to its type, ``filter_names`` a header filter value to the band name to use,
    and ``default_binning`` is the binning of a frame whose header says none."""

    image_type_keywords: tuple[str, ...] = ("IMAGETYP", "OBSTYPE")
    image_types: Mapping[str, ImageType] = field(default_factory=lambda: dict(IMAGE_TYPE_WORDS))
    filter_keywords: tuple[str, ...] = ("FILTER", "FILTER1")
    filter_names: Mapping[str, str] = field(default_factory=dict)
    exposure_keywords: tuple[str, ...] = ("EXPTIME", "EXPOSURE")
    object_keywords: tuple[str, ...] = ("OBJECT",)
    telescope_keywords: tuple[str, ...] = ("TELESCOP",)
    instrument_keywords: tuple[str, ...] = ("INSTRUME",)
    polarizer_keywords: tuple[str, ...] = ("POLANGLE", "POLARANG")
    hwp_keywords: tuple[str, ...] = ("HWPANGLE", "RETANG1")
    default_binning: tuple[int, int] | None = None


GENERIC_CONVENTIONS = HeaderConventions()


@dataclass(frozen=True)
class Detector:
    """What the reduction needs to know about a camera for one frame: gain (e-/ADU), read noise
    (e-), saturation (ADU), pixel scale (arcsec per binned pixel) and the overscan and trim
    sections in FITS notation (``[x1:x2,y1:y2]``, 1-based, inclusive). None: not known."""

    gain: float | None = None
    read_noise: float | None = None
    saturation: float | None = None
    pixel_scale_arcsec: float | None = None
    overscan: str | None = None
    trim: str | None = None


@dataclass(frozen=True)
class Frame:
    """One image frame: what was observed, when (MJD, UTC, start of exposure), how long (s), where.

    ``binning`` is (x, y), ``size`` is (NAXIS1, NAXIS2) in pixels, angles are in degrees. ``id``,
    ``sha256``, ``original_name``, ``profile`` and ``imported`` are filled in by the raw archive.
    """

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
    unknown_reason: str = ""  # why image_type is UNKNOWN; empty otherwise
    binning: tuple[int, int] | None = None
    size: tuple[int, int] | None = None
    polarizer_deg: float | None = None
    hwp_deg: float | None = None
    id: int | None = None
    sha256: str = ""
    original_name: str = ""
    profile: str = ""
    imported: str = ""  # ISO 8601 UTC

    @classmethod
    def from_header(
        cls,
        header: Mapping[str, Any],
        path: str = "",
        target_id: int | None = None,
        observation_id: int | None = None,
        conventions: HeaderConventions = GENERIC_CONVENTIONS,
    ) -> Frame:
        """A frame described by a FITS header (any mapping of keyword to value); see the module
        docstring for which keywords are read. Missing keywords give empty or None fields."""
        start = _start_time(header)
        day_obs = _text(header, "DAY-OBS")
        image_type, unknown_reason = classify_image_type(header, conventions)
        return cls(
            path=path,
            telescope=_first_text(header, conventions.telescope_keywords),
            instrument=_first_text(header, conventions.instrument_keywords),
            night=day_obs.replace("-", "") if day_obs else observing_night(start),
            mjd=None if start is None else to_mjd(start),
            exposure_s=_number(header, *conventions.exposure_keywords),
            band=_band(header, conventions),
            image_type=image_type,
            object_name=_first_text(header, conventions.object_keywords),
            target_id=target_id,
            observation_id=observation_id,
            unknown_reason=unknown_reason,
            binning=_binning(header) or conventions.default_binning,
            size=_size(header),
            polarizer_deg=_number(header, *conventions.polarizer_keywords),
            hwp_deg=_number(header, *conventions.hwp_keywords),
        )

    def to_record(self) -> dict[str, Any]:
        """The frame as flat JSON-ready values (what the archive stores, what ``--json`` prints)."""
        record = {item.name: getattr(self, item.name) for item in fields(self)}
        record["image_type"] = self.image_type.value
        record["binning"] = list(self.binning) if self.binning else None
        record["size"] = list(self.size) if self.size else None
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        """The frame :meth:`to_record` wrote."""
        values: dict[str, Any] = {item.name: record[item.name] for item in fields(cls) if item.name in record}
        values["image_type"] = ImageType(record.get("image_type") or ImageType.UNKNOWN)
        for name in ("binning", "size"):
            pair = record.get(name)
            values[name] = (int(pair[0]), int(pair[1])) if pair else None
        for name in ("object_name", "unknown_reason", "sha256", "original_name", "profile", "imported"):
            values[name] = values.get(name) or ""
        return cls(**values)


def classify_image_type(
    header: Mapping[str, Any], conventions: HeaderConventions = GENERIC_CONVENTIONS
) -> tuple[ImageType, str]:
    """The frame type a header states, and when it states none that is known, why not."""
    keywords = conventions.image_type_keywords
    stated = [(keyword, _text(header, keyword)) for keyword in keywords if _text(header, keyword)]
    if not stated:
        return ImageType.UNKNOWN, f"the header has no {' or '.join(keywords)} keyword naming the frame type"
    for _, value in stated:
        image_type = image_type_of(value, conventions.image_types)
        if image_type is not ImageType.UNKNOWN:
            return image_type, ""
    keyword, value = stated[0]
    return (
        ImageType.UNKNOWN,
        f"{keyword} = {value!r} is not a frame type this instrument profile knows "
        "(expected a spelling of bias, dark, flat or light, e.g. 'Bias Frame', 'zero', 'object')",
    )


def _text(header: Mapping[str, Any], keyword: str) -> str:
    value = header.get(keyword)
    return "" if value is None else str(value).strip()


def _first_text(header: Mapping[str, Any], keywords: tuple[str, ...]) -> str:
    for keyword in keywords:
        value = _text(header, keyword)
        if value:
            return value
    return ""


def _number(header: Mapping[str, Any], *keywords: str) -> float | None:
    for keyword in keywords:
        value = header.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _band(header: Mapping[str, Any], conventions: HeaderConventions = GENERIC_CONVENTIONS) -> str | None:
    for keyword in conventions.filter_keywords:
        value = _text(header, keyword)
        if value:
            if value.lower() in NO_FILTER:
                return None
            return conventions.filter_names.get(value, value)
    return None


def _whole(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and number >= 1 else None


def _binning(header: Mapping[str, Any]) -> tuple[int, int] | None:
    """(x, y) binning from XBINNING/YBINNING, CCDSUM ("2 2") or BINNING ("2x2" or "2")."""
    x, y = _whole(header.get("XBINNING")), _whole(header.get("YBINNING"))
    if x is not None:
        return (x, y if y is not None else x)
    for keyword in ("CCDSUM", "BINNING"):
        parts = _text(header, keyword).lower().replace("x", " ").split()
        factors = [_whole(part) for part in parts]
        if len(factors) == 1:
            factors *= 2
        if len(factors) == 2 and factors[0] is not None and factors[1] is not None:
            return (factors[0], factors[1])
    return None


def _size(header: Mapping[str, Any]) -> tuple[int, int] | None:
    for width_key, height_key in (("ZNAXIS1", "ZNAXIS2"), ("NAXIS1", "NAXIS2")):
        width, height = _whole(header.get(width_key)), _whole(header.get(height_key))
        if width is not None and height is not None:
            return (width, height)
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
