"""Linear polarisation from a target's fluxes through an analyser at four positions.

1. **Sets.** :func:`group_sets` gathers one frame per analyser position (polarizer 0/45/90/135°,
   or half-wave plate 0/22.5/45/67.5°) of the same target, band, telescope and instrument,
   taken one after the other within ``max_span_minutes``. A position seen twice starts a new
   set. Whatever does not make a complete set is refused with the reason (which positions are
   missing, which angle is not a position of the mode).
2. **Stokes parameters** (:func:`raw_stokes`), as IOP4 does for single-beam instruments (OSN):
   q = (f₀ − f₉₀)/(f₀ + f₉₀) and u = (f₄₅ − f₁₃₅)/(f₄₅ + f₁₃₅) (half-wave plate: 0, 45° give q
   and 22.5, 67.5° give u), with errors propagated from the flux errors:
   σq = 2·sqrt(f₉₀²σ₀² + f₀²σ₉₀²)/(f₀ + f₉₀)². The fluxes are count rates (e-/s) of the same
   aperture photometry on each frame, not fluxes calibrated against field stars: a zero point
   from field stars seen through the analyser would take out the instrumental polarisation
   too (and any interstellar polarisation of the field), and the declared correction would then
   be applied twice. A change of transparency between the four exposures is not corrected and
   shows as spurious polarisation; observe sets in clear conditions.
3. **Instrumental correction** (:func:`correct`): subtract the instrument's (q₀, u₀), then turn
   by its angle offset Φ: q' = q·cos 2Φ − u·sin 2Φ, u' = q·sin 2Φ + u·cos 2Φ.
4. **Degree and angle** (:func:`polarization`): p = sqrt(q² + u²), σp = sqrt(q²σq² + u²σu²)/p,
   χ = ½·atan2(u, q) in [0°, 180°), σχ = ½·σp/p rad (28.65°·σp/p), capped at 51.96°, the
   standard deviation of an angle spread evenly over 180° (the angle of a star whose p is
   below its noise is not measured at all).
5. **Debiasing** (:func:`debiased_degree`): p is biased high by noise (an unpolarised star
   never gives p = 0). The modified asymptotic estimator of Plaszczynski et al. (2014, MNRAS 439,
   4048), p_MAS = p − b²·(1 − exp(−p²/b²))/(2p), with b² the noise across the measured angle.
   Chosen over Wardle & Kronberg (1974), sqrt(p² − σ²) or 0, because it is continuous (no pile
   of zeros below p = σ), never negative, close to unbiased from S/N ≈ 2, and handles σq ≠ σu.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import pyarrow as pa

from tom_tui.domain.clock import from_mjd
from tom_tui.domain.frames import Frame
from tom_tui.domain.polarimetry import (
    ANGLE_PERIOD,
    SET_ANGLES,
    InstrumentalPolarization,
    PolarimetryMode,
    PolarizationMeasurement,
)
from tom_tui.domain.units import AB_ZERO_POINT_UJY

DEFAULT_MAX_SPAN_MINUTES = 60.0
# A measurement belongs to a frame when its time is the frame's mid-exposure to within this.
SAME_FRAME_SECONDS = 1.0
ANGLE_TOLERANCE_DEG = 0.5
# The standard deviation of an angle spread evenly over 180 degrees: 180 / sqrt(12).
UNMEASURED_ANGLE_ERROR_DEG = 180.0 / math.sqrt(12.0)


@dataclass(frozen=True)
class AngleFlux:
    """A target's count rate (e-/s) and its 1-sigma error on one frame taken through the analyser
    at ``angle_deg``; ``mjd`` is the middle of the exposure (UTC)."""

    frame_id: int
    target_id: int
    mjd: float
    band: str
    angle_deg: float
    flux: float
    flux_err: float
    mode: PolarimetryMode = PolarimetryMode.POLARIZER
    telescope: str = ""
    instrument: str = ""


@dataclass(frozen=True)
class PolarimetricSet:
    """One flux per analyser position, in the order of :data:`SET_ANGLES` of ``mode``."""

    mode: PolarimetryMode
    fluxes: tuple[AngleFlux, ...]

    @property
    def first(self) -> AngleFlux:
        return self.fluxes[0]

    @property
    def mjd(self) -> float:
        times = [item.mjd for item in self.fluxes]
        return (min(times) + max(times)) / 2.0


@dataclass(frozen=True)
class RefusedSet:
    """Frames that did not make a complete set, and why (one sentence)."""

    frame_ids: tuple[int, ...]
    target_id: int
    reason: str


@dataclass(frozen=True)
class Stokes:
    """Normalised Stokes parameters (fractions) with their 1-sigma errors."""

    q: float
    u: float
    q_err: float
    u_err: float


@dataclass(frozen=True)
class Polarization:
    """Degree (fraction) and angle (degrees east of north, [0, 180)) of linear polarisation."""

    p: float
    p_err: float
    p_debiased: float
    chi_deg: float
    chi_err_deg: float


def position_of(angle_deg: float, mode: PolarimetryMode) -> int | None:
    """Which position of ``mode``'s set an analyser angle is (0 to 3), None if it is none."""
    period = ANGLE_PERIOD[mode]
    wrapped = angle_deg % period
    for index, position in enumerate(SET_ANGLES[mode]):
        distance = abs(wrapped - position)
        if min(distance, period - distance) <= ANGLE_TOLERANCE_DEG:
            return index
    return None


def _describe(fluxes: Sequence[AngleFlux]) -> str:
    first = fluxes[0]
    when = from_mjd(first.mjd).strftime("%Y-%m-%d %H:%M")
    return f"target {first.target_id}, band {first.band}, {first.telescope or 'telescope ?'} at {when} UTC"


def _angles(values: Iterable[float]) -> str:
    return "/".join(f"{value:g}°" for value in values)


def _close(pending: list[AngleFlux], mode: PolarimetryMode) -> PolarimetricSet | RefusedSet:
    angles = SET_ANGLES[mode]
    by_position = {position_of(item.angle_deg, mode): item for item in pending}
    missing = [angles[index] for index in range(len(angles)) if index not in by_position]
    if missing:
        seen = sorted(item.angle_deg % ANGLE_PERIOD[mode] for item in pending)
        return RefusedSet(
            tuple(item.frame_id for item in pending),
            pending[0].target_id,
            f"{_describe(pending)}: incomplete {mode.value} set, frames at {_angles(seen)} only; "
            f"{_angles(missing)} missing (expected one frame at each of {_angles(angles)})",
        )
    return PolarimetricSet(mode, tuple(by_position[index] for index in range(len(angles))))


def _sets_of_one_sequence(
    fluxes: Sequence[AngleFlux], mode: PolarimetryMode, max_span_days: float
) -> list[PolarimetricSet | RefusedSet]:
    """Split one target's frames (time order) into sets; a repeated position or a gap ends one."""
    results: list[PolarimetricSet | RefusedSet] = []
    pending: list[AngleFlux] = []
    for item in fluxes:
        position = position_of(item.angle_deg, mode)
        if position is None:
            results.append(
                RefusedSet(
                    (item.frame_id,),
                    item.target_id,
                    f"{_describe([item])}: frame {item.frame_id} has analyser angle {item.angle_deg:g}°, "
                    f"not a {mode.value} position (expected one of {_angles(SET_ANGLES[mode])})",
                )
            )
            continue
        taken = {position_of(other.angle_deg, mode) for other in pending}
        if pending and (position in taken or item.mjd - pending[0].mjd > max_span_days):
            results.append(_close(pending, mode))
            pending = []
        pending.append(item)
    if pending:
        results.append(_close(pending, mode))
    return results


def group_sets(
    fluxes: Iterable[AngleFlux], max_span_minutes: float = DEFAULT_MAX_SPAN_MINUTES
) -> tuple[list[PolarimetricSet], list[RefusedSet]]:
    """Complete sets, and the refused frames with their reasons (see the module docstring)."""

    def key(item: AngleFlux) -> tuple[int, str, str, str, str]:
        return (item.target_id, item.mode.value, item.band, item.telescope, item.instrument)

    sets: list[PolarimetricSet] = []
    refused: list[RefusedSet] = []
    ordered = sorted(fluxes, key=lambda item: (key(item), item.mjd))
    for _, group in groupby(ordered, key=key):
        members = list(group)
        for result in _sets_of_one_sequence(members, members[0].mode, max_span_minutes / 1440.0):
            if isinstance(result, PolarimetricSet):
                sets.append(result)
            else:
                refused.append(result)
    return sets, refused


def normalised_difference(a: float, a_err: float, b: float, b_err: float) -> tuple[float, float]:
    """(a − b)/(a + b) and its error from the errors of a and b (independent)."""
    total = a + b
    if not total > 0:
        raise ValueError(f"the fluxes {a:g} and {b:g} do not add up to a positive total")
    value = (a - b) / total
    error = 2.0 * math.hypot(b * a_err, a * b_err) / total**2
    return value, error


def raw_stokes(measured: PolarimetricSet) -> Stokes:
    """q and u as the instrument measures them (see the module docstring); ValueError when a
    pair of fluxes does not add up to a positive total (a target not there)."""
    plus_q, plus_u, minus_q, minus_u = measured.fluxes
    q, q_err = normalised_difference(plus_q.flux, plus_q.flux_err, minus_q.flux, minus_q.flux_err)
    u, u_err = normalised_difference(plus_u.flux, plus_u.flux_err, minus_u.flux, minus_u.flux_err)
    return Stokes(q, u, q_err, u_err)


def correct(measured: Stokes, instrumental: InstrumentalPolarization) -> Stokes:
    """Subtract the instrument's polarisation and turn by its angle offset."""
    q, u = measured.q - instrumental.q, measured.u - instrumental.u
    q_err, u_err = (
        math.hypot(measured.q_err, instrumental.q_err),
        math.hypot(measured.u_err, instrumental.u_err),
    )
    turn = math.radians(2.0 * instrumental.angle_offset_deg)
    cos, sin = math.cos(turn), math.sin(turn)
    return Stokes(
        q=q * cos - u * sin,
        u=q * sin + u * cos,
        q_err=math.sqrt((cos * q_err) ** 2 + (sin * u_err) ** 2),
        u_err=math.sqrt((sin * q_err) ** 2 + (cos * u_err) ** 2),
    )


def _noise_across_angle(stokes: Stokes) -> float:
    """b², the variance of (q, u) across the measured direction: what biases p."""
    p2 = stokes.q**2 + stokes.u**2
    if p2 == 0:
        return (stokes.q_err**2 + stokes.u_err**2) / 2.0
    return (stokes.q**2 * stokes.u_err**2 + stokes.u**2 * stokes.q_err**2) / p2


def debiased_degree(stokes: Stokes) -> float:
    """The Plaszczynski et al. (2014) modified asymptotic estimate of the true p (never negative)."""
    p = math.hypot(stokes.q, stokes.u)
    b2 = _noise_across_angle(stokes)
    if p == 0 or b2 == 0:
        return p
    return p - b2 * (1.0 - math.exp(-(p**2) / b2)) / (2.0 * p)


def polarization(stokes: Stokes) -> Polarization:
    """p, its error and its debiased value; χ and its error (see the module docstring)."""
    p = math.hypot(stokes.q, stokes.u)
    if p > 0:
        p_err = math.hypot(stokes.q * stokes.q_err, stokes.u * stokes.u_err) / p
        chi_err = min(math.degrees(0.5 * p_err / p), UNMEASURED_ANGLE_ERROR_DEG)
    else:
        p_err = math.sqrt((stokes.q_err**2 + stokes.u_err**2) / 2.0)
        chi_err = UNMEASURED_ANGLE_ERROR_DEG
    chi = math.degrees(0.5 * math.atan2(stokes.u, stokes.q)) % 180.0
    return Polarization(p, p_err, debiased_degree(stokes), chi, chi_err)


def measure_set(
    measured: PolarimetricSet, instrumental: InstrumentalPolarization, run: str = ""
) -> PolarizationMeasurement:
    """The stored measurement of one complete set, corrected for ``instrumental``."""
    stokes = correct(raw_stokes(measured), instrumental)
    result = polarization(stokes)
    first = measured.first
    return PolarizationMeasurement(
        target_id=first.target_id,
        mjd=measured.mjd,
        band=first.band,
        q=stokes.q,
        u=stokes.u,
        q_err=stokes.q_err,
        u_err=stokes.u_err,
        p=result.p,
        p_err=result.p_err,
        p_debiased=result.p_debiased,
        chi_deg=result.chi_deg,
        chi_err_deg=result.chi_err_deg,
        telescope=first.telescope,
        instrument=first.instrument,
        mode=measured.mode.value,
        run=run,
        frame_ids=tuple(item.frame_id for item in measured.fluxes),
    )


def analyser_of(frame: Frame) -> tuple[PolarimetryMode, float] | None:
    """The analyser mode and angle a frame was taken with, None for a frame without one."""
    if frame.polarizer_deg is not None:
        return PolarimetryMode.POLARIZER, frame.polarizer_deg
    if frame.hwp_deg is not None:
        return PolarimetryMode.HWP, frame.hwp_deg
    return None


def _extra(value: Any) -> dict[str, Any]:
    try:
        extra = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return extra if isinstance(extra, dict) else {}


def _count_rate(row: dict[str, Any]) -> tuple[float, float] | None:
    """The count rate (e-/s) and its error a reduced measurement row was calibrated from: the
    reduction wrote flux = rate · 10^(-0.4 (zero point - 23.9)) µJy, or mag = zero point - 2.5
    log10(rate) when the catalog's system is not AB; None when the row says neither."""
    zero_point = _extra(row.get("extra")).get("zero_point")
    if not isinstance(zero_point, int | float):
        return None
    if row.get("flux") is not None and row.get("fluxerr") is not None:
        scale = 10.0 ** (0.4 * (float(zero_point) - AB_ZERO_POINT_UJY))
        return float(row["flux"]) * scale, float(row["fluxerr"]) * scale
    if row.get("mag") is not None and row.get("magerr") is not None:
        rate = 10.0 ** (-0.4 * (float(row["mag"]) - float(zero_point)))
        zero_point_err = _extra(row.get("extra")).get("zero_point_err") or 0.0
        magerr = math.sqrt(max(float(row["magerr"]) ** 2 - float(zero_point_err) ** 2, 0.0))
        return rate, rate * magerr * math.log(10.0) / 2.5
    return None


def _mid_exposure(frame: Frame) -> float | None:
    if frame.mjd is None:
        return None
    return frame.mjd + (frame.exposure_s or 0.0) / 2.0 / 86400.0


def _frame_of(row: dict[str, Any], by_id: dict[int, Frame], timed: list[tuple[float, Frame]]) -> Frame | None:
    """The frame a measurement row came from: the ``frame_id`` of its provenance, else the frame
    whose mid-exposure is its time."""
    frame_id = _extra(row.get("extra")).get("frame_id")
    if isinstance(frame_id, int):
        return by_id.get(frame_id)
    return next((frame for mid, frame in timed if abs(mid - row["mjd"]) * 86400.0 < SAME_FRAME_SECONDS), None)


def angle_fluxes(frames: Sequence[Frame], measurements: pa.Table) -> tuple[list[AngleFlux], list[str]]:
    """The targets' count rates on the frames taken through an analyser, from the reduction's
    measurement rows (``target_id`` + the photometry schema, as the reduction wrote them). Rows
    of other frames are left out; a row that cannot give a count rate gets one sentence."""
    by_id = {frame.id: frame for frame in frames if frame.id is not None}
    timed = [(mid, frame) for frame in frames if (mid := _mid_exposure(frame)) is not None]
    fluxes: list[AngleFlux] = []
    problems: list[str] = []
    for row in measurements.to_pylist():
        frame = _frame_of(row, by_id, timed)
        analyser = None if frame is None else analyser_of(frame)
        if frame is None or analyser is None or frame.id is None:
            continue
        rate = _count_rate(row)
        if rate is None:
            problems.append(
                f"frame {frame.id}, target {row['target_id']}: the measurement has no flux, magnitude or "
                "zero point to take a count rate from"
            )
            continue
        fluxes.append(
            AngleFlux(
                frame_id=frame.id,
                target_id=int(row["target_id"]),
                mjd=float(row["mjd"]),
                band=frame.band or str(row.get("filter") or ""),
                angle_deg=analyser[1],
                flux=rate[0],
                flux_err=rate[1],
                mode=analyser[0],
                telescope=frame.telescope,
                instrument=frame.instrument,
            )
        )
    return fluxes, problems
