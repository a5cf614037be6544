"""Masters from simulated calibration frames whose bias pattern, dark current and flat are known."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from tests.processing.reduction.conftest import ReducedNight, prepared
from tom_tui.processing.reduction.masters import (
    STALE_MASTER_DAYS,
    MasterKind,
    MasterRecord,
    choose_master,
    master_bias,
)


def test_master_bias_recovers_the_column_pattern_and_names_its_frames(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    truth = night._bias_pattern - night._bias_pattern.mean()
    master = reduced_night.bias.data - np.median(reduced_night.bias.data)
    expected_noise = night.camera.read_noise / night.camera.gain / np.sqrt(7)
    assert np.std(master - truth) < 1.3 * expected_noise
    assert reduced_night.bias.meta["NCOMBINE"] == 7
    history = [str(line) for line in reduced_night.bias.meta["HISTORY"]]
    assert [line for line in history if line.startswith("combined from")] == [
        f"combined from bias{i}.fits" for i in range(7)
    ]


def test_master_dark_is_current_per_second_in_adu(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    truth = night.dark_current / night.camera.gain
    hot = night.dark_current > 5.0
    assert hot.sum() > 10
    ratio = reduced_night.dark.data[hot] / truth[hot]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
    assert reduced_night.dark.meta["EXPTIME"] == 1.0


def test_master_flat_is_the_normalised_pixel_response(reduced_night: ReducedNight) -> None:
    response = reduced_night.night.pixel_response
    truth = response / np.median(response)
    assert np.median(reduced_night.flat.data) == pytest.approx(1.0, abs=1e-3)
    # Five flats of 40 000 e- each: 0.2 % noise per pixel.
    assert np.std(reduced_night.flat.data / truth) < 0.004


def test_combining_files_in_small_tiles_gives_the_in_memory_master(
    reduced_night: ReducedNight, tmp_path
) -> None:
    night, camera = reduced_night.night, reduced_night.camera
    frames = [prepared(night, night.bias(i), f"bias{i}.fits", camera) for i in range(4)]
    paths = []
    for index, frame in enumerate(frames):
        path = tmp_path / f"bias{index}.fits"
        fits.PrimaryHDU(frame.data.astype(np.float32), frame.meta).writeto(path)
        paths.append(path)
    frame_bytes = frames[0].data.size * 4
    from_files = master_bias(paths, memory_limit=frame_bytes)
    in_memory = master_bias(frames)
    np.testing.assert_allclose(from_files.data, in_memory.data, atol=1e-3)
    assert "combined from bias3.fits" in [str(line) for line in from_files.meta["HISTORY"]]


CANDIDATES = [
    MasterRecord(MasterKind.FLAT, "20260110", "flat-r-0110.fits", {"FILTER": "r", "BINNING": "1x1"}),
    MasterRecord(MasterKind.FLAT, "20260114", "flat-g-0114.fits", {"FILTER": "g", "BINNING": "1x1"}),
    MasterRecord(MasterKind.FLAT, "20260120", "flat-r-0120.fits", {"FILTER": "r", "BINNING": "1x1"}),
    MasterRecord(MasterKind.BIAS, "20260115", "bias-0115.fits", {"BINNING": "1x1"}),
]


def test_choose_master_takes_the_nearest_night_with_the_same_keywords() -> None:
    choice = choose_master(CANDIDATES, MasterKind.FLAT, "20260114", {"FILTER": "r", "BINNING": "1x1"})
    assert choice is not None
    assert choice.record.path == "flat-r-0110.fits"  # four days before beats six after
    assert choice.days_apart == 4
    assert choice.warning is None


def test_choose_master_prefers_the_earlier_night_on_a_tie() -> None:
    choice = choose_master(CANDIDATES, MasterKind.FLAT, "20260115", {"FILTER": "r"})
    assert choice is not None and choice.record.path == "flat-r-0110.fits"


def test_choose_master_warns_beyond_a_week() -> None:
    choice = choose_master(CANDIDATES, MasterKind.BIAS, "20260201", {"BINNING": "1x1"})
    assert choice is not None
    assert choice.days_apart == 17 > STALE_MASTER_DAYS
    assert choice.warning is not None
    assert "bias-0115.fits" in choice.warning and "17 days" in choice.warning


def test_choose_master_without_a_match_is_none() -> None:
    assert choose_master(CANDIDATES, MasterKind.FLAT, "20260114", {"FILTER": "i"}) is None
    assert choose_master(CANDIDATES, MasterKind.DARK, "20260114") is None
