"""Polarimetry against known truth: simulated frames of a 5 % polarised star, and fluxes built
from the analyser equations with and without noise."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest

from tests.processing.reduction.conftest import build_masters
from tom_tui.adapters.simulated.polarimetry import (
    SimulatedPolarimetricNight,
    analyser_transmission,
    as_instrument_sees,
)
from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.polarimetry import SET_ANGLES, InstrumentalPolarization, PolarimetryMode
from tom_tui.processing.reduction.astrometry import ReferenceCatalog, SolveAstrometry
from tom_tui.processing.reduction.calibrate import calibration_stages
from tom_tui.processing.reduction.photometry import MeasurePhotometry
from tom_tui.processing.reduction.polarimetry import (
    UNMEASURED_ANGLE_ERROR_DEG,
    AngleFlux,
    Stokes,
    angle_fluxes,
    correct,
    debiased_degree,
    group_sets,
    measure_set,
    polarization,
    raw_stokes,
)
from tom_tui.processing.reduction.stages import ReductionFrame, run_stages

EXPOSURE_S = 60.0
NO_CORRECTION = InstrumentalPolarization()


def angle_difference(a: float, b: float) -> float:
    """The smallest difference between two polarisation angles (period 180°)."""
    return abs((a - b + 90.0) % 180.0 - 90.0)


@dataclass
class MeasuredSet:
    night: SimulatedPolarimetricNight
    fluxes: dict[int, list[AngleFlux]]  # star index -> one flux per frame


@pytest.fixture(scope="module")
def measured_set() -> MeasuredSet:
    return measure_night(SimulatedPolarimetricNight(seed=11))


def measure_night(night: SimulatedPolarimetricNight) -> MeasuredSet:
    """One set of four frames, calibrated, solved and measured like a reduction run does."""
    camera, bias, dark, flat = build_masters(night)
    catalog = ReferenceCatalog.from_table(night.catalog, mag_column="mag")
    stages = [
        *calibration_stages(camera, bias, dark, flat),
        SolveAstrometry(catalog),
        MeasurePhotometry(catalog),
    ]
    stars = night.stars
    fluxes: dict[int, list[AngleFlux]] = {}
    for frame_id, (hdul, angle) in enumerate(
        zip(night.polarimetric_set(0, EXPOSURE_S), night.angles, strict=True)
    ):
        frame = run_stages(ReductionFrame.from_hdu(hdul[0], name=f"pol{frame_id}.fits"), stages)
        assert not frame.dropped, frame.reasons
        sources = frame.results["sources"]
        for star in range(len(stars)):
            distance = np.hypot(sources["x"] - stars["x"][star], sources["y"] - stars["y"][star])
            nearest = int(np.argmin(distance))
            if distance[nearest] > 1.0 or sources["edge"][nearest] or sources["masked"][nearest]:
                continue
            fluxes.setdefault(star, []).append(
                AngleFlux(
                    frame_id=frame_id,
                    target_id=star,
                    mjd=night.mjd_of(frame_id, EXPOSURE_S),
                    band=night.band,
                    angle_deg=angle,
                    flux=float(sources["flux"][nearest]) / EXPOSURE_S,
                    flux_err=float(sources["flux_err"][nearest]) / EXPOSURE_S,
                    mode=night.mode,
                    telescope=night.camera.telescope,
                )
            )
    return MeasuredSet(night, {star: items for star, items in fluxes.items() if len(items) == 4})


def test_a_five_percent_polarised_star_is_recovered(measured_set: MeasuredSet) -> None:
    night = measured_set.night
    target = int(np.flatnonzero(night.stars["variable"])[0])
    sets, refused = group_sets(measured_set.fluxes[target])
    assert not refused and len(sets) == 1
    result = measure_set(sets[0], night.instrumental)
    assert abs(result.p - 0.05) < 3 * result.p_err and abs(result.p - 0.05) < 0.003
    assert abs(result.p_debiased - 0.05) < 0.003
    chi_off = angle_difference(result.chi_deg, 30.0)
    assert chi_off < 3 * result.chi_err_deg and chi_off < 2.0
    assert abs(result.q - night.target_q) < 3 * result.q_err
    assert abs(result.u - night.target_u) < 3 * result.u_err
    assert result.frame_ids == (0, 1, 2, 3) and result.mode == "polarizer"


def test_a_half_wave_plate_set_recovers_the_star_too() -> None:
    night = SimulatedPolarimetricNight(seed=12, mode=PolarimetryMode.HWP, target_p=0.08, target_chi_deg=160.0)
    measured = measure_night(night)
    target = int(np.flatnonzero(night.stars["variable"])[0])
    sets, refused = group_sets(measured.fluxes[target])
    assert not refused and sets[0].mode is PolarimetryMode.HWP
    result = measure_set(sets[0], night.instrumental)
    assert abs(result.p - 0.08) < 3 * result.p_err and abs(result.p - 0.08) < 0.003
    assert angle_difference(result.chi_deg, 160.0) < 2.0 and result.mode == "hwp"


def test_unpolarised_field_stars_give_a_degree_consistent_with_zero(measured_set: MeasuredSet) -> None:
    night = measured_set.night
    bright = [
        star
        for star in measured_set.fluxes
        if not night.stars["variable"][star] and night.stars["mag"][star] < 15.0
    ]
    assert len(bright) >= 3
    pulls = []
    for star in bright:
        sets, _ = group_sets(measured_set.fluxes[star])
        result = measure_set(sets[0], night.instrumental)
        assert result.p_debiased < 3 * result.p_err
        pulls.extend([result.q / result.q_err, result.u / result.u_err])
    # Without the instrument's correction every star would show its 1.4 % (tens of sigma).
    assert max(abs(pull) for pull in pulls) < 4.0


def test_the_declared_instrumental_polarisation_is_what_the_field_stars_show(
    measured_set: MeasuredSet,
) -> None:
    night = measured_set.night
    field = [star for star in measured_set.fluxes if not night.stars["variable"][star]]
    star = min(field, key=lambda index: float(night.stars["mag"][index]))
    uncorrected = raw_stokes(group_sets(measured_set.fluxes[star])[0][0])
    assert abs(uncorrected.q - night.instrumental.q) < 3 * uncorrected.q_err
    assert abs(uncorrected.u - night.instrumental.u) < 3 * uncorrected.u_err
    assert math.hypot(uncorrected.q, uncorrected.u) > 5 * uncorrected.q_err


def fluxes_for(
    q: float,
    u: float,
    instrumental: InstrumentalPolarization = NO_CORRECTION,
    mode: PolarimetryMode = PolarimetryMode.POLARIZER,
    total: float = 1.0e5,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    start_mjd: float = 61000.0,
    target_id: int = 1,
    first_frame: int = 0,
) -> list[AngleFlux]:
    """The four fluxes of a star of sky (q, u) through ``instrumental``, with Gaussian noise."""
    seen_q, seen_u = as_instrument_sees(q, u, instrumental)
    items = []
    for offset, angle in enumerate(SET_ANGLES[mode]):
        flux = total * float(analyser_transmission(seen_q, seen_u, angle, mode))
        if noise and rng is not None:
            flux += rng.normal(0.0, noise)
        items.append(
            AngleFlux(
                frame_id=first_frame + offset,
                target_id=target_id,
                mjd=start_mjd + offset * 5 / 1440,
                band="R",
                angle_deg=angle,
                flux=flux,
                flux_err=noise or 1.0,
                mode=mode,
                telescope="T90",
            )
        )
    return items


def test_the_correction_removes_a_declared_instrumental_polarisation_and_turns_the_angle() -> None:
    instrumental = InstrumentalPolarization(q=0.02, u=-0.015, angle_offset_deg=-18.0)
    for q, u in ((0.0, 0.0), (0.03, 0.04), (-0.05, 0.01)):
        sets, _ = group_sets(fluxes_for(q, u, instrumental))
        corrected = correct(raw_stokes(sets[0]), instrumental)
        assert corrected.q == pytest.approx(q, abs=1e-12) and corrected.u == pytest.approx(u, abs=1e-12)
    sets, _ = group_sets(fluxes_for(0.03, 0.04, instrumental))
    assert raw_stokes(sets[0]).q != pytest.approx(0.03, abs=1e-3)


@pytest.mark.parametrize("mode", [PolarimetryMode.POLARIZER, PolarimetryMode.HWP])
@pytest.mark.parametrize("chi", [0.5, 179.5, 90.0, 135.0])
def test_the_angle_wraps_into_0_180(mode: PolarimetryMode, chi: float) -> None:
    q, u = 0.04 * math.cos(math.radians(2 * chi)), 0.04 * math.sin(math.radians(2 * chi))
    sets, _ = group_sets(fluxes_for(q, u, mode=mode))
    result = measure_set(sets[0], NO_CORRECTION)
    assert 0.0 <= result.chi_deg < 180.0
    assert result.chi_deg == pytest.approx(chi, abs=1e-9)
    assert result.p == pytest.approx(0.04, abs=1e-12)


def test_errors_propagated_from_the_fluxes_match_the_scatter() -> None:
    rng = np.random.default_rng(3)
    results = [
        measure_set(group_sets(fluxes_for(0.03, -0.02, noise=200.0, rng=rng))[0][0], NO_CORRECTION)
        for _ in range(3000)
    ]
    q = np.array([item.q for item in results])
    chi = np.array([item.chi_deg for item in results])
    assert np.std(q) == pytest.approx(np.median([item.q_err for item in results]), rel=0.06)
    assert np.std(chi) == pytest.approx(np.median([item.chi_err_deg for item in results]), rel=0.08)
    # Radians to degrees: sigma_chi = 28.65 deg * sigma_p / p.
    assert results[0].chi_err_deg == pytest.approx(28.6479 * results[0].p_err / results[0].p, rel=1e-4)


def test_debiasing_removes_the_noise_bias_from_two_sigma_up() -> None:
    rng = np.random.default_rng(5)
    for true_p in (2.0, 3.0, 5.0):  # in units of the noise
        q, u = true_p + rng.normal(0.0, 1.0, 4000), rng.normal(0.0, 1.0, 4000)
        measured = np.hypot(q, u)
        debiased = np.array([debiased_degree(Stokes(a, b, 1.0, 1.0)) for a, b in zip(q, u, strict=True)])
        assert measured.mean() - true_p > 0.08  # the Rice bias, ~1 / (2 p)
        assert abs(debiased.mean() - true_p) < min(0.1, 0.4 * (measured.mean() - true_p))
    strong = Stokes(q=0.05, u=0.0, q_err=0.001, u_err=0.001)
    assert debiased_degree(strong) == pytest.approx(0.05 - 0.001**2 / 0.1, rel=1e-6)


def test_an_unpolarised_star_gives_a_debiased_degree_consistent_with_zero() -> None:
    rng = np.random.default_rng(6)
    noisy = [
        measure_set(group_sets(fluxes_for(0.0, 0.0, noise=300.0, rng=rng))[0][0], NO_CORRECTION)
        for _ in range(2000)
    ]
    assert all(0.0 <= item.p_debiased < item.p for item in noisy)
    within = np.mean([item.p_debiased < 3 * item.p_err for item in noisy])
    assert within > 0.99
    assert np.mean([item.p_debiased for item in noisy]) < 0.85 * np.mean([item.p for item in noisy])


def test_an_angle_that_is_not_measured_gets_the_error_of_a_uniform_angle() -> None:
    result = polarization(Stokes(q=0.0001, u=0.0, q_err=0.01, u_err=0.01))
    assert result.chi_err_deg == pytest.approx(UNMEASURED_ANGLE_ERROR_DEG)
    assert polarization(Stokes(0.0, 0.0, 0.01, 0.01)).p_err == pytest.approx(0.01)


def test_an_incomplete_set_is_refused_with_the_missing_position() -> None:
    sets, refused = group_sets(fluxes_for(0.01, 0.0)[:3])
    assert sets == [] and len(refused) == 1
    assert refused[0].frame_ids == (0, 1, 2)
    assert "135° missing" in refused[0].reason and "0°/45°/90° only" in refused[0].reason
    assert "target 1, band R" in refused[0].reason


def test_a_frame_at_an_angle_outside_the_set_is_refused() -> None:
    items = fluxes_for(0.01, 0.0)
    odd = AngleFlux(9, 1, items[-1].mjd + 0.001, "R", 30.0, 1e5, 1.0, telescope="T90")
    sets, refused = group_sets([*items, odd])
    assert len(sets) == 1 and len(refused) == 1
    assert "frame 9 has analyser angle 30°" in refused[0].reason


def test_sequences_split_into_sets_and_minus_45_is_135() -> None:
    first = fluxes_for(0.02, 0.01)
    second = fluxes_for(0.02, 0.01, start_mjd=61000.02, first_frame=4)
    renamed = [
        AngleFlux(
            f.frame_id,
            f.target_id,
            f.mjd,
            f.band,
            -45.0 if f.angle_deg == 135.0 else f.angle_deg,
            f.flux,
            1.0,
            telescope="T90",
        )
        for f in second
    ]
    sets, refused = group_sets([*first, *renamed])
    assert len(sets) == 2 and not refused
    assert [s.first.frame_id for s in sets] == [0, 4]
    assert measure_set(sets[1], NO_CORRECTION).p == pytest.approx(math.hypot(0.02, 0.01))


def test_frames_too_far_apart_do_not_make_a_set() -> None:
    items = fluxes_for(0.02, 0.01)
    late = AngleFlux(3, 1, items[0].mjd + 2 / 24, "R", 135.0, items[3].flux, 1.0, telescope="T90")
    sets, refused = group_sets([*items[:3], late], max_span_minutes=60.0)
    assert sets == [] and len(refused) == 2
    assert "90° missing" not in refused[0].reason and "135° missing" in refused[0].reason


def test_targets_and_bands_are_never_mixed() -> None:
    items = fluxes_for(0.02, 0.01)
    other_band = [AngleFlux(f.frame_id, f.target_id, f.mjd, "V", f.angle_deg, f.flux, 1.0) for f in items[2:]]
    sets, refused = group_sets([*items[:2], *other_band])
    assert sets == [] and len(refused) == 2


def frame_at(frame_id: int, angle: float | None, mjd: float = 61000.0) -> Frame:
    return Frame(
        path=f"raw/T/20260101/f{frame_id}.fits", telescope="T90", instrument="Andor", night="20260101",
        mjd=mjd, exposure_s=120.0, band="R", image_type=ImageType.LIGHT, polarizer_deg=angle, id=frame_id,
    )  # fmt: skip


def test_count_rates_come_back_from_the_reduced_rows() -> None:
    frames = [frame_at(1, 45.0), frame_at(2, None, 61000.01), frame_at(3, 90.0, 61000.02)]
    zero_point = 22.4
    rate = 1234.5  # e-/s
    flux = rate * 10 ** (-0.4 * (zero_point - 23.9))
    mag = zero_point - 2.5 * math.log10(rate)
    uncertain_zero_point = json.dumps({"zero_point": zero_point, "zero_point_err": 0.03})
    rows = pa.Table.from_pylist(
        [
            {"target_id": 5, "mjd": 61000.0 + 60 / 86400, "filter": "R", "flux": flux, "fluxerr": flux / 100,
             "mag": mag, "magerr": 0.02, "extra": json.dumps({"zero_point": zero_point, "frame_id": 1})},
            {"target_id": 5, "mjd": 61000.01, "filter": "R", "flux": flux, "fluxerr": 1.0,
             "mag": mag, "magerr": 0.02, "extra": json.dumps({"zero_point": zero_point, "frame_id": 2})},
            # No frame id in the provenance: the frame is the one whose mid-exposure is the row's time.
            {"target_id": 5, "mjd": 61000.02 + 60 / 86400, "filter": "R", "flux": None, "fluxerr": None,
             "mag": mag, "magerr": 0.05, "extra": uncertain_zero_point},
            {"target_id": 6, "mjd": 61000.02 + 60 / 86400, "filter": "R", "flux": None, "fluxerr": None,
             "mag": None, "magerr": None, "extra": "{}"},
        ]
    )  # fmt: skip
    fluxes, problems = angle_fluxes(frames, rows)
    assert [(item.frame_id, item.angle_deg) for item in fluxes] == [(1, 45.0), (3, 90.0)]
    assert fluxes[0].flux == pytest.approx(rate) and fluxes[0].flux_err == pytest.approx(rate / 100)
    assert fluxes[1].flux == pytest.approx(rate)
    assert fluxes[1].flux_err == pytest.approx(
        rate * 0.04 * math.log(10) / 2.5
    )  # 0.05 less the zero point's 0.03
    assert (fluxes[0].band, fluxes[0].telescope, fluxes[0].instrument) == ("R", "T90", "Andor")
    assert problems == [
        "frame 3, target 6: the measurement has no flux, magnitude or zero point to take a count rate from"
    ]
