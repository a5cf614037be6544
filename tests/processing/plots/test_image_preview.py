"""A frame shrunk for the terminal: block means, aspect ratio, orientation and stretch checked on
images whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.processing.plots.image_preview import (
    block_mean,
    grey_levels,
    image_preview,
    preview_block,
    zscale_limits,
)


def test_block_means_are_the_means_of_the_finite_pixels_of_each_square() -> None:
    data = np.arange(36, dtype=float).reshape(6, 6)
    data[0, 0] = np.nan
    data[4:6, 4:6] = np.nan
    means, blank = block_mean(data, 2)
    assert means.shape == (3, 3)
    assert means[0, 0] == pytest.approx((1 + 6 + 7) / 3)  # the NaN left out, not counted as 0
    assert means[1, 2] == pytest.approx((16 + 17 + 22 + 23) / 4)
    assert blank.tolist() == [[False] * 3, [False] * 3, [False, False, True]]
    assert np.isnan(means[2, 2])


def test_uneven_sizes_keep_the_last_partial_block() -> None:
    means, blank = block_mean(np.ones((5, 7)), 3)
    assert means.shape == (2, 3) and not blank.any()
    assert np.all(means == 1.0)


@pytest.mark.parametrize(
    ("shape", "cells", "block", "preview_shape"),
    [
        ((64, 64), (32, 16), 2, (32, 32)),  # square image: square preview
        ((50, 100), (50, 10), 3, (17, 34)),  # wide image limited by height: aspect kept
        ((2048, 2048), (40, 20), 52, (40, 40)),  # a 2k frame in half an 80x24 terminal
        ((10, 10), (80, 24), 1, (10, 10)),  # never enlarged
    ],
)
def test_the_preview_fits_the_cells_and_keeps_the_aspect_ratio(
    shape: tuple[int, int], cells: tuple[int, int], block: int, preview_shape: tuple[int, int]
) -> None:
    columns, rows = cells
    assert preview_block(shape, columns, rows) == block
    preview = image_preview(np.zeros(shape, dtype=np.float32), columns, rows)
    assert preview.levels.shape == preview_shape
    assert preview.pixel_columns <= columns and preview.pixel_rows <= 2 * rows
    assert preview.image_shape == shape and preview.block == block


def test_fits_row_one_is_drawn_at_the_bottom_and_column_one_at_the_left() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(1000.0, 10.0, (64, 64))
    data[0:8, 0:8] = 60000.0  # FITS pixels (1..8, 1..8): the lower left corner in ds9
    preview = image_preview(data, 32, 16)
    assert preview.levels.shape == (32, 32)
    assert np.all(preview.levels[-4:, :4] == 255)  # bottom rows, left columns
    assert np.all(preview.levels[:-4, :] < 255) and np.all(preview.levels[:, 4:] < 255)


def test_zscale_of_a_linear_ramp_spans_the_ramp() -> None:
    # The sorted samples of a ramp lie on a straight line; zscale's limits, median -+ half the
    # range divided by the contrast (0.25), fall outside the data and are clipped to its ends
    # (1000 pixels: zscale samples every one of them).
    ramp = np.linspace(100.0, 300.0, 25 * 40).reshape(25, 40)
    low, high = zscale_limits(ramp)
    assert (low, high) == (100.0, 300.0)
    levels = image_preview(ramp, 40, 13).levels
    assert levels[-1, 0] == 0 and levels[0, -1] == 255  # faintest at the bottom, brightest at the top


def test_zscale_of_sky_noise_with_stars_shows_the_noise_not_the_stars() -> None:
    rng = np.random.default_rng(7)
    sky = rng.normal(500.0, 20.0, (128, 128))
    sky[rng.integers(0, 128, 40), rng.integers(0, 128, 40)] = 50000.0  # 40 bright pixels
    low, high = zscale_limits(sky)
    # The display range is a few noise sigmas around the sky, nowhere near the stars.
    assert 380.0 < low < 480.0 and 520.0 < high < 700.0


def test_grey_levels_clip_and_a_flat_image_is_mid_grey() -> None:
    assert grey_levels(np.array([-5.0, 0.0, 5.0, 10.0, 99.0]), 0.0, 10.0).tolist() == [0, 0, 128, 255, 255]
    assert grey_levels(np.array([[3.0, np.nan]]), 3.0, 3.0).tolist() == [[128, 0]]
    flat = image_preview(np.full((8, 8), 7.0), 8, 4)
    assert np.all(flat.levels == 128) and (flat.low, flat.high) == (7.0, 7.0)


def test_an_image_with_no_finite_pixel_is_all_blank() -> None:
    preview = image_preview(np.full((8, 8), np.nan), 4, 2)
    assert preview.blank.all() and (preview.low, preview.high) == (0.0, 0.0)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((0, 4)), np.zeros((2, 3, 4))])
def test_what_is_not_an_image_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="two-dimensional"):
        image_preview(bad, 10, 5)


def test_a_preview_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one cell"):
        preview_block((10, 10), 0, 5)


def test_a_big_frame_with_blank_columns_gets_the_limits_of_its_noise() -> None:
    # 600 x 600 pixels (zscale works on an evenly spread pool of them), a third of them NaN.
    rng = np.random.default_rng(11)
    frame = rng.normal(1000.0, 10.0, (600, 600))
    frame[:, :200] = np.nan
    low, high = zscale_limits(frame)
    # For pure noise zscale's line is steep and its limits fall back to the sampled extremes:
    # a few sigma either side of the sky, and the NaN columns change nothing.
    assert 940.0 < low < 990.0 and 1010.0 < high < 1060.0
    preview = image_preview(frame, 60, 30)
    assert preview.blank[:, :20].all() and not preview.blank[:, 20:].any()
