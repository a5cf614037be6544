"""Stars on a calibrated frame, their FWHM, and the frame's WCS fitted against a reference catalog.

Detection is photutils' (3.0 or later) DAOStarFinder on the frame minus its sigma-clipped background; the FWHM
is the median of 2D Gaussian fits (photutils' ``fit_fwhm``) to the brightest unsaturated stars.
Matching starts from the header WCS, which may be several pixels off: every detection-catalog
pair closer than the search radius votes for the offset between them, the most voted offset
wins, and stars are then paired with their nearest catalog neighbour (mutual nearest, within
the match radius). astropy's ``fit_wcs_from_points`` fits a TAN projection, with SIP distortion
terms when a plain TAN leaves more than :data:`SIP_WORTH_IT_PX` of RMS and there are stars
enough to fit them. A frame with no WCS in its header, or whose header WCS leads to no match,
is solved blind by the :class:`BlindSolver` the stage is given (astrometry.net's ``solve-field``,
from the adapters) from its detected stars, and the fit then starts from that solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.stats import sigma_clipped_stats
from astropy.table import Table
from astropy.wcs import WCS
from astropy.wcs.utils import fit_wcs_from_points
from photutils.detection import DAOStarFinder
from photutils.psf import fit_fwhm
from scipy import ndimage
from scipy.spatial import cKDTree

from tom_tui.processing.reduction.stages import BoolArray, FrameFlag, ReductionFrame, Stage, StageFailure

FloatArray = npt.NDArray[np.float64]

DETECTION_SIGMA = 5.0
DEFAULT_FWHM_GUESS_PX = 4.0
FWHM_STAR_COUNT = 25
MINIMUM_MATCHES = 6
# A plain TAN fit leaving more RMS than this (pixels) is refitted with SIP terms, if stars allow.
SIP_WORTH_IT_PX = 0.15
# SIP orders tried, highest first, when a plain TAN leaves too much RMS.
SIP_DEGREES = (3, 2)
POOR_ASTROMETRY_PX = 1.0

# Header keywords of where a telescope pointed: degrees, or sexagesimal hours and degrees.
POINTING_KEYWORDS = (("RA", "DEC"), ("OBJCTRA", "OBJCTDEC"), ("CRVAL1", "CRVAL2"))

RA_COLUMNS = ("ra", "RA", "RAJ2000", "RA_ICRS", "ra_deg", "RAdeg", "ALPHA_J2000")
DEC_COLUMNS = ("dec", "DEC", "Dec", "DEJ2000", "DE_ICRS", "dec_deg", "DEdeg", "DELTA_J2000")


@dataclass(frozen=True)
class ReferenceCatalog:
    """Positions (ICRS degrees) and, when known, magnitudes of the stars of a field; ``note``
    says where they came from and how the magnitudes were chosen (plain data: it travels to
    worker processes as it is)."""

    ra: FloatArray
    dec: FloatArray
    mag: FloatArray | None = None
    mag_error: FloatArray | None = None
    note: str = ""

    @classmethod
    def from_table(
        cls, table: Table, mag_column: str | None = None, source: str = "catalog"
    ) -> ReferenceCatalog:
        """The catalog in ``table``; RA and Dec columns found under their usual names
        (:data:`RA_COLUMNS`, :data:`DEC_COLUMNS`), ``mag_column`` (and ``e_<mag_column>`` or
        ``<mag_column>_err`` for its error) as given."""
        ra_name = _column_named(table, RA_COLUMNS, source, "right ascension")
        dec_name = _column_named(table, DEC_COLUMNS, source, "declination")
        mag = mag_error = None
        if mag_column is not None:
            if mag_column not in table.colnames:
                raise ValueError(
                    f"{source} has no column {mag_column!r}; its columns are {', '.join(table.colnames)}"
                )
            mag = _floats(table[mag_column])
            for error_name in (f"e_{mag_column}", f"{mag_column}_err", f"{mag_column}err", f"e{mag_column}"):
                if error_name in table.colnames:
                    mag_error = _floats(table[error_name])
                    break
        return cls(ra=_floats(table[ra_name]), dec=_floats(table[dec_name]), mag=mag, mag_error=mag_error)

    @classmethod
    def read(cls, path: str | Path, mag_column: str | None = None) -> ReferenceCatalog:
        """A catalog file the user gives: ECSV, CSV or FITS (the format from the file name)."""
        path = Path(path)
        suffixes = "".join(path.suffixes).lower()
        if ".csv" in suffixes and ".ecsv" not in suffixes:
            table = Table.read(path, format="ascii.csv")
        else:
            table = Table.read(path)
        return cls.from_table(table, mag_column=mag_column, source=str(path))

    def __len__(self) -> int:
        return int(self.ra.size)


def _floats(column: object) -> FloatArray:
    values = np.ma.filled(np.ma.asarray(column, dtype=np.float64), np.nan)
    return np.asarray(values, dtype=np.float64)


def _column_named(table: Table, names: Sequence[str], source: str, what: str) -> str:
    for name in names:
        if name in table.colnames:
            return name
    raise ValueError(f"{source} has no {what} column; expected one of {', '.join(names)}")


# The clipped median and spread of the sky are measured on a regular sample of this many pixels at
# most (every n-th pixel each way): on a 2k x 2k frame the estimate is the same to a fraction of a
# percent, in a sixteenth of the time a full-frame sigma clip takes (0.7 s there).
BACKGROUND_SAMPLE_PIXELS = 300_000


def background_subtracted(data: FloatArray, mask: BoolArray | None = None) -> tuple[FloatArray, float]:
    """The data minus its sigma-clipped median, and the sigma-clipped standard deviation."""
    step = max(1, int(np.sqrt(data.size / BACKGROUND_SAMPLE_PIXELS)))
    sample = data[::step, ::step]
    sample_mask = None if mask is None else mask[::step, ::step]
    _, median, std = sigma_clipped_stats(sample, mask=sample_mask, sigma=3.0, maxiters=5)
    return np.asarray(data - median, dtype=np.float64), float(std)


def detect_stars(
    data: FloatArray,
    fwhm: float,
    mask: BoolArray | None = None,
    threshold_sigma: float = DETECTION_SIGMA,
    background: tuple[FloatArray, float] | None = None,
) -> Table:
    """Stars on a frame, brightest first: ``x``, ``y`` (0-based pixels), ``peak``, ``flux``.
    ``background`` is :func:`background_subtracted`'s answer when the caller has it already."""
    residual, std = background if background is not None else background_subtracted(data, mask)
    finder = DAOStarFinder(fwhm=fwhm, threshold=threshold_sigma * std, exclude_border=True)
    found = finder(residual, mask=mask)
    if found is None or len(found) == 0:
        return Table({"x": np.empty(0), "y": np.empty(0), "peak": np.empty(0), "flux": np.empty(0)})
    table = Table(
        {
            "x": np.asarray(found["x_centroid"], dtype=np.float64),
            "y": np.asarray(found["y_centroid"], dtype=np.float64),
            "peak": np.asarray(found["peak"], dtype=np.float64),
            "flux": np.asarray(found["flux"], dtype=np.float64),
        }
    )
    table.sort("flux", reverse=True)
    return table


def with_saturated_stars(stars: Table, saturated: BoolArray | None, fwhm: float) -> Table:
    """The detections with each patch of saturated pixels made one star at the patch's centre.

    A saturated star has a flat top that DAOStarFinder's sharpness test rejects, or finds off
    centre on its wings; it is still one star, and photometry must list it (flagged). Detections
    on a patch or within a FWHM of its edge are replaced by the patch's centre. Adds the column
    ``saturated``, true for those stars.
    """
    stars = stars.copy()
    stars["saturated"] = np.zeros(len(stars), dtype=bool)
    if saturated is None or not saturated.any():
        return stars
    labels, count = ndimage.label(saturated)
    patches = range(1, count + 1)
    centres = np.asarray(ndimage.center_of_mass(saturated, labels, patches), dtype=np.float64).reshape(-1, 2)
    radii = np.sqrt(np.asarray(ndimage.sum(saturated, labels, patches), dtype=np.float64) / np.pi)
    x = np.asarray(stars["x"], dtype=np.float64)
    y = np.asarray(stars["y"], dtype=np.float64)
    distance = np.hypot(x[:, None] - centres[None, :, 1], y[:, None] - centres[None, :, 0])
    on_a_patch = (distance <= radii[None, :] + fwhm).any(axis=1)
    stars.remove_rows(np.flatnonzero(on_a_patch))
    for centre_y, centre_x in centres:
        stars.add_row({"x": centre_x, "y": centre_y, "peak": np.nan, "flux": np.nan, "saturated": True})
    return stars


def measure_fwhm(
    data: FloatArray,
    stars: Table,
    saturated: BoolArray | None = None,
    guess: float = DEFAULT_FWHM_GUESS_PX,
    residual: FloatArray | None = None,
) -> float:
    """The median FWHM (pixels) of Gaussian fits to the brightest unsaturated stars away from edges
    (``residual``: the background-subtracted data, when the caller has it already)."""
    if residual is None:
        residual, _ = background_subtracted(data)
    half = max(2, round(1.5 * guess))
    ny, nx = data.shape
    chosen: list[tuple[float, float]] = []
    for x, y in zip(stars["x"], stars["y"], strict=True):
        ix, iy = round(float(x)), round(float(y))
        if not (half <= ix < nx - half and half <= iy < ny - half):
            continue
        if saturated is not None and saturated[iy - half : iy + half + 1, ix - half : ix + half + 1].any():
            continue
        chosen.append((float(x), float(y)))
        if len(chosen) == FWHM_STAR_COUNT:
            break
    if not chosen:
        raise ValueError("no unsaturated star away from the edges to measure the FWHM on")
    fwhms = fit_fwhm(residual, xypos=chosen, fit_shape=2 * half + 1)
    return float(np.nanmedian(np.atleast_1d(fwhms)))


@dataclass(frozen=True)
class CatalogMatch:
    """Pairs of detections and catalog stars: ``detection[i]`` is ``catalog[i]``."""

    detection: npt.NDArray[np.intp]
    catalog: npt.NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.detection.size)


def _voted_offset(
    x: FloatArray, y: FloatArray, cat_x: FloatArray, cat_y: FloatArray, search_radius: float
) -> tuple[float, float] | None:
    """The shift (detection minus catalog) most detection-catalog pairs agree on, or None."""
    tree = cKDTree(np.column_stack((cat_x, cat_y)))
    neighbours = tree.query_ball_point(np.column_stack((x, y)), r=search_radius)
    dx = np.array([x[i] - cat_x[j] for i, found in enumerate(neighbours) for j in found])
    dy = np.array([y[i] - cat_y[j] for i, found in enumerate(neighbours) for j in found])
    if dx.size == 0:
        return None
    edges = np.arange(-search_radius, search_radius + 1.0, 1.0)
    votes, _, _ = np.histogram2d(dx, dy, bins=(edges, edges))
    # Three-by-three sums, so an offset on a bin edge is not split between two bins.
    padded = np.pad(votes, 1)
    summed = np.zeros_like(votes)
    for i in range(3):
        for j in range(3):
            summed += padded[i : i + votes.shape[0], j : j + votes.shape[1]]
    best_x, best_y = np.unravel_index(int(np.argmax(summed)), summed.shape)
    centre_x, centre_y = edges[best_x] + 0.5, edges[best_y] + 0.5
    near = (np.abs(dx - centre_x) <= 1.5) & (np.abs(dy - centre_y) <= 1.5)
    if near.sum() < MINIMUM_MATCHES // 2:
        return None
    return float(np.median(dx[near])), float(np.median(dy[near]))


def mutual_nearest(
    x: FloatArray, y: FloatArray, cat_x: FloatArray, cat_y: FloatArray, radius: float
) -> CatalogMatch:
    """Detections and catalog stars that are each other's nearest neighbour within ``radius`` px."""
    if x.size == 0 or cat_x.size == 0:
        empty = np.empty(0, dtype=np.intp)
        return CatalogMatch(empty, empty)
    detections = np.column_stack((x, y))
    stars = np.column_stack((cat_x, cat_y))
    distance, nearest_star = cKDTree(stars).query(detections)
    _, nearest_detection = cKDTree(detections).query(stars)
    index = np.arange(x.size)
    keep = (distance <= radius) & (nearest_detection[nearest_star] == index)
    return CatalogMatch(index[keep].astype(np.intp), nearest_star[keep].astype(np.intp))


def match_to_catalog(
    x: FloatArray,
    y: FloatArray,
    catalog: ReferenceCatalog,
    wcs: WCS,
    shape: tuple[int, int],
    search_radius: float = 25.0,
    match_radius: float = 2.0,
) -> CatalogMatch:
    """Pair detections with catalog stars, starting from ``wcs`` (which may be a few pixels off)."""
    cat_x, cat_y = (np.asarray(v, dtype=np.float64) for v in wcs.all_world2pix(catalog.ra, catalog.dec, 0))
    ny, nx = shape
    margin = search_radius
    inside = np.flatnonzero(
        np.isfinite(cat_x)
        & (cat_x > -margin)
        & (cat_x < nx + margin)
        & (cat_y > -margin)
        & (cat_y < ny + margin)
    )
    offset = _voted_offset(x, y, cat_x[inside], cat_y[inside], search_radius) if inside.size else None
    if offset is None:
        empty = np.empty(0, dtype=np.intp)
        return CatalogMatch(empty, empty)
    match = mutual_nearest(x, y, cat_x[inside] + offset[0], cat_y[inside] + offset[1], match_radius)
    return CatalogMatch(match.detection, inside[match.catalog].astype(np.intp))


@dataclass(frozen=True)
class WcsFit:
    wcs: WCS
    rms_px: float
    star_count: int
    sip_degree: int | None


def pixel_rms(wcs: WCS, x: FloatArray, y: FloatArray, ra: FloatArray, dec: FloatArray) -> float:
    """Root mean square distance (pixels) between measured positions and the catalog's, through ``wcs``."""
    cat_x, cat_y = wcs.all_world2pix(ra, dec, 0)
    return float(np.sqrt(np.mean((x - cat_x) ** 2 + (y - cat_y) ** 2)))


def fit_wcs(x: FloatArray, y: FloatArray, ra: FloatArray, dec: FloatArray) -> WcsFit:
    """A TAN WCS through matched stars (0-based pixels), with SIP terms when they are needed."""
    world = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    plain = fit_wcs_from_points((x, y), world, proj_point="center", projection="TAN")
    best = WcsFit(plain, pixel_rms(plain, x, y, ra, dec), int(x.size), None)
    for degree in SIP_DEGREES:
        # Three stars per distortion term at least, or the fit follows the noise.
        if best.rms_px <= SIP_WORTH_IT_PX or x.size < 3 * (degree + 1) * (degree + 2) // 2:
            continue
        distorted = fit_wcs_from_points(
            (x, y), world, proj_point="center", projection="TAN", sip_degree=degree
        )
        rms = pixel_rms(distorted, x, y, ra, dec)
        if rms < best.rms_px:
            best = WcsFit(distorted, rms, int(x.size), degree)
        break
    return best


class BlindSolveFailed(Exception):
    """A blind solve found no solution; the message says why in one sentence."""


class BlindSolver(Protocol):
    """Solves a frame's WCS from its stars alone (no starting WCS): returns the WCS, or raises
    :class:`BlindSolveFailed`. ``x``, ``y`` are 0-based pixel positions, brightest first;
    ``pointing`` is where the header says the telescope pointed, when it says."""

    def __call__(
        self,
        x: FloatArray,
        y: FloatArray,
        flux: FloatArray,
        shape: tuple[int, int],
        pointing: tuple[float, float] | None,
    ) -> WCS: ...


def pointing_of(header: Any) -> tuple[float, float] | None:
    """(RA, Dec) in degrees where a header says the telescope pointed (:data:`POINTING_KEYWORDS`)."""
    from tom_tui.domain.errors import ValidationError
    from tom_tui.domain.target import parse_dec, parse_ra

    for ra_key, dec_key in POINTING_KEYWORDS:
        if header.get(ra_key) is None or header.get(dec_key) is None:
            continue
        try:
            ra, dec = parse_ra(header[ra_key]), parse_dec(header[dec_key])
        except ValidationError:
            continue
        if ra is not None and dec is not None:
            return ra, dec
    return None


class SolveAstrometry(Stage):
    """Detect stars, measure the FWHM, match the reference catalog and fit the WCS.

    Writes ``fwhm_px``, ``detections`` (a Table with ``ra``/``dec`` through the fitted WCS),
    ``wcs_fit`` (a :class:`WcsFit`) and ``astrometric_rms_px`` into the frame's results, and the
    fitted WCS onto the frame. With a ``blind_solver``, a frame with no header WCS, or too few
    matches through it, is solved blind first (``blind_solved`` is then true in its results). A
    frame with no stars, or no WCS and no solution, or too few matches, is dropped.
    """

    name = "astrometry"

    def __init__(
        self,
        catalog: ReferenceCatalog,
        fwhm_guess_px: float = DEFAULT_FWHM_GUESS_PX,
        blind_solver: BlindSolver | None = None,
    ) -> None:
        self.catalog = catalog
        self.fwhm_guess = fwhm_guess_px
        self.blind_solver = blind_solver

    def run(self, frame: ReductionFrame) -> ReductionFrame:
        label = frame.name or "frame"
        data = np.asarray(frame.ccd.data, dtype=np.float64)
        unusable = _unusable_pixels(frame)
        background = background_subtracted(data, unusable)  # measured once, used three times
        stars = detect_stars(data, self.fwhm_guess, mask=unusable, background=background)
        if len(stars) == 0:
            raise StageFailure(FrameFlag.NO_STARS, f"{label}: no stars found above {DETECTION_SIGMA:g} sigma")
        try:
            fwhm = measure_fwhm(data, stars, frame.saturated, guess=self.fwhm_guess, residual=background[0])
        except ValueError as error:
            raise StageFailure(FrameFlag.NO_STARS, f"{label}: {error}") from error
        if not np.isfinite(fwhm) or fwhm <= 0:
            raise StageFailure(FrameFlag.NO_STARS, f"{label}: the stars' FWHM could not be measured")
        # Detected again with the measured FWHM: the kernel's size sets how well DAOStarFinder
        # centres the stars, and the astrometric fit needs them to a tenth of a pixel.
        found = detect_stars(data, fwhm, mask=unusable, background=background)
        stars = with_saturated_stars(found, frame.saturated, fwhm)
        frame.results["fwhm_px"] = fwhm
        fit = self._solved(frame, label, stars, data.shape, fwhm)
        frame.ccd.wcs = fit.wcs
        ra, dec = fit.wcs.all_pix2world(stars["x"], stars["y"], 0)
        stars["ra"], stars["dec"] = ra, dec
        frame.results.update(detections=stars, wcs_fit=fit, astrometric_rms_px=fit.rms_px)
        if fit.rms_px > POOR_ASTROMETRY_PX:
            frame.flag(FrameFlag.POOR_ASTROMETRY, f"{label}: astrometric RMS {fit.rms_px:.2f} px")
        return frame

    def _solved(
        self, frame: ReductionFrame, label: str, stars: Table, shape: tuple[int, int], fwhm: float
    ) -> WcsFit:
        """The fit from the header WCS, or from a blind solution when there is none or it fails."""
        header_wcs = frame.ccd.wcs if frame.ccd.wcs is not None and frame.ccd.wcs.has_celestial else None
        if header_wcs is not None:
            try:
                return self._fit(label, stars, header_wcs, shape, fwhm)
            except StageFailure:
                if self.blind_solver is None:
                    raise
        elif self.blind_solver is None:
            raise StageFailure(
                FrameFlag.NO_ASTROMETRIC_MATCH,
                f"{label} has no WCS in its header; expected a starting WCS",
            )
        start = self._blind_solution(frame, label, stars, shape)
        frame.results["blind_solved"] = True
        return self._fit(label, stars, start, shape, fwhm)

    def _blind_solution(self, frame: ReductionFrame, label: str, stars: Table, shape: tuple[int, int]) -> WCS:
        assert self.blind_solver is not None
        usable = stars[~np.asarray(stars["saturated"], dtype=bool)]
        try:
            return self.blind_solver(
                np.asarray(usable["x"], dtype=np.float64),
                np.asarray(usable["y"], dtype=np.float64),
                np.asarray(usable["flux"], dtype=np.float64),
                shape,
                pointing_of(frame.ccd.meta),
            )
        except BlindSolveFailed as error:
            raise StageFailure(FrameFlag.NO_ASTROMETRIC_MATCH, f"{label}: {error}") from None

    def _fit(self, label: str, stars: Table, start: WCS, shape: tuple[int, int], fwhm: float) -> WcsFit:
        # Saturated stars' centres are poor: they help no fit.
        unsaturated = stars[~np.asarray(stars["saturated"], dtype=bool)]
        x = np.asarray(unsaturated["x"], dtype=np.float64)
        y = np.asarray(unsaturated["y"], dtype=np.float64)
        match = match_to_catalog(x, y, self.catalog, start, shape, match_radius=max(2.0, fwhm))
        if len(match) < MINIMUM_MATCHES:
            raise StageFailure(
                FrameFlag.NO_ASTROMETRIC_MATCH,
                f"{label}: {len(match)} of {len(stars)} stars matched the reference catalog; "
                f"expected at least {MINIMUM_MATCHES}",
            )
        fit = fit_wcs(
            x[match.detection],
            y[match.detection],
            self.catalog.ra[match.catalog],
            self.catalog.dec[match.catalog],
        )
        # Once near, match again through the fitted WCS: stars missed by the shift alone join in.
        rematch = match_to_catalog(
            x, y, self.catalog, fit.wcs, shape, search_radius=3.0, match_radius=max(1.0, fwhm / 2)
        )
        if len(rematch) >= len(match):
            fit = fit_wcs(
                x[rematch.detection],
                y[rematch.detection],
                self.catalog.ra[rematch.catalog],
                self.catalog.dec[rematch.catalog],
            )
        return fit


def _unusable_pixels(frame: ReductionFrame) -> BoolArray:
    """Pixels detection must skip: bad or not finite (saturated star cores are still stars)."""
    unusable = ~np.isfinite(np.asarray(frame.ccd.data, dtype=np.float64))
    if frame.ccd.mask is not None:
        bad = np.asarray(frame.ccd.mask, dtype=bool)
        if frame.saturated is not None:
            bad = bad & ~frame.saturated
        unusable |= bad
    return unusable
