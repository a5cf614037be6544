"""An instrument profile's polarimetry: its mode and its instrumental polarisation, from a plugin
or from ``[instruments.NAME]`` in tom-tui.toml."""

from __future__ import annotations

import pytest

from tom_tui.adapters.simulated.imaging import SIMULATED_INSTRUMENTAL_POLARIZATION
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.polarimetry import InstrumentalPolarization, PolarimetryMode
from tom_tui.services import plugins


def test_a_configured_instrumental_polarisation_is_applied() -> None:
    config = {
        "instruments": {
            "osn-t090": {
                "instruments": ["Andor"],
                "polarimetry": "polarizer",
                "instrumental_polarization": {"q": 0.0579, "u": 0.0583, "q_err": 0.003, "angle_offset": -18},
            }
        }
    }
    profile = plugins.instrument_profile("osn-t090", config)
    assert profile.polarimetry is PolarimetryMode.POLARIZER
    assert profile.instrumental_polarization == InstrumentalPolarization(
        q=0.0579, u=0.0583, q_err=0.003, u_err=0.0, angle_offset_deg=-18.0
    )
    assert profile.summary()["instrumental_polarization"]["angle_offset_deg"] == -18.0
    assert profile.instrumental_polarization_for("R") == profile.instrumental_polarization


def test_a_filter_can_have_its_own_instrumental_polarisation() -> None:
    config = {
        "instruments": {
            "mine": {
                "instrumental_polarization": {"q": 0.01, "u": 0.02, "angle_offset": 5.0, "V": {"q": 0.03}}
            }
        }
    }
    profile = plugins.instrument_profile("mine", config)
    assert profile.instrumental_polarization_for("V") == InstrumentalPolarization(
        q=0.03, u=0.02, angle_offset_deg=5.0
    )
    assert profile.instrumental_polarization_for("R").q == 0.01
    assert profile.instrumental_polarization_for(None).q == 0.01
    assert profile.summary()["instrumental_polarization"]["V"]["q"] == 0.03


@pytest.mark.parametrize(
    "value",
    [
        {"q": "0.05"},
        {"q0": 0.05},
        {"q_err": -0.1},
        0.05,
        {"angle_offset": float("nan")},
        {"V": {"q": "high"}},
        {"V": {"p": 0.1}},
    ],
)
def test_a_wrong_instrumental_polarisation_is_refused_with_what_was_expected(value: object) -> None:
    config = {"instruments": {"mine": {"instrumental_polarization": value}}}
    with pytest.raises(ValidationError) as caught:
        plugins.instrument_profile("mine", config)
    assert "[instruments.mine] instrumental_polarization" in str(caught.value)
    assert "a table of q, u (fractions), q_err, u_err and angle_offset (degrees)" in str(caught.value)
    assert "V = { q = 0.02 }" in str(caught.value)


def test_the_simulated_camera_declares_the_polarisation_its_simulator_gives_it() -> None:
    profile = plugins.instrument_profile("simulated")
    assert profile.polarimetry is PolarimetryMode.POLARIZER
    assert profile.instrumental_polarization == SIMULATED_INSTRUMENTAL_POLARIZATION
    assert profile.instrumental_polarization.degree > 0.01
    assert plugins.instrument_profile("generic").instrumental_polarization == InstrumentalPolarization()
