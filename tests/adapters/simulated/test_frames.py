"""The simulated night's raw frames: reproducible, and carrying what a reduction must undo."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.adapters.simulated.frames import OVERSCAN_COLUMNS, OVERSCAN_GAP, SimulatedNight


def test_frames_are_the_same_for_the_same_seed_and_differ_otherwise() -> None:
    first, again, other = SimulatedNight(seed=5), SimulatedNight(seed=5), SimulatedNight(seed=6)
    np.testing.assert_array_equal(first.science(2)[0].data, again.science(2)[0].data)
    assert not np.array_equal(first.science(2)[0].data, other.science(2)[0].data)
    assert not np.array_equal(first.bias(0)[0].data, first.bias(1)[0].data)


def test_raw_frames_carry_an_overscan_strip_and_their_sections() -> None:
    night = SimulatedNight(seed=5)
    hdu = night.bias(0)[0]
    nx, ny = night.camera.nx, night.camera.ny
    assert hdu.data.shape == (ny, nx + OVERSCAN_GAP + OVERSCAN_COLUMNS)
    assert hdu.data.dtype == np.uint16
    assert hdu.header["TRIMSEC"] == f"[1:{nx},1:{ny}]"
    assert hdu.header["BIASSEC"] == f"[{nx + OVERSCAN_GAP + 1}:{nx + OVERSCAN_GAP + OVERSCAN_COLUMNS},1:{ny}]"
    overscan = hdu.data[:, nx + OVERSCAN_GAP :].astype(float)
    # The bias level drifts from the bottom row to the top one, in the overscan too.
    drift = np.median(overscan[-20:]) - np.median(overscan[:20])
    assert abs(drift - night.bias_row_drift_adu * (ny - 20)) < 1.0


def test_science_header_wcs_is_off_by_the_pointing_error_and_stars_saturate() -> None:
    night = SimulatedNight(seed=5)
    hdu = night.science(0)[0]
    shift = (
        hdu.header["CRPIX1"] - night.true_wcs.wcs.crpix[0],
        hdu.header["CRPIX2"] - night.true_wcs.wcs.crpix[1],
    )
    assert shift == pytest.approx(night.pointing_error_pixels)
    assert (hdu.data == night.camera.saturation).any()
    assert night.stars["saturated"].sum() == 2 and night.stars["variable"].sum() == 1
    assert len(night.catalog) == len(night.stars) - 1
