"""Aperture photometry of every star on a frame, its zero point, and the targets' measurements.

Apertures scale with the frame's FWHM (radius :data:`APERTURE_FWHM` x FWHM; the sky annulus from
:data:`ANNULUS_FWHM`); the sky is the sigma-clipped median of the annulus. The error is the CCD
equation: the frame's uncertainty plane (source and sky Poisson noise, dark current, read noise)
summed over the aperture, plus the error of the sky level times the aperture area. A star is
flagged ``saturated`` when a pixel of its aperture reached saturation in the raw frame, ``edge``
when its aperture leaves the frame and ``masked`` when it covers a bad pixel.

The zero point (magnitude of 1 e-/s) comes from the catalog stars in the field: each unflagged
star with signal-to-noise of at least :data:`CALIBRATOR_SNR` gives catalog minus instrumental
magnitude; outliers beyond 3 sigma of the median (in units of each star's own error) are clipped
and the rest averaged with inverse-variance weights. Its error is the weighted mean's, scaled up
by the scatter when the stars disagree more than their errors say.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from astropy.stats import SigmaClip, mad_std, sigma_clip
from astropy.table import Row, Table
from astropy.wcs import WCS
from photutils.aperture import ApertureStats, CircularAnnulus, CircularAperture, aperture_photometry

from tom_tui.domain.frames import Frame
from tom_tui.domain.photometry import DETECTION_SNR, INCOMING_SCHEMA, LIMIT_SIGMA
from tom_tui.domain.reduction import REDUCTION_SOURCE
from tom_tui.domain.units import AB_ZERO_POINT_UJY
from tom_tui.processing.reduction.astrometry import ReferenceCatalog, mutual_nearest
from tom_tui.processing.reduction.stages import BoolArray, FrameFlag, ReductionFrame, Stage, StageFailure

FloatArray = npt.NDArray[np.float64]

APERTURE_FWHM = 1.5
ANNULUS_FWHM = (4.0, 6.0)
CALIBRATOR_SNR = 10.0
MINIMUM_CALIBRATORS = 3
# The median of n Gaussian values scatters sqrt(pi / 2) times more than their mean.
MEDIAN_NOISE_FACTOR = math.pi / 2


@dataclass(frozen=True)
class ApertureSizes:
    """Radii in pixels of the aperture and of the sky annulus."""

    aperture: float
    annulus_inner: float
    annulus_outer: float

    @classmethod
    def for_fwhm(cls, fwhm_px: float) -> ApertureSizes:
        return cls(APERTURE_FWHM * fwhm_px, ANNULUS_FWHM[0] * fwhm_px, ANNULUS_FWHM[1] * fwhm_px)


def measure_apertures(
    data: FloatArray,
    uncertainty: FloatArray,
    x: FloatArray,
    y: FloatArray,
    sizes: ApertureSizes,
    saturated: BoolArray | None = None,
    bad: BoolArray | None = None,
) -> Table:
    """Sky-subtracted fluxes (the data's units) at 0-based pixel positions, with errors and flags.

    Columns: ``x``, ``y``, ``flux``, ``flux_err``, ``sky`` (per pixel), ``snr``, ``saturated``,
    ``edge``, ``masked``.
    """
    positions = np.column_stack((x, y))
    if positions.shape[0] == 0:
        return _empty_apertures()
    unusable = ~np.isfinite(data) | (bad if bad is not None else False)
    aperture = CircularAperture(positions, r=sizes.aperture)
    annulus = CircularAnnulus(positions, r_in=sizes.annulus_inner, r_out=sizes.annulus_outer)
    sky = ApertureStats(data, annulus, mask=unusable, sigma_clip=SigmaClip(sigma=3.0, maxiters=10))
    sky_level = np.nan_to_num(np.asarray(sky.median, dtype=np.float64))
    sky_count = np.maximum(np.asarray(sky.sum_aper_area.value, dtype=np.float64), 1.0)
    sky_error_per_pixel = np.sqrt(
        MEDIAN_NOISE_FACTOR * np.asarray(sky.std, dtype=np.float64) ** 2 / sky_count
    )
    sums = aperture_photometry(data, aperture, error=uncertainty, mask=unusable)
    area = np.asarray(aperture.area_overlap(data, mask=unusable), dtype=np.float64)
    flux = np.asarray(sums["aperture_sum"], dtype=np.float64) - sky_level * area
    flux_err = np.hypot(np.asarray(sums["aperture_sum_err"], dtype=np.float64), sky_error_per_pixel * area)
    ny, nx = data.shape
    radius = sizes.aperture
    edge = (x - radius < -0.5) | (y - radius < -0.5) | (x + radius > nx - 0.5) | (y + radius > ny - 0.5)
    return Table(
        {
            "x": x,
            "y": y,
            "flux": flux,
            "flux_err": flux_err,
            "sky": sky_level,
            "snr": np.where(flux_err > 0, flux / flux_err, 0.0),
            "saturated": _touches(aperture, saturated, data.shape),
            "edge": edge,
            "masked": _touches(aperture, bad, data.shape),
        }
    )


def _touches(aperture: CircularAperture, pixels: BoolArray | None, shape: tuple[int, ...]) -> BoolArray:
    """True for each aperture that covers at least one of ``pixels``."""
    if pixels is None or not pixels.any():
        return np.zeros(len(aperture), dtype=bool)
    counts = aperture_photometry(pixels.astype(np.float64), aperture, method="center")["aperture_sum"]
    return np.asarray(np.asarray(counts, dtype=np.float64) > 0, dtype=bool)


def _empty_apertures() -> Table:
    floats = {name: np.empty(0) for name in ("x", "y", "flux", "flux_err", "sky", "snr")}
    flags = {name: np.empty(0, dtype=bool) for name in ("saturated", "edge", "masked")}
    return Table({**floats, **flags})


def instrumental_magnitudes(
    flux: FloatArray, flux_err: FloatArray, exposure_s: float
) -> tuple[FloatArray, FloatArray]:
    """-2.5 log10(flux per second) and its error; NaN where the flux is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        positive = flux > 0
        mag = np.where(positive, -2.5 * np.log10(np.where(positive, flux, 1.0) / exposure_s), np.nan)
        mag_err = np.where(positive, 2.5 / np.log(10) * flux_err / np.where(positive, flux, 1.0), np.nan)
    return np.asarray(mag, dtype=np.float64), np.asarray(mag_err, dtype=np.float64)


@dataclass(frozen=True)
class ZeroPoint:
    """Catalog minus instrumental magnitude (of 1 e-/s), its error, how many stars, their scatter."""

    value: float
    error: float
    star_count: int
    scatter: float


def robust_zero_point(
    instrumental: FloatArray,
    instrumental_err: FloatArray,
    catalog_mag: FloatArray,
    catalog_err: FloatArray | None = None,
) -> ZeroPoint:
    """The zero point of calibrator stars (see the module docstring); ValueError with too few."""
    offsets = catalog_mag - instrumental
    # A catalog star without a stated error counts as exact; its photometry still has one.
    catalog_variance = 0.0 if catalog_err is None else np.nan_to_num(catalog_err, nan=0.0) ** 2
    variance = instrumental_err**2 + catalog_variance
    usable = np.isfinite(offsets) & np.isfinite(variance) & (variance > 0)
    if usable.sum() < MINIMUM_CALIBRATORS:
        raise ValueError(f"{int(usable.sum())} calibrator stars; expected at least {MINIMUM_CALIBRATORS}")
    offsets, variance = offsets[usable], variance[usable]
    # Clip on each star's offset over its own error: a faint star is not an outlier for being
    # noisier than a bright one.
    pulls = (offsets - np.median(offsets)) / np.sqrt(variance)
    clipped = sigma_clip(pulls, sigma=3.0, maxiters=5, cenfunc="median", stdfunc=mad_std)
    kept = ~np.ma.getmaskarray(clipped)
    values = offsets[kept]
    weights = 1.0 / variance[kept]
    mean = float(np.sum(weights * values) / np.sum(weights))
    error = math.sqrt(1.0 / float(np.sum(weights)))
    if values.size > 1:
        reduced_chi2 = float(np.sum(weights * (values - mean) ** 2)) / (values.size - 1)
        error *= math.sqrt(max(1.0, reduced_chi2))
    scatter = float(np.std(values, ddof=1)) if values.size > 1 else 0.0
    return ZeroPoint(value=mean, error=error, star_count=int(values.size), scatter=scatter)


def source_table_arrow(sources: Table) -> pa.Table:
    """A per-frame source table as Arrow, ready for Parquet (plain columns only)."""
    return pa.table({name: np.asarray(sources[name]) for name in sources.colnames})


class MeasurePhotometry(Stage):
    """Aperture photometry of every detected star and the zero point against the catalog.

    Needs the astrometry stage's ``fwhm_px`` and ``detections``; writes ``sources`` (a Table:
    the aperture columns, ``ra``, ``dec``, ``mag_inst``, ``mag_inst_err``, ``catalog_index``
    (-1 when unmatched), ``catalog_mag``, ``calibrator``, ``mag``, ``mag_err``), ``apertures``
    and ``zero_point`` into the frame's results. Without catalog magnitudes there is no zero
    point; too few calibrators flag the frame but keep its source table.
    """

    name = "photometry"

    def __init__(self, catalog: ReferenceCatalog) -> None:
        self.catalog = catalog

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        fwhm = float(frame.results["fwhm_px"])
        detections: Table = frame.results["detections"]
        sizes = ApertureSizes.for_fwhm(fwhm)
        exposure = _exposure(frame)
        x, y = np.asarray(detections["x"]), np.asarray(detections["y"])
        sources = measure_apertures(*_planes(frame), x, y, sizes, frame.saturated, _bad_pixels(frame))
        sources["ra"], sources["dec"] = detections["ra"], detections["dec"]
        sources["mag_inst"], sources["mag_inst_err"] = instrumental_magnitudes(
            np.asarray(sources["flux"]), np.asarray(sources["flux_err"]), exposure
        )
        self._match(frame.ccd.wcs, sources, fwhm)
        frame.results["apertures"] = sizes
        frame.results["sources"] = sources
        if self.catalog.mag is None:
            return frame
        use = np.asarray(sources["calibrator"], dtype=bool)
        try:
            zero_point = robust_zero_point(
                np.asarray(sources["mag_inst"])[use],
                np.asarray(sources["mag_inst_err"])[use],
                np.asarray(sources["catalog_mag"])[use],
                np.asarray(sources["catalog_mag_err"])[use],
            )
        except ValueError as error:
            frame.flag(FrameFlag.NO_CALIBRATORS, f"{frame.name or 'frame'}: no zero point, {error}")
            return frame
        frame.results["zero_point"] = zero_point
        sources["mag"] = sources["mag_inst"] + zero_point.value
        sources["mag_err"] = np.hypot(sources["mag_inst_err"], zero_point.error)
        return frame

    def _match(self, wcs: WCS, sources: Table, fwhm: float) -> None:
        cat_x, cat_y = (
            np.asarray(v, dtype=np.float64) for v in wcs.all_world2pix(self.catalog.ra, self.catalog.dec, 0)
        )
        match = mutual_nearest(
            np.asarray(sources["x"]), np.asarray(sources["y"]), cat_x, cat_y, max(1.0, fwhm / 2)
        )
        index = np.full(len(sources), -1, dtype=np.int64)
        index[match.detection] = match.catalog
        matched = index >= 0
        sources["catalog_index"] = index
        sources["catalog_mag"] = _pick(self.catalog.mag, index)
        sources["catalog_mag_err"] = _pick(self.catalog.mag_error, index)
        clean = ~(
            np.asarray(sources["saturated"]) | np.asarray(sources["edge"]) | np.asarray(sources["masked"])
        )
        sources["calibrator"] = (
            matched
            & clean
            & (np.asarray(sources["snr"]) >= CALIBRATOR_SNR)
            & np.isfinite(np.asarray(sources["catalog_mag"]))
        )


def _pick(values: FloatArray | None, index: npt.NDArray[np.int64]) -> FloatArray:
    picked = np.full(index.size, np.nan)
    if values is not None:
        picked[index >= 0] = values[index[index >= 0]]
    return picked


def _planes(frame: ReductionFrame) -> tuple[FloatArray, FloatArray]:
    data = np.asarray(frame.ccd.data, dtype=np.float64)
    if frame.ccd.uncertainty is None:
        raise StageFailure(
            FrameFlag.BAD_HEADER, f"{frame.name or 'frame'} has no uncertainty plane; calibrate it first"
        )
    return data, np.asarray(frame.ccd.uncertainty.array, dtype=np.float64)


def _bad_pixels(frame: ReductionFrame) -> BoolArray | None:
    if frame.ccd.mask is None:
        return None
    bad = np.asarray(frame.ccd.mask, dtype=bool)
    return bad & ~frame.saturated if frame.saturated is not None else bad


def _exposure(frame: ReductionFrame) -> float:
    value = frame.ccd.meta.get("EXPTIME", frame.ccd.meta.get("EXPOSURE"))
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise StageFailure(
            FrameFlag.BAD_HEADER, f"{frame.name or 'frame'}: EXPTIME is {value!r}; expected seconds"
        )
    return float(value)


@dataclass(frozen=True)
class TargetPosition:
    """A target to measure on every frame: its id in the store and where it is (ICRS degrees)."""

    target_id: int
    ra: float
    dec: float


@dataclass(frozen=True)
class MeasurementContext:
    """What the rows say about where they came from: the magnitude system of the catalog's
    band, and the provenance (the run, the frame) kept in their ``extra``."""

    magsys: str = "AB"
    band: str | None = None  # else the frame's FILTER
    source: str = REDUCTION_SOURCE
    run: str = ""


def target_measurements(
    frame: ReductionFrame, targets: Sequence[TargetPosition], context: MeasurementContext
) -> pa.Table:
    """One row per target inside the frame, in the domain photometry schema (with ``target_id``).

    The aperture goes where the fitted WCS puts the target, moved onto a detected star within
    half a FWHM. Below :data:`DETECTION_SNR` the row is an upper limit at :data:`LIMIT_SIGMA`.
    """
    zero_point: ZeroPoint | None = frame.results.get("zero_point")
    if zero_point is None or not targets:
        return INCOMING_SCHEMA.empty_table()
    header = Frame.from_header(frame.ccd.meta)
    exposure = _exposure(frame)
    if header.mjd is None:
        raise StageFailure(
            FrameFlag.BAD_HEADER, f"{frame.name or 'frame'}: no DATE-OBS or MJD-OBS; expected the start time"
        )
    x, y, ids = _target_pixels(frame, targets)
    sizes: ApertureSizes = frame.results["apertures"]
    measured = measure_apertures(*_planes(frame), x, y, sizes, frame.saturated, _bad_pixels(frame))
    rows = [
        _measurement_row(frame, context, header, exposure, zero_point, ids[i], measured[i])
        for i in range(len(measured))
    ]
    return pa.Table.from_pylist(rows, schema=INCOMING_SCHEMA)


def _target_pixels(
    frame: ReductionFrame, targets: Sequence[TargetPosition]
) -> tuple[FloatArray, FloatArray, list[int]]:
    wcs: WCS = frame.ccd.wcs
    ra = np.array([t.ra for t in targets])
    dec = np.array([t.dec for t in targets])
    x, y = (np.asarray(v, dtype=np.float64) for v in wcs.all_world2pix(ra, dec, 0))
    ny, nx = frame.ccd.shape
    inside = np.isfinite(x) & (x >= 0) & (x <= nx - 1) & (y >= 0) & (y <= ny - 1)
    sources: Table | None = frame.results.get("sources")
    if sources is not None and len(sources):
        match = mutual_nearest(
            x, y, np.asarray(sources["x"]), np.asarray(sources["y"]), frame.results["fwhm_px"] / 2
        )
        x[match.detection] = np.asarray(sources["x"])[match.catalog]
        y[match.detection] = np.asarray(sources["y"])[match.catalog]
    return x[inside], y[inside], [targets[int(i)].target_id for i in np.flatnonzero(inside)]


def _measurement_row(
    frame: ReductionFrame,
    context: MeasurementContext,
    header: Frame,
    exposure: float,
    zero_point: ZeroPoint,
    target_id: int,
    measured: Row,
) -> dict[str, object]:
    flux, flux_err = float(measured["flux"]), float(measured["flux_err"])
    detected = flux_err > 0 and flux / flux_err >= DETECTION_SNR
    mag = magerr = None
    if detected:
        mag = zero_point.value - 2.5 * math.log10(flux / exposure)
        magerr = math.hypot(2.5 / math.log(10) * flux_err / flux, zero_point.error)
    limit = zero_point.value - 2.5 * math.log10(LIMIT_SIGMA * flux_err / exposure) if flux_err > 0 else None
    flux_ujy = fluxerr_ujy = None
    if context.magsys.upper() == "AB":
        # 1 e-/s is zero_point mag; 23.9 AB mag is 1 uJy.
        scale = 10.0 ** (-0.4 * (zero_point.value - AB_ZERO_POINT_UJY)) / exposure
        flux_ujy, fluxerr_ujy = flux * scale, flux_err * scale
    extra = {
        "frame": frame.name,
        "run": context.run,
        "aperture_px": round(float(frame.results["apertures"].aperture), 3),
        "x": round(float(measured["x"]), 3),
        "y": round(float(measured["y"]), 3),
        "zero_point": round(zero_point.value, 4),
        "zero_point_err": round(zero_point.error, 4),
        "calibrators": zero_point.star_count,
        "saturated": bool(measured["saturated"]),
        "edge": bool(measured["edge"]),
    }
    return {
        "target_id": target_id,
        "mjd": header.mjd + exposure / 2 / 86400.0 if header.mjd is not None else None,
        "filter": context.band or header.band,
        "mag": mag,
        "magerr": magerr,
        "limit": limit,
        "flux": flux_ujy,
        "fluxerr": fluxerr_ujy,
        "magsys": context.magsys,
        "telescope": header.telescope or None,
        "instrument": header.instrument or None,
        "source": context.source,
        "extra": json.dumps(extra),
        "negative_subtraction": False,
    }


class MeasureTargets(Stage):
    """The targets' measurements on a frame (``target_measurements`` in its results)."""

    name = "targets"

    def __init__(self, targets: Sequence[TargetPosition], context: MeasurementContext) -> None:
        self.targets = list(targets)
        self.context = context

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        frame.results["target_measurements"] = target_measurements(frame, self.targets, self.context)
        return frame
