"""Calibration on the real SAAO raw frame and on simulated frames of known noise."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from tests.processing.reduction.conftest import EXPOSURE_S, ReducedNight
from tests.support.paths import DATA
from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.processing.reduction.astrometry import SolveAstrometry
from tom_tui.processing.reduction.calibrate import CameraConstants, calibration_stages
from tom_tui.processing.reduction.stages import FrameFlag, ReductionFrame, run_stages

SAAO_FRAME = DATA / "images" / "raw" / "ccdproc_a8280271.fits"


def saao_frame() -> ReductionFrame:
    with fits.open(SAAO_FRAME) as hdul:
        return ReductionFrame.from_hdu(hdul[0].copy(), name=SAAO_FRAME.name)


def test_the_saao_raw_frame_calibrates_with_its_own_overscan_and_trim() -> None:
    frame = saao_frame()
    camera = CameraConstants.from_header(frame.ccd.meta)
    assert (camera.gain, camera.read_noise) == (1.9, 5.0)
    assert camera.overscan == "[4:13,1:520]" and camera.trim == "[17:528,1:520]"
    raw = frame.ccd.data.astype(np.float64)
    overscan_level = float(np.median(raw[:, 3:13]))
    raw_sky = float(np.median(raw[:, 16:528]))
    done = run_stages(frame, calibration_stages(camera))
    assert not done.dropped, done.reasons
    assert done.ccd.shape == (520, 512)
    assert str(done.ccd.unit) == "electron"
    assert done.ccd.uncertainty is not None and done.ccd.mask is not None
    # The bias level is gone: the sky is what is left above the overscan, in electrons.
    sky = float(np.median(done.ccd.data))
    assert sky == pytest.approx((raw_sky - overscan_level) * camera.gain, abs=2 * camera.gain)
    noise = float(np.median(done.ccd.uncertainty.array))
    assert noise == pytest.approx(np.sqrt(sky + camera.read_noise**2), rel=0.05)
    assert done.history == ["saturation", "overscan", "trim", "uncertainty", "gain"]


def test_the_saao_frame_without_a_wcs_is_dropped_from_astrometry_with_a_reason() -> None:
    from tom_tui.processing.reduction.astrometry import ReferenceCatalog

    frame = saao_frame()
    camera = CameraConstants.from_header(frame.ccd.meta)
    catalog = ReferenceCatalog(ra=np.array([331.03]), dec=np.array([-0.92]))
    done = run_stages(frame, [*calibration_stages(camera), SolveAstrometry(catalog)])
    assert done.dropped
    assert done.flags & FrameFlag.NO_ASTROMETRIC_MATCH
    assert done.reasons == ["ccdproc_a8280271.fits has no WCS in its header; expected a starting WCS"]


def test_a_header_without_gain_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="GAIN is missing"):
        CameraConstants.from_header({"RDNOISE": 5.0})


def test_uncertainty_plane_matches_the_pixel_scatter_of_the_sky(reduced_night: ReducedNight) -> None:
    frame = reduced_night.frames[0]
    night = reduced_night.night
    far_from_stars = np.ones(frame.ccd.shape, dtype=bool)
    yy, xx = np.mgrid[0 : frame.ccd.shape[0], 0 : frame.ccd.shape[1]]
    for x, y in zip(night.stars["x"], night.stars["y"], strict=True):
        far_from_stars &= (xx - x) ** 2 + (yy - y) ** 2 > 15**2
    far_from_stars &= ~frame.ccd.mask & (night.dark_current < 1.0)
    pixels = frame.ccd.data[far_from_stars]
    predicted = np.median(frame.ccd.uncertainty.array[far_from_stars])
    assert np.std(pixels) == pytest.approx(predicted, rel=0.08)


def test_saturated_stars_are_masked_and_others_are_not(reduced_night: ReducedNight) -> None:
    frame = reduced_night.frames[0]
    stars = reduced_night.night.stars
    for x, y, saturated in zip(stars["x"], stars["y"], stars["saturated"], strict=True):
        core = frame.saturated[round(y) - 1 : round(y) + 2, round(x) - 1 : round(x) + 2]
        assert core.any() == bool(saturated)
        assert frame.ccd.mask[round(y), round(x)] == bool(saturated)


def test_a_master_of_another_size_drops_the_frame_with_a_reason(reduced_night: ReducedNight) -> None:
    small = SimulatedNight(seed=3)
    small_camera_frame = ReductionFrame.from_hdu(small.science(0, EXPOSURE_S)[0], name="science0.fits")
    wrong_bias = reduced_night.bias[:100, :100]
    done = run_stages(small_camera_frame, calibration_stages(reduced_night.camera, wrong_bias))
    assert done.dropped and done.flags & FrameFlag.SIZE_MISMATCH
    assert done.reasons == [
        "science0.fits is 256x256 pixels but the master bias is 100x100; expected the same size and trim"
    ]


def test_a_frame_without_exposure_time_is_dropped_at_the_dark_with_a_reason(
    reduced_night: ReducedNight,
) -> None:
    night = reduced_night.night
    hdu = night.science(0, EXPOSURE_S)[0]
    del hdu.header["EXPTIME"]
    frame = ReductionFrame.from_hdu(hdu, name="no-exptime.fits")
    stages = calibration_stages(reduced_night.camera, reduced_night.bias, reduced_night.dark)
    done = run_stages(frame, stages)
    assert done.dropped and done.flags & FrameFlag.BAD_HEADER
    assert done.reasons == [
        "no-exptime.fits: header keyword EXPTIME is None; expected the exposure time in seconds"
    ]
    assert done.history == ["saturation", "overscan", "trim", "bias", "uncertainty"]
