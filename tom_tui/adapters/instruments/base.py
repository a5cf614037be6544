"""The contract of an instrument profile: how one telescope and camera describe their frames.

A profile holds what the headers do not say the same way everywhere: the keyword spellings
(:class:`~tom_tui.domain.frames.HeaderConventions`: ``IMAGETYP`` = "Bias Frame", "zero",
"Light Frame", "object"..., ``FILTER``, ``EXPTIME``, binning), the detector (gain, read noise,
saturation, pixel scale, overscan and trim sections) and the polarimetry mode. A subclass sets
class attributes; a store's ``tom-tui.toml`` can override any of them, or define a whole profile,
in an ``[instruments.NAME]`` table whose keys are :data:`SETTING_CHECKS` (``base = "generic"``
names the profile it starts from).

Contract for subclasses:

- :meth:`InstrumentProfile.matches` says whether a header comes from this instrument (by its
  ``TELESCOP`` / ``INSTRUME`` values); the generic profile matches nothing and is the fallback.
- :meth:`InstrumentProfile.classify` returns a :class:`~tom_tui.domain.frames.Frame` and never
  raises on a readable header: a type it cannot tell is ``unknown`` with the reason.
- :meth:`InstrumentProfile.detector_for` gives the detector values for one frame: a configured
  value wins (the user knows the camera), else the header's keyword, else None.

Profiles are found through the ``tom_tui.instruments`` entry point group
(:mod:`tom_tui.services.plugins`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import warnings
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import (
    GENERIC_CONVENTIONS,
    Detector,
    Frame,
    HeaderConventions,
    ImageType,
)


class FrameFileError(ValidationError):
    """A file that cannot be read as a FITS image; the message names the file and why."""


class PolarimetryMode(StrEnum):
    NONE = "none"
    POLARIZER = "polarizer"  # a rotating polarizer: frames at 0, 45, 90, 135 degrees
    HWP = "hwp"  # a half-wave plate in front of a fixed analyser


FITS_SECTION = re.compile(r"^\[\s*\d+\s*:\s*\d+\s*,\s*\d+\s*:\s*\d+\s*\]$")

Check = Callable[[Any], str | None]  # None if the value is right, else what was expected


def _positive(value: Any) -> str | None:
    valid = (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )
    return None if valid else "a positive number"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "text"


def _texts(value: Any) -> str | None:
    valid = isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)
    return None if valid else "a list of text"


def _section(value: Any) -> str | None:
    valid = isinstance(value, str) and FITS_SECTION.match(value.strip())
    return None if valid else "a FITS section like '[17:528,1:520]'"


def _binning(value: Any) -> str | None:
    valid = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(item, int) and not isinstance(item, bool) and item >= 1 for item in value)
    )
    return None if valid else "two whole numbers, [x, y]"


FRAME_TYPE_NAMES = tuple(image_type.value for image_type in ImageType if image_type is not ImageType.UNKNOWN)


def _image_types(value: Any) -> str | None:
    valid = isinstance(value, dict) and all(item in FRAME_TYPE_NAMES for item in value.values())
    return None if valid else f"a table of header value = frame type ({', '.join(FRAME_TYPE_NAMES)})"


def _names(value: Any) -> str | None:
    valid = isinstance(value, dict) and all(isinstance(item, str) and item for item in value.values())
    return None if valid else "a table of header value = filter name"


def _mode(value: Any) -> str | None:
    modes = [mode.value for mode in PolarimetryMode]
    return None if value in modes else f"one of {', '.join(modes)}"


CONVENTION_LISTS = (
    "image_type_keywords",
    "filter_keywords",
    "exposure_keywords",
    "object_keywords",
    "telescope_keywords",
    "instrument_keywords",
    "polarizer_keywords",
    "hwp_keywords",
)
DETECTOR_NUMBERS = ("gain", "read_noise", "saturation", "pixel_scale_arcsec")

# The keys of an [instruments.NAME] table and what each holds.
SETTING_CHECKS: dict[str, Check] = {
    "base": _text,
    "description": _text,
    "telescopes": _texts,
    "instruments": _texts,
    "telescope": _text,
    **dict.fromkeys(DETECTOR_NUMBERS, _positive),
    "overscan": _section,
    "trim": _section,
    "polarimetry": _mode,
    **dict.fromkeys(CONVENTION_LISTS, _texts),
    "image_types": _image_types,
    "filter_names": _names,
    "binning": _binning,
}


def setting_problems(where: str, settings: Mapping[str, Any]) -> list[str]:
    """Every wrong key or value of a profile's settings, one sentence each starting with ``where``."""
    problems: list[str] = []
    for key, value in settings.items():
        check = SETTING_CHECKS.get(key)
        if check is None:
            close = difflib.get_close_matches(key, list(SETTING_CHECKS), n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"expected one of {', '.join(sorted(SETTING_CHECKS))}"
            )
            problems.append(f"{where}: unknown key {key!r}; {hint}")
            continue
        expected = check(value)
        if expected:
            problems.append(f"{where} {key} = {value!r}; expected {expected}")
    return problems


class InstrumentProfile:
    """How one telescope and camera write their frames. Subclasses set the class attributes."""

    name: ClassVar[str] = ""
    description: str = ""
    conventions: HeaderConventions = GENERIC_CONVENTIONS
    telescopes: tuple[str, ...] = ()  # TELESCOP values this profile is for (case ignored)
    instruments: tuple[str, ...] = ()  # INSTRUME values this profile is for (case ignored)
    telescope: str = ""  # the archive's telescope folder when the header names none
    detector: Detector = Detector()  # configured values; None means "read the header"
    gain_keywords: tuple[str, ...] = ("GAIN", "EGAIN", "CCDGAIN")
    read_noise_keywords: tuple[str, ...] = ("RDNOISE", "READNOIS", "RON", "RDNOIS")
    saturation_keywords: tuple[str, ...] = ("SATURATE", "SATLEVEL", "MAXLIN")
    pixel_scale_keywords: tuple[str, ...] = ("PIXSCALE", "SECPIX", "PIXSCAL1")
    overscan_keywords: tuple[str, ...] = ("BIASSEC",)
    trim_keywords: tuple[str, ...] = ("TRIMSEC", "DATASEC")
    polarimetry: PolarimetryMode = PolarimetryMode.NONE

    def __init__(self, settings: Mapping[str, Any] | None = None, name: str | None = None) -> None:
        """The profile with ``settings`` (an ``[instruments.NAME]`` table) applied on top.

        Raises :class:`ValidationError` naming every wrong key or value."""
        self.profile_name = name or self.name
        settings = dict(settings or {})
        problems = setting_problems(f"[instruments.{self.profile_name}]", settings)
        if problems:
            raise ValidationError("; ".join(problems))
        self._apply(settings)

    def _apply(self, settings: Mapping[str, Any]) -> None:
        for key in ("description", "telescope"):
            if key in settings:
                setattr(self, key, settings[key])
        for key in ("telescopes", "instruments"):
            if key in settings:
                setattr(self, key, tuple(settings[key]))
        if "polarimetry" in settings:
            self.polarimetry = PolarimetryMode(settings["polarimetry"])
        detector = {key: settings[key] for key in (*DETECTOR_NUMBERS, "overscan", "trim") if key in settings}
        self.detector = dataclasses.replace(self.detector, **detector)
        conventions: dict[str, Any] = {
            key: tuple(settings[key]) for key in CONVENTION_LISTS if key in settings
        }
        if "image_types" in settings:
            words = {
                " ".join(str(k).lower().split()): ImageType(v) for k, v in settings["image_types"].items()
            }
            conventions["image_types"] = {**self.conventions.image_types, **words}
        if "filter_names" in settings:
            conventions["filter_names"] = {**self.conventions.filter_names, **settings["filter_names"]}
        if "binning" in settings:
            conventions["default_binning"] = tuple(settings["binning"])
        self.conventions = dataclasses.replace(self.conventions, **conventions)

    def matches(self, header: Mapping[str, Any]) -> bool:
        """Whether ``header`` comes from this instrument: its TELESCOP or INSTRUME is listed."""
        telescope = str(header.get("TELESCOP") or "").strip().lower()
        instrument = str(header.get("INSTRUME") or "").strip().lower()
        return (bool(telescope) and telescope in {name.lower() for name in self.telescopes}) or (
            bool(instrument) and instrument in {name.lower() for name in self.instruments}
        )

    def classify(
        self,
        header: Mapping[str, Any],
        path: str = "",
        target_id: int | None = None,
        observation_id: int | None = None,
    ) -> Frame:
        """The frame ``header`` describes, read with this profile's keyword spellings."""
        frame = Frame.from_header(header, path, target_id, observation_id, conventions=self.conventions)
        return dataclasses.replace(
            frame, telescope=frame.telescope or self.telescope, profile=self.profile_name
        )

    def detector_for(self, header: Mapping[str, Any]) -> Detector:
        """Gain, read noise, saturation, pixel scale and sections for the frame of ``header``."""
        configured = self.detector
        return Detector(
            gain=configured.gain or _header_number(header, self.gain_keywords),
            read_noise=configured.read_noise or _header_number(header, self.read_noise_keywords),
            saturation=configured.saturation or _header_number(header, self.saturation_keywords),
            pixel_scale_arcsec=configured.pixel_scale_arcsec
            or _header_number(header, self.pixel_scale_keywords),
            overscan=configured.overscan or _header_section(header, self.overscan_keywords),
            trim=configured.trim or _header_section(header, self.trim_keywords),
        )

    def summary(self) -> dict[str, Any]:
        """What the profile is, as JSON-ready values."""
        return {
            "name": self.profile_name,
            "description": self.description,
            "telescopes": list(self.telescopes),
            "instruments": list(self.instruments),
            "polarimetry": self.polarimetry.value,
            **dataclasses.asdict(self.detector),
        }


def _header_number(header: Mapping[str, Any], keywords: tuple[str, ...]) -> float | None:
    for keyword in keywords:
        value = header.get(keyword)
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
        ):
            return float(value)
    return None


def _header_section(header: Mapping[str, Any], keywords: tuple[str, ...]) -> str | None:
    for keyword in keywords:
        value = header.get(keyword)
        if isinstance(value, str) and FITS_SECTION.match(value.strip()):
            return "".join(value.split())
    return None


def read_frame_header(path: Path) -> Any:
    """The header of the image in a FITS file (an ``astropy.io.fits.Header``): the primary
    header, with the keywords of the first image extension on top when the image lives in an
    extension (tile-compressed ``.fits.fz``, multi-extension files).

    Raises :class:`FrameFileError` naming the file and the reason when it is not a FITS file, is
    truncated, or holds no two-dimensional image."""
    from astropy.io import fits  # only commands that read frames pay for astropy

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with fits.open(path, lazy_load_hdus=False, memmap=False) as hdul:
                header = _image_header(hdul)
    except FrameFileError as error:
        raise FrameFileError(f"{path}: {error}") from None
    except Exception as error:  # a damaged file can fail anywhere inside astropy; none stops an import
        raise FrameFileError(f"{path}: not a readable FITS file ({error})") from None
    truncated = [str(warning.message) for warning in caught if "truncated" in str(warning.message)]
    if truncated:
        raise FrameFileError(f"{path}: the file is truncated ({truncated[0]})")
    return header


def _image_header(hdul: Any) -> Any:
    primary = hdul[0].header
    for hdu in hdul:
        if getattr(hdu, "is_image", False) and hdu.header.get("NAXIS", 0) >= 2:  # tables are not images
            if hdu is hdul[0]:
                return primary.copy()
            merged = primary.copy()
            merged.update(hdu.header)  # the image's own keywords win over the primary's
            return merged
    raise FrameFileError("no two-dimensional image in any HDU (every NAXIS is below 2)")
