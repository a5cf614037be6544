"""The profile of the simulated telescope's camera (:mod:`tom_tui.adapters.simulated.imaging`).

The simulator writes ``IMAGETYP`` = BIAS, FLAT or LIGHT, unbinned frames without a binning
keyword, and its detector values in ``GAIN``, ``RDNOISE`` and ``SATURATE``; the pixel scale is
the camera's and is not written in the header. The camera has a rotating polarizer whose angle
is in ``POLANGLE`` (:mod:`tom_tui.adapters.simulated.polarimetry`), with the instrumental
polarisation the simulator gives it.
"""

from __future__ import annotations

import dataclasses

from tom_tui.adapters.instruments.base import InstrumentProfile
from tom_tui.adapters.simulated.imaging import SIMULATED_INSTRUMENTAL_POLARIZATION, Camera
from tom_tui.domain.frames import GENERIC_CONVENTIONS, Detector
from tom_tui.domain.polarimetry import PolarimetryMode

_CAMERA = Camera()


class SimulatedProfile(InstrumentProfile):
    name = "simulated"
    description = "the simulated telescope's camera (tom-tui's offline sky)"
    telescopes = (_CAMERA.telescope,)
    instruments = (_CAMERA.instrument,)
    telescope = _CAMERA.telescope
    conventions = dataclasses.replace(GENERIC_CONVENTIONS, default_binning=(1, 1))
    detector = Detector(
        gain=_CAMERA.gain,
        read_noise=_CAMERA.read_noise,
        saturation=float(_CAMERA.saturation),
        pixel_scale_arcsec=_CAMERA.pixel_scale_arcsec,
    )
    polarimetry = PolarimetryMode.POLARIZER
    instrumental_polarization = SIMULATED_INSTRUMENTAL_POLARIZATION
