"""Synthetic CCD frames: bias, flat and science images as a real camera would write them.

A frame is built in electrons and converted to ADU like a CCD does: a fixed pixel response
(pixel-to-pixel sensitivity plus vignetting) multiplies the light, photon noise is Poisson,
read noise is Gaussian, the bias level is added and the result is digitised to 16 bits and
clipped at saturation. Stars are Gaussian PSFs of the night's seeing integrated over each pixel,
placed with the frame's own TAN WCS, so a star at a given RA/Dec lands where the WCS says.

Header conventions (what the reduction pipeline can rely on): ``IMAGETYP`` is ``BIAS``,
``FLAT`` or ``LIGHT``; ``DATE-OBS`` is the UTC start (ISO 8601), ``EXPTIME`` seconds, ``GAIN``
e-/ADU, ``RDNOISE`` electrons, ``FILTER`` the band name, ``SATURATE`` ADU.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from astropy.io import fits
from astropy.wcs import WCS
from scipy.special import erf

from tom_tui.domain.polarimetry import InstrumentalPolarization
from tom_tui.domain.sites import Site, known_site

SIMULATED_SITE = known_site("Roque de los Muchachos")

FloatArray = npt.NDArray[np.float64]

# Magnitude of a source giving 1 e-/s above the atmosphere (AB), and extinction per airmass,
# typical of a 1 m telescope with a modern CCD at a good site.
ZERO_POINTS = {
    "u": 21.9,
    "g": 23.6,
    "r": 23.5,
    "i": 23.1,
    "z": 22.2,
    "B": 23.0,
    "V": 23.2,
    "R": 23.4,
    "I": 22.8,
}
EXTINCTION = {
    "u": 0.45,
    "g": 0.17,
    "r": 0.09,
    "i": 0.05,
    "z": 0.04,
    "B": 0.22,
    "V": 0.12,
    "R": 0.08,
    "I": 0.04,
}
DARK_SKY = {"u": 22.0, "g": 21.9, "r": 21.0, "i": 20.2, "z": 19.0, "B": 22.5, "V": 21.5, "R": 20.8, "I": 19.8}
# A field star's magnitude in each band from its r magnitude (a solar-type colour).
STAR_COLOUR = {
    "u": 1.3,
    "g": 0.45,
    "r": 0.0,
    "i": -0.15,
    "z": -0.2,
    "B": 0.8,
    "V": 0.2,
    "R": -0.2,
    "I": -0.55,
}

# What the simulated camera's optics do to polarisation (see tom_tui.adapters.simulated.polarimetry):
# ~1.4 % of instrumental polarisation, typical of a Cassegrain telescope with a fold mirror, and a
# 12° turn of the analyser's zero from north.
SIMULATED_INSTRUMENTAL_POLARIZATION = InstrumentalPolarization(
    q=0.012, u=-0.008, q_err=0.0003, u_err=0.0003, angle_offset_deg=12.0
)


@dataclass(frozen=True)
class Camera:
    """A telescope and its CCD."""

    telescope: str = "SIM-1m0"
    instrument: str = "SIMCAM"
    site: Site = SIMULATED_SITE
    nx: int = 512
    ny: int = 512
    pixel_scale_arcsec: float = 0.39
    gain: float = 1.6  # e-/ADU
    read_noise: float = 7.0  # e-
    bias_level: float = 1000.0  # ADU
    saturation: int = 65535
    zero_points: dict[str, float] = field(default_factory=lambda: dict(ZERO_POINTS))

    @property
    def filters(self) -> tuple[str, ...]:
        return tuple(self.zero_points)

    def electrons_per_second(self, magnitude: float | FloatArray, band: str, airmass: float) -> FloatArray:
        """Detected electrons per second from a source of ``magnitude`` seen through ``airmass``."""
        observed = np.asarray(magnitude, dtype=np.float64) + EXTINCTION[band] * airmass
        return np.asarray(10.0 ** (-0.4 * (observed - self.zero_points[band])), dtype=np.float64)

    def sky_electrons_per_pixel(self, sky_mag_arcsec2: float, band: str, airmass: float) -> float:
        pixel_area = self.pixel_scale_arcsec**2
        # The sky is not dimmed by extinction the way a star is: it is the atmosphere glowing.
        return float(10.0 ** (-0.4 * (sky_mag_arcsec2 - self.zero_points[band])) * pixel_area)

    def pixel_response(self) -> FloatArray:
        """Relative sensitivity of each pixel (mean ~1): fixed for a camera, like a real CCD."""
        seed = int.from_bytes(
            hashlib.sha256(f"{self.telescope}/{self.instrument}".encode()).digest()[:8], "little"
        )
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0 : self.ny, 0 : self.nx]
        radius2 = ((x - self.nx / 2) ** 2 + (y - self.ny / 2) ** 2) / (max(self.nx, self.ny) / 2) ** 2
        vignetting = 1.0 - 0.06 * radius2
        return np.asarray(vignetting * rng.normal(1.0, 0.01, (self.ny, self.nx)), dtype=np.float64)


def make_wcs(camera: Camera, ra: float, dec: float, rotation_deg: float = 0.0) -> WCS:
    """A TAN projection centred on (ra, dec): north up, east left, at the camera's scale."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(camera.nx + 1) / 2.0, (camera.ny + 1) / 2.0]
    scale = camera.pixel_scale_arcsec / 3600.0
    angle = math.radians(rotation_deg)
    wcs.wcs.cd = np.array(
        [
            [-scale * math.cos(angle), scale * math.sin(angle)],
            [scale * math.sin(angle), scale * math.cos(angle)],
        ]
    )
    wcs.wcs.radesys = "ICRS"
    wcs.wcs.equinox = 2000.0
    return wcs


def add_gaussian_sources(
    image: FloatArray, x: FloatArray, y: FloatArray, total: FloatArray, fwhm_pixels: float
) -> None:
    """Add point sources (0-based pixel centres, total electrons) integrated over each pixel."""
    sigma = fwhm_pixels / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    half = math.ceil(5 * sigma) + 1
    ny, nx = image.shape
    scale = 1.0 / (math.sqrt(2.0) * sigma)
    for x0, y0, flux in zip(x, y, total, strict=True):
        if not (np.isfinite(flux) and flux > 0 and -half < x0 < nx + half and -half < y0 < ny + half):
            continue
        xs = np.arange(max(0, int(x0) - half), min(nx, int(x0) + half + 1))
        ys = np.arange(max(0, int(y0) - half), min(ny, int(y0) + half + 1))
        if xs.size == 0 or ys.size == 0:
            continue
        # Fraction of the PSF falling on each pixel edge-to-edge: exact for a Gaussian.
        fx = 0.5 * (erf((xs + 0.5 - x0) * scale) - erf((xs - 0.5 - x0) * scale))
        fy = 0.5 * (erf((ys + 0.5 - y0) * scale) - erf((ys - 0.5 - y0) * scale))
        image[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1] += flux * np.outer(fy, fx)


def _digitise(camera: Camera, electrons: FloatArray, rng: np.random.Generator) -> npt.NDArray[np.uint16]:
    detected = rng.poisson(np.clip(electrons, 0, None)).astype(np.float64)
    detected += rng.normal(0.0, camera.read_noise, detected.shape)
    adu = detected / camera.gain + camera.bias_level
    return np.asarray(np.clip(np.round(adu), 0, camera.saturation), dtype=np.uint16)


def _base_header(camera: Camera, kind: str, date_obs: dt.datetime, exptime: float, band: str) -> fits.Header:
    header = fits.Header()
    header["IMAGETYP"] = (kind, "BIAS, FLAT or LIGHT")
    header["OBSTYPE"] = (kind, "same as IMAGETYP")
    header["DATE-OBS"] = (
        date_obs.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        "UTC start of exposure",
    )
    header["MJD-OBS"] = (
        (date_obs - dt.datetime(1858, 11, 17, tzinfo=dt.UTC)).total_seconds() / 86400.0,
        "MJD (UTC) start",
    )
    header["EXPTIME"] = (exptime, "exposure time, s")
    header["FILTER"] = (band if kind != "BIAS" else "none", "filter")
    header["GAIN"] = (camera.gain, "e-/ADU")
    header["RDNOISE"] = (camera.read_noise, "read noise, e-")
    header["SATURATE"] = (camera.saturation, "saturation level, ADU")
    header["BUNIT"] = "ADU"
    header["TELESCOP"] = camera.telescope
    header["INSTRUME"] = camera.instrument
    header["OBSERVAT"] = camera.site.name
    header["SITELAT"] = (camera.site.latitude_deg, "geodetic latitude, deg")
    header["SITELONG"] = (camera.site.longitude_deg, "east longitude, deg")
    header["SITEELEV"] = (camera.site.elevation_m, "height, m")
    header["ORIGIN"] = "tom-tui simulated facility"
    return header


def bias_frame(camera: Camera, date_obs: dt.datetime, rng: np.random.Generator) -> fits.HDUList:
    electrons = np.zeros((camera.ny, camera.nx))
    header = _base_header(camera, "BIAS", date_obs, 0.0, "none")
    header["OBJECT"] = "bias"
    return fits.HDUList([fits.PrimaryHDU(_digitise(camera, electrons, rng), header=header)])


def flat_frame(
    camera: Camera,
    band: str,
    date_obs: dt.datetime,
    rng: np.random.Generator,
    level_electrons: float = 30000.0,
) -> fits.HDUList:
    """A twilight sky flat: even illumination seen through the pixel response."""
    electrons = level_electrons * camera.pixel_response()
    header = _base_header(camera, "FLAT", date_obs, 5.0, band)
    header["OBJECT"] = "twilight flat"
    return fits.HDUList([fits.PrimaryHDU(_digitise(camera, electrons, rng), header=header)])


@dataclass
class Sources:
    """Point sources to draw: positions (deg) and magnitudes in the frame's band."""

    ra: FloatArray
    dec: FloatArray
    magnitude: FloatArray


def science_frame(
    camera: Camera,
    *,
    pointing_ra: float,
    pointing_dec: float,
    sources: Sources,
    band: str,
    exptime: float,
    date_obs: dt.datetime,
    object_name: str,
    seeing_arcsec: float,
    sky_mag_arcsec2: float,
    airmass: float,
    rng: np.random.Generator,
) -> fits.HDUList:
    """A science exposure with its WCS in the header."""
    wcs = make_wcs(camera, pointing_ra, pointing_dec)
    x, y = wcs.all_world2pix(sources.ra, sources.dec, 0)
    electrons = np.full(
        (camera.ny, camera.nx), camera.sky_electrons_per_pixel(sky_mag_arcsec2, band, airmass) * exptime
    )
    add_gaussian_sources(
        electrons,
        np.asarray(x, dtype=np.float64),
        np.asarray(y, dtype=np.float64),
        camera.electrons_per_second(sources.magnitude, band, airmass) * exptime,
        seeing_arcsec / camera.pixel_scale_arcsec,
    )
    electrons *= camera.pixel_response()
    header = _base_header(camera, "LIGHT", date_obs, exptime, band)
    header["OBJECT"] = object_name
    header["RA"] = (pointing_ra, "pointing RA (ICRS), deg")
    header["DEC"] = (pointing_dec, "pointing Dec (ICRS), deg")
    header["AIRMASS"] = (round(airmass, 4), "airmass at start")
    header["SEEING"] = (round(seeing_arcsec, 3), "simulated PSF FWHM, arcsec")
    header["SKYMAG"] = (round(sky_mag_arcsec2, 3), "simulated sky brightness, mag/arcsec^2")
    header.update(wcs.to_header())
    return fits.HDUList([fits.PrimaryHDU(_digitise(camera, electrons, rng), header=header)])
