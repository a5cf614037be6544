"""Synthetic frames: stars land where the WCS says, with the flux their magnitude implies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from tom_tui.adapters.simulated.imaging import Camera, Sources, bias_frame, flat_frame, science_frame

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


def _written(hdul: fits.HDUList, path: Path) -> fits.HDUList:
    hdul.writeto(path)
    return fits.open(path)


def test_a_star_lands_where_the_wcs_says_with_the_flux_of_its_magnitude(tmp_path: Path) -> None:
    camera = Camera()
    star_ra, star_dec, star_mag = 150.0123, 20.0045, 15.0
    frame = science_frame(
        camera,
        pointing_ra=150.0,
        pointing_dec=20.0,
        sources=Sources(np.array([star_ra]), np.array([star_dec]), np.array([star_mag])),
        band="r",
        exptime=60.0,
        date_obs=START,
        object_name="test field",
        seeing_arcsec=1.2,
        sky_mag_arcsec2=21.0,
        airmass=1.3,
        rng=np.random.default_rng(7),
    )
    with _written(frame, tmp_path / "science.fits") as hdul:
        header = hdul[0].header
        data = hdul[0].data.astype(np.float64)
    assert data.shape == (512, 512)
    for key in (
        "DATE-OBS",
        "EXPTIME",
        "FILTER",
        "IMAGETYP",
        "OBJECT",
        "GAIN",
        "RDNOISE",
        "TELESCOP",
        "INSTRUME",
    ):
        assert key in header
    assert (
        header["IMAGETYP"] == "LIGHT"
        and header["FILTER"] == "r"
        and header["DATE-OBS"].startswith("2026-11-23T01:00:00")
    )
    x_expected, y_expected = WCS(header).all_world2pix(star_ra, star_dec, 0)
    # Centroid of the star (bias and sky removed) within a small box.
    electrons = (data - camera.bias_level) * header["GAIN"]
    sky = np.median(electrons)
    yy, xx = np.mgrid[0:512, 0:512]
    radius = np.hypot(xx - x_expected, yy - y_expected)
    aperture = radius < 4 * 1.2 / camera.pixel_scale_arcsec
    signal = electrons[aperture] - sky
    x_centroid = float(np.sum(signal * xx[aperture]) / np.sum(signal))
    y_centroid = float(np.sum(signal * yy[aperture]) / np.sum(signal))
    assert abs(x_centroid - x_expected) < 0.2 and abs(y_centroid - y_expected) < 0.2
    # Flux: the pixel response is ~1 (vignetting only a few percent near the centre).
    expected = float(camera.electrons_per_second(star_mag, "r", 1.3)) * 60.0
    measured = float(np.sum(signal))
    noise = np.sqrt(expected + aperture.sum() * (sky + camera.read_noise**2))
    assert abs(measured - expected) < 5 * noise + 0.03 * expected


def test_bias_and_flat_frames_carry_the_camera_noise_and_levels(tmp_path: Path) -> None:
    camera = Camera()
    rng = np.random.default_rng(1)
    with _written(bias_frame(camera, START, rng), tmp_path / "bias.fits") as hdul:
        bias = hdul[0].data.astype(np.float64)
        assert hdul[0].header["IMAGETYP"] == "BIAS" and hdul[0].header["EXPTIME"] == 0
    assert abs(np.median(bias) - camera.bias_level) < 1
    assert abs(np.std(bias) - camera.read_noise / camera.gain) < 0.3
    with _written(flat_frame(camera, "g", START, rng), tmp_path / "flat.fits") as hdul:
        flat = hdul[0].data.astype(np.float64) - camera.bias_level
        assert hdul[0].header["FILTER"] == "g"
    # The flat shows the vignetting: corners darker than the centre by a few percent.
    centre, corner = np.median(flat[200:312, 200:312]), np.median(flat[:40, :40])
    assert 0.85 < corner / centre < 0.95
