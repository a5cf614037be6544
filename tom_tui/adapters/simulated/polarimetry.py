"""A night of polarimetric frames whose truth is known: one polarised star among unpolarised ones.

The simulated telescope's camera (the one the ``simulated`` instrument profile reads) carries a
rotating polarizer, or a half-wave plate in front of a fixed analyser. Through an analyser at
angle θ a star with normalised Stokes parameters (q, u), as the instrument sees them, gives

    polarizer:        I/2 · (1 + q·cos 2θ + u·sin 2θ)
    half-wave plate:  I/2 · (1 + q·cos 4θ + u·sin 4θ)

The instrument sees the sky's (q, u) turned by minus its angle offset, plus its own
polarisation (q0, u0), which every star and the sky get alike (it comes from the telescope's
mirrors, before the analyser). These are :data:`SIMULATED_INSTRUMENTAL_POLARIZATION`, the values
the profile declares, so a reduction that applies the profile's correction recovers the sky's
truth. The angle goes into ``POLANGLE`` (polarizer) or ``HWPANGLE`` (half-wave plate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
from astropy.io import fits

from tom_tui.adapters.simulated.frames import SimulatedNight, VariableStar
from tom_tui.adapters.simulated.imaging import SIMULATED_INSTRUMENTAL_POLARIZATION, Camera
from tom_tui.domain.polarimetry import SET_ANGLES, InstrumentalPolarization, PolarimetryMode

FloatArray = npt.NDArray[np.float64]

ANGLE_KEYWORDS = {PolarimetryMode.POLARIZER: "POLANGLE", PolarimetryMode.HWP: "HWPANGLE"}


def analyser_transmission(
    q: FloatArray | float, u: FloatArray | float, angle_deg: float, mode: PolarimetryMode
) -> FloatArray:
    """The fraction of a source's light an analyser at ``angle_deg`` passes, for the (q, u) the
    instrument sees (see the module docstring)."""
    turns = 2.0 if mode is PolarimetryMode.POLARIZER else 4.0
    angle = math.radians(turns * angle_deg)
    return np.asarray(0.5 * (1.0 + np.asarray(q) * math.cos(angle) + np.asarray(u) * math.sin(angle)))


def as_instrument_sees(
    q: FloatArray | float, u: FloatArray | float, instrumental: InstrumentalPolarization
) -> tuple[FloatArray, FloatArray]:
    """The sky's (q, u) turned into the instrument's frame, with its own polarisation added."""
    offset = math.radians(2.0 * instrumental.angle_offset_deg)
    q, u = np.asarray(q, dtype=np.float64), np.asarray(u, dtype=np.float64)
    seen_q = q * math.cos(offset) + u * math.sin(offset) + instrumental.q
    seen_u = -q * math.sin(offset) + u * math.cos(offset) + instrumental.u
    return seen_q, seen_u


@dataclass
class SimulatedPolarimetricNight(SimulatedNight):
    """Frames at the analyser positions of ``mode``; the star at :attr:`target` (which stands
    alone, like the variable of :class:`SimulatedNight`, but is constant) has polarisation
    ``target_p`` (fraction) at angle ``target_chi_deg``; every other star is unpolarised."""

    camera: Camera = field(default_factory=lambda: Camera(nx=256, ny=256))
    star_count: int = 30
    saturated_mags: tuple[float, ...] = ()
    target_mag: float = 12.8
    target_p: float = 0.05
    target_chi_deg: float = 30.0
    mode: PolarimetryMode = PolarimetryMode.POLARIZER
    instrumental: InstrumentalPolarization = SIMULATED_INSTRUMENTAL_POLARIZATION

    @cached_property
    def variable(self) -> VariableStar:
        ra, dec = self.true_wcs.all_pix2world(*self._variable_pixel, 0)
        return VariableStar(ra=float(ra), dec=float(dec), mean_mag=self.target_mag, amplitude=0.0)

    @property
    def target(self) -> VariableStar:
        """The polarised star (constant in brightness)."""
        return self.variable

    @property
    def target_q(self) -> float:
        return self.target_p * math.cos(math.radians(2.0 * self.target_chi_deg))

    @property
    def target_u(self) -> float:
        return self.target_p * math.sin(math.radians(2.0 * self.target_chi_deg))

    @property
    def angles(self) -> tuple[float, ...]:
        return SET_ANGLES[self.mode]

    def polarimetric(self, index: int, angle_deg: float, exptime: float = 60.0) -> fits.HDUList:
        """Science frame ``index`` taken through the analyser at ``angle_deg``."""
        is_target = np.asarray(self.stars["variable"], dtype=bool)
        seen_q, seen_u = as_instrument_sees(
            np.where(is_target, self.target_q, 0.0),
            np.where(is_target, self.target_u, 0.0),
            self.instrumental,
        )
        sky_q, sky_u = as_instrument_sees(0.0, 0.0, self.instrumental)
        return self.science(
            index,
            exptime,
            star_transmission=analyser_transmission(seen_q, seen_u, angle_deg, self.mode),
            sky_transmission=float(analyser_transmission(sky_q, sky_u, angle_deg, self.mode)),
            extra_header={ANGLE_KEYWORDS[self.mode]: (angle_deg, "analyser position (deg)")},
        )

    def polarimetric_flat(self, index: int, angle_deg: float) -> fits.HDUList:
        """Flat ``index`` taken through the analyser at ``angle_deg`` (flats are made per position)."""
        hdul = self.flat(len(self.angles) * index + self.angles.index(angle_deg))
        hdul[0].header[ANGLE_KEYWORDS[self.mode]] = (angle_deg, "analyser position (deg)")
        return hdul

    def polarimetric_set(self, set_index: int, exptime: float = 60.0) -> list[fits.HDUList]:
        """One frame at each analyser position, taken one after the other."""
        first = set_index * len(self.angles)
        return [self.polarimetric(first + offset, angle, exptime) for offset, angle in enumerate(self.angles)]
