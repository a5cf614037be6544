"""A night of raw CCD frames whose truth is known, for testing a reduction.

Unlike the simulated telescope's quick frames (:mod:`tom_tui.adapters.simulated.imaging`), these
carry everything a reduction has to undo: a bias level that drifts from row to row (and an
overscan strip that sees the drift), a fixed column pattern only a master bias removes, dark
current with hot pixels, the camera's pixel response (flat field), gain, read noise, Poisson
noise and 16-bit saturation. The science frames hold field stars at known positions and
magnitudes, two stars bright enough to saturate and one variable star; their header WCS is a
few pixels off the true pointing, as a telescope's pointing model leaves it. Everything is
drawn from one seed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from tom_tui.adapters.simulated.imaging import EXTINCTION, Camera, add_gaussian_sources, make_wcs

FloatArray = npt.NDArray[np.float64]

OVERSCAN_COLUMNS = 20
# The overscan strip starts this many columns after the image, as on real chips whose first
# overscan columns still see charge leaking from the last image column.
OVERSCAN_GAP = 4
_FRAME_KINDS = ("BIAS", "DARK", "FLAT")
# No field star falls closer than this (pixels) to the variable star.
ISOLATION_PX = 15.0


@dataclass(frozen=True)
class VariableStar:
    """A star whose magnitude is ``mean_mag + amplitude * sin(2 pi (mjd - epoch) / period)``."""

    ra: float
    dec: float
    mean_mag: float = 15.5
    amplitude: float = 0.4
    period_days: float = 0.04
    epoch_mjd: float = 61000.0

    def magnitude(self, mjd: float) -> float:
        return self.mean_mag + self.amplitude * math.sin(
            2 * math.pi * (mjd - self.epoch_mjd) / self.period_days
        )


@dataclass
class SimulatedNight:
    """One camera, one field and one night; frames are drawn on demand, reproducibly from ``seed``.

    Magnitudes are AB in ``band``. :attr:`catalog` is what a reference catalog of the field
    would hold (every star but the variable, exact positions and magnitudes).
    """

    seed: int = 1
    camera: Camera = field(
        default_factory=lambda: Camera(telescope="SIM-0m5", instrument="SIMCCD", nx=256, ny=256, gain=1.5)
    )
    band: str = "r"
    ra: float = 150.0
    dec: float = 20.0
    star_count: int = 45
    faintest_mag: float = 17.5
    brightest_mag: float = 13.0
    saturated_mags: tuple[float, ...] = (10.0, 10.5)
    seeing_arcsec: float = 1.3
    sky_mag_arcsec2: float = 20.5
    airmass: float = 1.2
    dark_e_per_s: float = 0.05
    hot_pixel_fraction: float = 0.002
    bias_column_pattern_adu: float = 3.0
    bias_row_drift_adu: float = 0.02  # per row
    pointing_error_pixels: tuple[float, float] = (3.4, -2.6)
    start: dt.datetime = dt.datetime(2026, 1, 15, 22, 0, tzinfo=dt.UTC)

    # ---- the truth -------------------------------------------------------------------------

    @cached_property
    def true_wcs(self) -> WCS:
        return make_wcs(self.camera, self.ra, self.dec)

    @cached_property
    def header_wcs(self) -> WCS:
        """The WCS written into the science headers: the true one shifted by the pointing error."""
        wcs = make_wcs(self.camera, self.ra, self.dec)
        wcs.wcs.crpix = wcs.wcs.crpix + np.asarray(self.pointing_error_pixels)
        return wcs

    @cached_property
    def stars(self) -> Table:
        """Every star drawn on the science frames: ra, dec (deg), x, y (0-based true pixel), mag,
        ``saturated`` and ``variable`` (the variable's ``mag`` is its mean)."""
        rng = np.random.default_rng([self.seed, 1])
        margin = 12.0
        count = self.star_count + len(self.saturated_mags) + 1
        x = rng.uniform(margin, self.camera.nx - 1 - margin, 3 * count)
        y = rng.uniform(margin, self.camera.ny - 1 - margin, 3 * count)
        # The variable stands alone, so that its light curve is its own and not a blend's.
        variable_x, variable_y = self._variable_pixel
        alone = np.hypot(x - variable_x, y - variable_y) > ISOLATION_PX
        x, y = x[alone][:count], y[alone][:count]
        mags = rng.uniform(self.brightest_mag, self.faintest_mag, count)
        saturated = np.zeros(count, dtype=bool)
        saturated[: len(self.saturated_mags)] = True
        mags[: len(self.saturated_mags)] = self.saturated_mags
        variable = np.zeros(count, dtype=bool)
        variable[-1] = True
        ra, dec = self.true_wcs.all_pix2world(x, y, 0)
        mags[-1] = self.variable.mean_mag
        table = Table(
            {"ra": ra, "dec": dec, "x": x, "y": y, "mag": mags, "saturated": saturated, "variable": variable}
        )
        table["ra"][-1], table["dec"][-1] = self.variable.ra, self.variable.dec
        table["x"][-1], table["y"][-1] = self.true_wcs.all_world2pix(self.variable.ra, self.variable.dec, 0)
        return table

    @property
    def _variable_pixel(self) -> tuple[float, float]:
        return self.camera.nx * 0.4, self.camera.ny * 0.6

    @cached_property
    def variable(self) -> VariableStar:
        ra, dec = self.true_wcs.all_pix2world(*self._variable_pixel, 0)
        return VariableStar(ra=float(ra), dec=float(dec))

    @property
    def catalog(self) -> Table:
        """The reference catalog of the field: ra, dec, mag (AB, in ``band``), the variable left out."""
        stars = self.stars[~self.stars["variable"]]
        return Table({"ra": stars["ra"], "dec": stars["dec"], "mag": stars["mag"]})

    @cached_property
    def pixel_response(self) -> FloatArray:
        return self.camera.pixel_response()

    @property
    def zero_point(self) -> float:
        """Magnitude of 1 e-/s on the flat-fielded frame: the camera's zero point, dimmed by
        the atmosphere and scaled by the median pixel response the normalised flat divides out."""
        return float(
            self.camera.zero_points[self.band]
            - EXTINCTION[self.band] * self.airmass
            + 2.5 * math.log10(float(np.median(self.pixel_response)))
        )

    @property
    def fwhm_pixels(self) -> float:
        return self.seeing_arcsec / self.camera.pixel_scale_arcsec

    # ---- the camera's fixed patterns -----------------------------------------------------

    @cached_property
    def _bias_pattern(self) -> FloatArray:
        rng = np.random.default_rng([self.seed, 2])
        columns = rng.normal(0.0, self.bias_column_pattern_adu, self.camera.nx)
        return np.broadcast_to(columns, (self.camera.ny, self.camera.nx)).copy()

    @cached_property
    def dark_current(self) -> FloatArray:
        """Dark current, e-/s per pixel, with its hot pixels."""
        rng = np.random.default_rng([self.seed, 3])
        current = np.full((self.camera.ny, self.camera.nx), self.dark_e_per_s)
        hot = rng.random(current.shape) < self.hot_pixel_fraction
        current[hot] = rng.uniform(2.0, 20.0, int(hot.sum()))
        return current

    # ---- frames ---------------------------------------------------------------------------

    def _readout(self, electrons: FloatArray, rng: np.random.Generator) -> npt.NDArray[np.uint16]:
        """Raw ADU with the overscan strip: Poisson, read noise, gain, bias level, 16 bits."""
        cam = self.camera
        detected = rng.poisson(np.clip(electrons, 0, None)).astype(np.float64)
        width = cam.nx + OVERSCAN_GAP + OVERSCAN_COLUMNS
        raw = rng.normal(0.0, cam.read_noise, (cam.ny, width)) / cam.gain
        raw[:, : cam.nx] += detected / cam.gain + self._bias_pattern
        raw += cam.bias_level + self.bias_row_drift_adu * np.arange(cam.ny)[:, None]
        return np.asarray(np.clip(np.round(raw), 0, cam.saturation), dtype=np.uint16)

    def _header(self, kind: str, when: dt.datetime, exptime: float, band: str | None) -> fits.Header:
        cam = self.camera
        header = fits.Header()
        header["IMAGETYP"] = kind
        header["DATE-OBS"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        header["EXPTIME"] = exptime
        header["FILTER"] = band or "none"
        header["GAIN"] = (cam.gain, "e-/ADU")
        header["RDNOISE"] = (cam.read_noise, "e-")
        header["SATURATE"] = (cam.saturation, "ADU")
        header["BIASSEC"] = (
            f"[{cam.nx + OVERSCAN_GAP + 1}:{cam.nx + OVERSCAN_GAP + OVERSCAN_COLUMNS},1:{cam.ny}]"
        )
        header["TRIMSEC"] = f"[1:{cam.nx},1:{cam.ny}]"
        header["TELESCOP"] = cam.telescope
        header["INSTRUME"] = cam.instrument
        return header

    def _frame(
        self, kind: str, index: int, exptime: float, electrons: FloatArray, band: str | None
    ) -> fits.HDUList:
        rng = np.random.default_rng([self.seed, 10, _FRAME_KINDS.index(kind), index])
        when = self.start + dt.timedelta(minutes=2 * index)
        return fits.HDUList(
            [fits.PrimaryHDU(self._readout(electrons, rng), self._header(kind, when, exptime, band))]
        )

    def bias(self, index: int) -> fits.HDUList:
        return self._frame("BIAS", index, 0.0, np.zeros((self.camera.ny, self.camera.nx)), None)

    def dark(self, index: int, exptime: float = 120.0) -> fits.HDUList:
        return self._frame("DARK", index, exptime, self.dark_current * exptime, None)

    def flat(self, index: int, level_electrons: float = 40000.0) -> fits.HDUList:
        exptime = 3.0
        electrons = level_electrons * self.pixel_response + self.dark_current * exptime
        return self._frame("FLAT", index, exptime, electrons, self.band)

    def mjd_of(self, index: int, exptime: float) -> float:
        """The mid-exposure MJD (UTC) of science frame ``index``."""
        start = self.start + dt.timedelta(minutes=10 + 5 * index)
        mid = start + dt.timedelta(seconds=exptime / 2)
        return (mid - dt.datetime(1858, 11, 17, tzinfo=dt.UTC)).total_seconds() / 86400.0

    def star_magnitudes(self, mjd: float) -> FloatArray:
        mags = np.array(self.stars["mag"], dtype=np.float64)
        mags[np.asarray(self.stars["variable"])] = self.variable.magnitude(mjd)
        return mags

    def science(
        self,
        index: int,
        exptime: float = 60.0,
        star_transmission: FloatArray | float = 1.0,
        sky_transmission: float = 1.0,
        extra_header: Mapping[str, Any] | None = None,
    ) -> fits.HDUList:
        """Science frame ``index`` (every five minutes from ten minutes after the start).

        ``star_transmission`` (one value, or one per star of :attr:`stars`) and
        ``sky_transmission`` scale the light of an optical element in the beam, such as a
        polarizer; ``extra_header`` keywords are written into the header."""
        cam = self.camera
        mjd = self.mjd_of(index, exptime)
        sky = cam.sky_electrons_per_pixel(self.sky_mag_arcsec2, self.band, self.airmass) * exptime
        light = np.full((cam.ny, cam.nx), sky * sky_transmission)
        flux = (
            cam.electrons_per_second(self.star_magnitudes(mjd), self.band, self.airmass)
            * exptime
            * star_transmission
        )
        add_gaussian_sources(
            light,
            np.asarray(self.stars["x"], dtype=np.float64),
            np.asarray(self.stars["y"], dtype=np.float64),
            flux,
            self.fwhm_pixels,
        )
        electrons = light * self.pixel_response + self.dark_current * exptime
        start = self.start + dt.timedelta(minutes=10 + 5 * index)
        rng = np.random.default_rng([self.seed, 20, index])
        header = self._header("LIGHT", start, exptime, self.band)
        header["OBJECT"] = "SIM FIELD"
        header["AIRMASS"] = self.airmass
        header.update(self.header_wcs.to_header())
        header.update(dict(extra_header or {}))
        return fits.HDUList([fits.PrimaryHDU(self._readout(electrons, rng), header)])
