"""Simulated polarimetric frames: the analyser angle in the header the simulated profile reads,
and fluxes that follow the analyser equations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tom_tui.adapters.simulated.polarimetry import (
    SimulatedPolarimetricNight,
    analyser_transmission,
    as_instrument_sees,
)
from tom_tui.domain.polarimetry import InstrumentalPolarization, PolarimetryMode
from tom_tui.services import plugins


def test_frames_carry_their_angle_for_the_simulated_profile() -> None:
    night = SimulatedPolarimetricNight(seed=2)
    profile = plugins.instrument_profile("simulated")
    frames = night.polarimetric_set(0)
    classified = [profile.classify(hdul[0].header) for hdul in frames]
    assert profile.matches(frames[0][0].header)
    assert [frame.polarizer_deg for frame in classified] == [0.0, 45.0, 90.0, 135.0]
    assert len({frame.mjd for frame in classified}) == 4
    flat = profile.classify(night.polarimetric_flat(1, 90.0)[0].header)
    assert flat.image_type.value == "flat" and flat.polarizer_deg == 90.0
    hwp = SimulatedPolarimetricNight(seed=2, mode=PolarimetryMode.HWP).polarimetric(0, 22.5)[0].header
    assert profile.classify(hwp).hwp_deg == 22.5


def test_the_analyser_passes_half_of_unpolarised_light_and_follows_q_and_u() -> None:
    assert float(analyser_transmission(0.0, 0.0, 30.0, PolarimetryMode.POLARIZER)) == pytest.approx(0.5)
    assert float(analyser_transmission(0.1, 0.0, 0.0, PolarimetryMode.POLARIZER)) == pytest.approx(0.55)
    assert float(analyser_transmission(0.1, 0.0, 90.0, PolarimetryMode.POLARIZER)) == pytest.approx(0.45)
    assert float(analyser_transmission(0.0, 0.1, 22.5, PolarimetryMode.HWP)) == pytest.approx(0.55)
    # A turn of the instrument by 45 degrees swaps q into -u... and its own polarisation adds.
    turned = InstrumentalPolarization(q=0.01, angle_offset_deg=45.0)
    q, u = as_instrument_sees(0.05, 0.0, turned)
    assert float(q) == pytest.approx(0.01) and float(u) == pytest.approx(-0.05)


def test_the_target_is_polarised_and_isolated() -> None:
    night = SimulatedPolarimetricNight(seed=2, target_p=0.05, target_chi_deg=30.0)
    assert math.hypot(night.target_q, night.target_u) == pytest.approx(0.05)
    target = np.flatnonzero(night.stars["variable"])[0]
    assert night.stars["mag"][target] == pytest.approx(night.target_mag)
    others = np.hypot(
        night.stars["x"] - night.stars["x"][target], night.stars["y"] - night.stars["y"][target]
    )
    assert np.sort(others)[1] > 15.0
