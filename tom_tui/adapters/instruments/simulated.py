"""The profile of the simulated telescope's camera (:mod:`tom_tui.adapters.simulated.imaging`).

The simulator writes ``IMAGETYP`` = BIAS, FLAT or LIGHT, unbinned frames without a binning
keyword, and its detector values in ``GAIN``, ``RDNOISE`` and ``SATURATE``; the pixel scale is
the camera's and is not written in the header.
"""

from __future__ import annotations

import dataclasses

from tom_tui.adapters.instruments.base import InstrumentProfile
from tom_tui.adapters.simulated.imaging import Camera
from tom_tui.domain.frames import GENERIC_CONVENTIONS, Detector

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
