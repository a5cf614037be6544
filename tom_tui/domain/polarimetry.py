"""Linear polarimetry as tom-tui speaks it: how an instrument measures it and what is stored.

Conventions, the same everywhere:

- ``q`` and ``u`` are the normalised Stokes parameters Q/I and U/I as fractions (0.05 is 5 %),
  on the sky (instrumental polarisation removed, rotated into the equatorial frame), with
  q > 0 along north-south, u > 0 along north-east/south-west (IAU convention).
- ``p`` = sqrt(q² + u²) is the measured degree of polarisation (a fraction); ``p_debiased``
  is the estimate of the true degree after removing the positive bias noise gives ``p`` (the
  modified asymptotic estimator of Plaszczynski et al. 2014, MNRAS 439, 4048; see
  :func:`tom_tui.processing.reduction.polarimetry.debiased_degree`).
- ``chi_deg`` = ½·atan2(u, q) is the polarisation angle in degrees east of north, in [0, 180).
- ``mjd`` is the middle of the set of exposures, UTC.

A polarimetric **set** is one frame per analyser position: a rotating polarizer at 0/45/90/135°
(:attr:`PolarimetryMode.POLARIZER`) or a half-wave plate at 0/22.5/45/67.5° in front of a fixed
analyser (:attr:`PolarimetryMode.HWP`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, Self


class PolarimetryMode(StrEnum):
    NONE = "none"
    POLARIZER = "polarizer"  # a rotating polarizer: frames at 0, 45, 90, 135 degrees
    HWP = "hwp"  # a half-wave plate in front of a fixed analyser: 0, 22.5, 45, 67.5 degrees


# The analyser positions of a set, in the order that gives +q, +u, -q, -u.
SET_ANGLES: dict[PolarimetryMode, tuple[float, ...]] = {
    PolarimetryMode.POLARIZER: (0.0, 45.0, 90.0, 135.0),
    PolarimetryMode.HWP: (0.0, 22.5, 45.0, 67.5),
}
# A polarizer at 180° is the one at 0°; a half-wave plate turns the plane by twice its angle, so
# 90° is the same position as 0°.
ANGLE_PERIOD: dict[PolarimetryMode, float] = {PolarimetryMode.POLARIZER: 180.0, PolarimetryMode.HWP: 90.0}


@dataclass(frozen=True)
class InstrumentalPolarization:
    """What an instrument adds to and how it turns the polarisation it measures.

    ``q``, ``u`` (fractions, with 1-sigma errors) are the polarisation an unpolarised star shows
    (measured on zero-polarisation standards) and are subtracted; ``angle_offset_deg`` is the
    angle from the instrument's 0° position to north (measured on polarised standards): the
    corrected angle is the instrument's plus this offset."""

    q: float = 0.0
    u: float = 0.0
    q_err: float = 0.0
    u_err: float = 0.0
    angle_offset_deg: float = 0.0

    @property
    def degree(self) -> float:
        return math.hypot(self.q, self.u)


@dataclass(frozen=True)
class PolarizationMeasurement:
    """One stored polarisation measurement of a target, from one set of frames.

    ``q_err``, ``u_err``, ``p_err`` are 1-sigma; ``chi_err_deg`` is ½·p_err/p in degrees (capped
    at 51.96°, the spread of an angle that is not measured at all). ``frame_ids`` are the
    archive's frames in angle order; ``run`` names the reduction run that measured them."""

    target_id: int
    mjd: float
    band: str
    q: float
    u: float
    q_err: float
    u_err: float
    p: float
    p_err: float
    p_debiased: float
    chi_deg: float
    chi_err_deg: float
    telescope: str = ""
    instrument: str = ""
    mode: str = PolarimetryMode.POLARIZER.value
    run: str = ""
    frame_ids: tuple[int, ...] = field(default_factory=tuple)

    @property
    def snr(self) -> float:
        """p over its error: below ~3 the angle means little."""
        return self.p / self.p_err if self.p_err > 0 else math.inf

    def to_record(self) -> dict[str, Any]:
        """Flat JSON-ready values (what ``--json`` prints and the store writes)."""
        record = asdict(self)
        record["frame_ids"] = list(self.frame_ids)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        values = {item.name: record[item.name] for item in fields(cls) if item.name in record}
        values["frame_ids"] = tuple(int(frame) for frame in record.get("frame_ids") or ())
        for name in ("telescope", "instrument", "run"):
            values[name] = values.get(name) or ""
        return cls(**values)
