"""The polarimetry plot: p (debiased, %) and χ per band against time, in text and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotext

from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.processing.plots.polarimetry import (
    prepare_polarimetry,
    render_polarimetry_text,
    save_polarimetry_png,
)


def measurement(mjd: float, band: str, p: float, chi: float) -> PolarizationMeasurement:
    return PolarizationMeasurement(
        target_id=1, mjd=mjd, band=band, q=p, u=0.0, q_err=0.002, u_err=0.002, p=p, p_err=0.002,
        p_debiased=p - 0.0001, chi_deg=chi, chi_err_deg=1.0,
    )  # fmt: skip


def test_series_are_per_band_in_per_cent_and_thinned() -> None:
    rng = np.random.default_rng(1)
    many = [measurement(61000 + i / 10, "R", float(rng.uniform(0.01, 0.2)), 30.0) for i in range(5000)]
    data = prepare_polarimetry([*many, measurement(61000.05, "V", 0.05, 170.0)], max_points=1000)
    assert [item.band for item in data.series] == ["V", "R"]  # blue to red
    assert data.series[0].p_percent.tolist() == [4.99] and data.series[0].chi_deg.tolist() == [170.0]
    assert data.total_points == 5001 and data.shown_points <= 502
    # Thinning keeps each time bin's extremes, so the highest p survives.
    assert data.series[1].p_percent.max() == max(100 * item.p_debiased for item in many)


def test_text_and_png(tmp_path: Path) -> None:
    data = prepare_polarimetry(
        [measurement(61000.0, "R", 0.05, 20.0), measurement(61001.0, "R", 0.08, 160.0)]
    )
    text = plotext.uncolorize(render_polarimetry_text(data, width=70, height=30, title="BL Lac"))
    assert "BL Lac" in text and "p % (debiased)" in text and "χ deg" in text and " R " in text
    assert "180┤" in text  # the angle axis always spans 0 to 180
    image = tmp_path / "pol.png"
    save_polarimetry_png(data, image, title="BL Lac")
    assert image.read_bytes()[:4] == b"\x89PNG"
