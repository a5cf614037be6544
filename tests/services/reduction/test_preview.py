"""`frame_preview`: a stored frame's picture and header, from plain and tile-compressed files;
a damaged file or a reduced frame no run made are refused with one sentence naming them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tom_tui.adapters.instruments.base import FrameFileError
from tom_tui.domain.errors import NotFoundError
from tom_tui.services.reduction.frames import import_frames
from tom_tui.services.reduction.preview import frame_preview
from tom_tui.store.store import Store


def light_frame(width: int = 40, height: int = 25) -> fits.HDUList:
    """A frame whose pixel (x, y) (0-based) holds x + 100 y, so every preview pixel is known
    (1000 pixels: zscale samples every one)."""
    y, x = np.mgrid[0:height, 0:width]
    header = fits.Header()
    header["IMAGETYP"] = "Light Frame"
    header["DATE-OBS"] = "2026-01-15T22:10:00"
    header["EXPTIME"] = 30.0
    header["TELESCOP"] = "SIM-0m5"
    header["HISTORY"] = "flat-fielded by hand"
    return fits.HDUList([fits.PrimaryHDU((x + 100 * y).astype(np.float32), header)])


def stored_id(store: Store, path: Path) -> int:
    [outcome] = import_frames(store, [path])
    assert outcome.frame is not None and outcome.frame.id is not None
    return outcome.frame.id


def test_the_preview_block_averages_the_stored_pixels_with_the_header(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "light.fits"
    light_frame().writeto(path)
    preview = frame_preview(store, stored_id(store, path), 20, 8)
    image = preview.image
    # 40 x 25 pixels into 20 x 16 cell pixels: blocks of 2, so 20 x 13 (the top block is one
    # image row), top row first. The stretch of a linear ramp spans it (0 to 39 + 2400).
    assert (image.block, image.levels.shape, image.image_shape) == (2, (13, 20), (25, 40))
    assert (image.low, image.high) == (0.0, 2439.0)
    # The lower-left block's mean (0 + 1 + 100 + 101) / 4 is near the bottom of the stretch, the
    # upper-right one's (38 + 39) / 2 + 2400 at the top: the picture is the right way up.
    assert image.levels[-1, 0] == round(50.5 / 2439 * 255)
    assert image.levels[0, -1] == 255 and image.levels[0, 0] == round(2400.5 / 2439 * 255)
    cards = {card.keyword: card for card in preview.header}
    assert cards["IMAGETYP"].value == "Light Frame" and cards["HISTORY"].value == "flat-fielded by hand"
    assert preview.file.startswith("raw/SIM-0m5/") and not preview.reduced


def test_a_tile_compressed_frame_previews_its_image_extension(store: Store, tmp_path: Path) -> None:
    plain = light_frame()
    path = tmp_path / "light.fits.fz"
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(plain[0].data, plain[0].header)]).writeto(path)
    preview = frame_preview(store, stored_id(store, path), 40, 15)
    assert preview.image.image_shape == (25, 40) and preview.image.block == 1
    assert preview.image.levels[-1, 0] == 0 and preview.image.levels[0, -1] == 255


def test_a_damaged_file_is_named_and_a_missing_reduction_is_said(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "light.fits"
    light_frame().writeto(path)
    frame_id = stored_id(store, path)
    with pytest.raises(NotFoundError, match=f"frame {frame_id} has no reduced frame yet"):
        frame_preview(store, frame_id, 20, 8, reduced=True)
    stored = next((store.root / "raw").rglob("light.fits"))
    stored.write_bytes(stored.read_bytes()[:3000])  # cut inside the data
    with pytest.raises(FrameFileError, match=r"light\.fits"):
        frame_preview(store, frame_id, 20, 8)
