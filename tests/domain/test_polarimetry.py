"""A stored polarisation measurement goes to JSON-ready values and back unchanged."""

from __future__ import annotations

from tom_tui.domain.polarimetry import ANGLE_PERIOD, SET_ANGLES, PolarimetryMode, PolarizationMeasurement


def test_a_measurement_goes_to_a_record_and_back() -> None:
    measured = PolarizationMeasurement(
        target_id=3, mjd=61000.25, band="R", q=0.03, u=-0.04, q_err=0.001, u_err=0.001, p=0.05,
        p_err=0.001, p_debiased=0.04999, chi_deg=153.43, chi_err_deg=0.57, run="9", frame_ids=(1, 2, 3, 4),
    )  # fmt: skip
    record = measured.to_record()
    assert record["frame_ids"] == [1, 2, 3, 4] and record["mode"] == "polarizer"
    assert PolarizationMeasurement.from_record(record) == measured
    assert PolarizationMeasurement.from_record({**record, "run": None, "telescope": None}).run == ""
    assert measured.snr == 50.0


def test_each_mode_has_four_positions_within_its_period() -> None:
    for mode in (PolarimetryMode.POLARIZER, PolarimetryMode.HWP):
        assert len(SET_ANGLES[mode]) == 4
        assert all(0 <= angle < ANGLE_PERIOD[mode] for angle in SET_ANGLES[mode])
