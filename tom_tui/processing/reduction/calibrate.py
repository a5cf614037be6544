"""Calibration stages: overscan, trim, bias, uncertainty, dark times exposure, flat, gain, mask.

The order is the CCD's own: the overscan strip gives the bias level of each row, the trim keeps
the light-sensitive area, the master bias removes the fixed bias structure, and only then is the
uncertainty computed from the CCD equation (Poisson noise of the counts above bias, in electrons,
plus the read noise), so that it includes the dark current and sky as the photons did. The dark
current of the frame's exposure and the flat field follow, and the frame ends in electrons, its
mask marking saturated pixels, the camera's bad pixels and anything not finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ccdproc
import numpy as np
from astropy import units as u
from astropy.modeling import models
from astropy.nddata import CCDData
from ccdproc.utils.slices import slice_from_string

from tom_tui.processing.reduction.masters import exposure_of, subtract_dark_current
from tom_tui.processing.reduction.stages import (
    BoolArray,
    FrameFlag,
    ReductionFrame,
    Stage,
    StageFailure,
    run_stages,
)

# 16-bit converters top out here; a camera that says nothing saturates no later than this.
DEFAULT_SATURATION_ADU = 65535.0


@dataclass(frozen=True)
class CameraConstants:
    """What calibration needs to know about the camera (from its profile or the frame's header).

    ``overscan`` and ``trim`` are FITS sections (``[17:528,1:520]``, 1-based, inclusive), as in
    ``BIASSEC`` and ``TRIMSEC``; ``bad_pixels`` is true where the camera's pixels cannot be
    trusted, on the trimmed frame.
    """

    gain: float  # e-/ADU
    read_noise: float  # e-
    saturation: float = DEFAULT_SATURATION_ADU  # ADU, raw
    overscan: str | None = None
    trim: str | None = None
    bad_pixels: BoolArray | None = None

    @classmethod
    def from_header(cls, header: Mapping[str, Any], **overrides: Any) -> CameraConstants:
        """The constants a FITS header states (``GAIN``/``EGAIN``, ``RDNOISE``, ``SATURATE``,
        ``BIASSEC``, ``TRIMSEC``); ``overrides`` (from a profile) win over the header."""
        values: dict[str, Any] = {
            "gain": _header_number(header, "GAIN", "EGAIN"),
            "read_noise": _header_number(header, "RDNOISE", "READNOIS", "RON"),
            "saturation": _header_number(header, "SATURATE", "SATLEVEL") or DEFAULT_SATURATION_ADU,
            "overscan": _header_text(header, "BIASSEC"),
            "trim": _header_text(header, "TRIMSEC"),
        }
        values.update(overrides)
        for name, keyword in (("gain", "GAIN"), ("read_noise", "RDNOISE")):
            if values[name] is None or not values[name] > 0:
                raise ValueError(
                    f"header keyword {keyword} is missing or not positive; "
                    f"expected the camera's {name.replace('_', ' ')} (or give it in the instrument profile)"
                )
        return cls(**values)


def _header_number(header: Mapping[str, Any], *keywords: str) -> float | None:
    for keyword in keywords:
        value = header.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _header_text(header: Mapping[str, Any], *keywords: str) -> str | None:
    for keyword in keywords:
        value = header.get(keyword)
        if isinstance(value, str) and value.strip():
            return "".join(value.split())
    return None


def _check_same_size(frame: ReductionFrame, master: CCDData, kind: str) -> None:
    if master.shape != frame.ccd.shape:
        raise StageFailure(
            FrameFlag.SIZE_MISMATCH,
            f"{frame.name or 'frame'} is {frame.ccd.shape[1]}x{frame.ccd.shape[0]} pixels but the "
            f"master {kind} is {master.shape[1]}x{master.shape[0]}; expected the same size and trim",
        )


class MarkSaturated(Stage):
    """Note which raw pixels reached the saturation level, before any arithmetic hides it."""

    name = "saturation"

    def __init__(self, camera: CameraConstants) -> None:
        self.camera = camera

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        frame.saturated = np.asarray(frame.ccd.data >= self.camera.saturation)
        return frame


class SubtractOverscan(Stage):
    """The bias level of each row from the overscan strip (median, smoothed by a straight line)."""

    name = "overscan"

    def __init__(self, camera: CameraConstants) -> None:
        self.camera = camera

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        if self.camera.overscan is None:
            return frame
        ccd = frame.ccd if frame.ccd.data.dtype.kind == "f" else _as_float(frame.ccd)
        frame.ccd = ccdproc.subtract_overscan(
            ccd,
            fits_section=self.camera.overscan,
            overscan_axis=None,
            median=True,
            model=models.Polynomial1D(1),
        )
        return frame


class Trim(Stage):
    """Keep the light-sensitive area (``TRIMSEC``), and the saturation map with it."""

    name = "trim"

    def __init__(self, camera: CameraConstants) -> None:
        self.camera = camera

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        if self.camera.trim is None:
            return frame
        frame.ccd = ccdproc.trim_image(frame.ccd, fits_section=self.camera.trim)
        if frame.saturated is not None:
            frame.saturated = frame.saturated[slice_from_string(self.camera.trim, fits_convention=True)]
        return frame


class SubtractBias(Stage):
    name = "bias"

    def __init__(self, master: CCDData) -> None:
        self.master = master

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        _check_same_size(frame, self.master, "bias")
        frame.ccd = ccdproc.subtract_bias(_as_float(frame.ccd), _without_uncertainty(self.master))
        return frame


class AddUncertainty(Stage):
    """The CCD equation per pixel: sqrt(counts x gain + read noise^2) / gain, in ADU."""

    name = "uncertainty"

    def __init__(self, camera: CameraConstants) -> None:
        self.camera = camera

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        frame.ccd = ccdproc.create_deviation(
            frame.ccd,
            gain=self.camera.gain * u.electron / u.adu,
            readnoise=self.camera.read_noise * u.electron,
            disregard_nan=True,
        )
        return frame


class SubtractDark(Stage):
    """The master dark current (per second) times the frame's exposure."""

    name = "dark"

    def __init__(self, master_per_second: CCDData) -> None:
        self.master = master_per_second

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        _check_same_size(frame, self.master, "dark")
        try:
            exposure_of(frame.ccd)
        except ValueError as error:
            raise StageFailure(FrameFlag.BAD_HEADER, f"{frame.name or 'frame'}: {error}") from error
        frame.ccd = subtract_dark_current(frame.ccd, _without_uncertainty(self.master))
        return frame


class FlatCorrect(Stage):
    name = "flat"

    def __init__(self, master: CCDData) -> None:
        self.master = master

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        _check_same_size(frame, self.master, "flat")
        frame.ccd = ccdproc.flat_correct(frame.ccd, _without_uncertainty(self.master), norm_value=1.0)
        return frame


class GainCorrect(Stage):
    """From ADU to electrons, and the mask: saturated, bad, not finite."""

    name = "gain"

    def __init__(self, camera: CameraConstants) -> None:
        self.camera = camera

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        ccd = ccdproc.gain_correct(frame.ccd, self.camera.gain * u.electron / u.adu)
        mask = ~np.isfinite(ccd.data)
        if frame.saturated is not None:
            mask |= frame.saturated
        if self.camera.bad_pixels is not None:
            mask |= self.camera.bad_pixels
        ccd.mask = mask
        frame.ccd = ccd
        return frame


def _as_float(ccd: CCDData) -> CCDData:
    if ccd.data.dtype == np.float32 or ccd.data.dtype == np.float64:
        return ccd
    converted = ccd.copy()
    converted.data = ccd.data.astype(np.float32)
    return converted


def _without_uncertainty(master: CCDData) -> CCDData:
    # The master's own noise is common to every frame it corrects: it shifts a star the same in
    # each frame and does not belong in one frame's error bars.
    if master.uncertainty is None:
        return master
    bare = master.copy()
    bare.uncertainty = None
    return bare


def calibration_stages(
    camera: CameraConstants,
    bias: CCDData | None = None,
    dark_per_second: CCDData | None = None,
    flat: CCDData | None = None,
) -> list[Stage]:
    """The calibration stages in order, leaving out the masters not given."""
    stages: list[Stage] = [MarkSaturated(camera), SubtractOverscan(camera), Trim(camera)]
    if bias is not None:
        stages.append(SubtractBias(bias))
    stages.append(AddUncertainty(camera))
    if dark_per_second is not None:
        stages.append(SubtractDark(dark_per_second))
    if flat is not None:
        stages.append(FlatCorrect(flat))
    stages.append(GainCorrect(camera))
    return stages


def overscan_and_trim(frame: ReductionFrame, camera: CameraConstants) -> ReductionFrame:
    """A raw calibration frame made ready for its master: overscan subtracted, trimmed."""
    return run_stages(frame, [SubtractOverscan(camera), Trim(camera)])
