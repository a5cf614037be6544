"""The simulated sky's image of any field, offline: its stars (the same ones the simulated
telescope and catalogs see) drawn as a survey plate would show them, with a north-up WCS."""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from tom_tui.adapters.cutouts.base import CutoutService
from tom_tui.adapters.simulated.imaging import Camera, add_gaussian_sources, make_wcs
from tom_tui.adapters.simulated.sky import SimulatedSky

SEEING_ARCSEC = 2.0
SKY_ELECTRONS = 100.0
ZERO_POINT = 28.5  # magnitude of a star giving one electron: r = 21 is a 10-sigma star


class SimulatedCutout(CutoutService):
    name = "simulated"
    label = "simulated sky"

    def cutout(
        self, ra: float, dec: float, fov_arcmin: float, pixels: int
    ) -> fits.ImageHDU | fits.PrimaryHDU:
        scale = fov_arcmin * 60.0 / pixels
        camera = Camera(nx=pixels, ny=pixels, pixel_scale_arcsec=scale)
        wcs = make_wcs(camera, ra, dec)
        radius = fov_arcmin / 60.0 * 0.75  # the square's corners
        star_ra, star_dec, star_mag = SimulatedSky(int(self.settings.get("seed", 2026))).field_stars(
            ra, dec, radius
        )
        x, y = wcs.all_world2pix(star_ra, star_dec, 0)
        image = np.full((pixels, pixels), SKY_ELECTRONS)
        flux = 10.0 ** (-0.4 * (star_mag - ZERO_POINT))
        add_gaussian_sources(image, np.asarray(x), np.asarray(y), flux, SEEING_ARCSEC / scale)
        noisy = np.random.default_rng(7).poisson(image).astype("float32")
        header = wcs.to_header()
        header["SURVEY"] = ("simulated", "the simulated sky of tom-tui")
        return fits.PrimaryHDU(noisy, header)
