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
from tom_tui.domain.polarimetry import InstrumentalPolarization
from tom_tui.domain.polarimetry import PolarimetryMode as PolarimetryMode  # profiles name it from here too


class FrameFileError(ValidationError):
    """A file that cannot be read as a FITS image; the message names the file and why."""


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


INSTRUMENTAL_POLARIZATION_KEYS = {
    "q": "q",
    "u": "u",
    "q_err": "q_err",
    "u_err": "u_err",
    "angle_offset": "angle_offset_deg",
}


def _polarization_number(key: str, number: Any) -> bool:
    if key not in INSTRUMENTAL_POLARIZATION_KEYS:
        return False
    valid = isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
    return valid and not (key.endswith("_err") and number < 0)


def _instrumental_polarization(value: Any) -> str | None:
    expected = (
        "a table of q, u (fractions), q_err, u_err and angle_offset (degrees), with tables of the same "
        "keys for filters that differ, e.g. { q = 0.012, u = -0.008, angle_offset = 12.0, V = { q = 0.02 } }"
    )
    if not isinstance(value, dict):
        return expected
    for key, item in value.items():
        band_table = isinstance(item, dict) and all(_polarization_number(k, v) for k, v in item.items())
        if not (band_table or _polarization_number(key, item)):
            return expected
    return None


def instrumental_polarizations(
    start: InstrumentalPolarization, given: Mapping[str, Any]
) -> tuple[InstrumentalPolarization, dict[str, InstrumentalPolarization]]:
    """The default instrumental polarisation and the filters' own, from an
    ``instrumental_polarization`` table (a filter's table starts from the default)."""

    def applied(base: InstrumentalPolarization, table: Mapping[str, Any]) -> InstrumentalPolarization:
        values = {INSTRUMENTAL_POLARIZATION_KEYS[key]: float(value) for key, value in table.items()}
        return dataclasses.replace(base, **values)

    default = applied(start, {key: value for key, value in given.items() if not isinstance(value, dict)})
    bands = {band: applied(default, table) for band, table in given.items() if isinstance(table, dict)}
    return default, bands


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
    "instrumental_polarization": _instrumental_polarization,
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
    instrumental_polarization: InstrumentalPolarization = InstrumentalPolarization()
    band_polarizations: Mapping[str, InstrumentalPolarization] = {}  # filters that differ from the default

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
        if "instrumental_polarization" in settings:
            self.instrumental_polarization, self.band_polarizations = instrumental_polarizations(
                self.instrumental_polarization, settings["instrumental_polarization"]
            )
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

    def instrumental_polarization_for(self, band: str | None) -> InstrumentalPolarization:
        """The instrumental polarisation of frames taken in ``band`` (the filter's own, else the default)."""
        return self.band_polarizations.get(band or "", self.instrumental_polarization)

    def summary(self) -> dict[str, Any]:
        """What the profile is, as JSON-ready values."""
        return {
            "name": self.profile_name,
            "description": self.description,
            "telescopes": list(self.telescopes),
            "instruments": list(self.instruments),
            "polarimetry": self.polarimetry.value,
            "instrumental_polarization": {
                **dataclasses.asdict(self.instrumental_polarization),
                **{band: dataclasses.asdict(value) for band, value in self.band_polarizations.items()},
            },
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
