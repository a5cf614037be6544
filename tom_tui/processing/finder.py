"""Finding charts: a sky image of the field with the target marked, offset stars with their
offsets to the target, a scale bar and the north and east arrows.

Offset stars are found in the image itself (photutils' DAOStarFinder above a sigma-clipped
background), so any image with a celestial WCS works, and their positions come from that WCS:
bright, isolated stars away from the target and the edges, the brightest first. An offset is the
move from the star to the target on the sky: east (ΔRA·cos Dec) and north (ΔDec) in arcseconds,
what a telescope operator types after acquiring the star.
"""

from __future__ import annotations

import math
import string
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

FloatArray = npt.NDArray[np.float64]

OFFSET_STARS = 4
EDGE_FRACTION = 0.06  # stars this close to an edge (of the image width) are left out
NEAR_TARGET_ARCSEC = 8.0  # closer than this to the target, a star could be the target itself
NEIGHBOUR_ARCSEC = 6.0  # a star with a neighbour this close is not a clean offset star


@dataclass(frozen=True)
class OffsetStar:
    label: str
    ra: float
    dec: float
    x: float  # 0-based pixel, FITS orientation
    y: float
    flux: float
    east_arcsec: float  # from the star to the target
    north_arcsec: float

    @property
    def distance_arcsec(self) -> float:
        return math.hypot(self.east_arcsec, self.north_arcsec)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "ra": self.ra,
            "dec": self.dec,
            "east_arcsec": round(self.east_arcsec, 2),
            "north_arcsec": round(self.north_arcsec, 2),
            "distance_arcsec": round(self.distance_arcsec, 2),
        }


@dataclass
class FinderChart:
    name: str
    ra: float
    dec: float
    image: FloatArray
    wcs: WCS
    source: str
    target_x: float
    target_y: float
    pixel_scale_arcsec: float
    stars: list[OffsetStar] = field(default_factory=list)

    @property
    def fov_arcmin(self) -> float:
        return float(self.image.shape[1]) * self.pixel_scale_arcsec / 60.0

    def direction(self, east: float, north: float) -> tuple[float, float]:
        """Unit vector in pixels (x, y) of a small step east or north from the target."""
        step = 5.0 / 3600.0
        ra = self.ra + east * step / max(math.cos(math.radians(self.dec)), 1e-9)
        x, y = self.wcs.all_world2pix([[ra, self.dec + north * step]], 0)[0]
        dx, dy = x - self.target_x, y - self.target_y
        length = math.hypot(dx, dy) or 1.0
        return dx / length, dy / length

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ra": self.ra,
            "dec": self.dec,
            "source": self.source,
            "fov_arcmin": round(self.fov_arcmin, 3),
            "pixel_scale_arcsec": round(self.pixel_scale_arcsec, 4),
            "offset_stars": [star.to_json() for star in self.stars],
        }


def offset_to_target(star_ra: float, star_dec: float, ra: float, dec: float) -> tuple[float, float]:
    """East and north offsets (arcseconds) from a star to the target, on the tangent plane."""
    east = ((ra - star_ra + 180.0) % 360.0 - 180.0) * math.cos(math.radians(dec)) * 3600.0
    return east, (dec - star_dec) * 3600.0


def find_offset_stars(chart: FinderChart, count: int = OFFSET_STARS) -> list[OffsetStar]:
    """The brightest clean stars of the image, labelled A, B, C..., with their offsets."""
    from astropy.stats import sigma_clipped_stats
    from photutils.detection import DAOStarFinder
    from photutils.utils.exceptions import NoDetectionsWarning

    data = np.nan_to_num(chart.image.astype(np.float64), nan=0.0)
    _, median, sigma = sigma_clipped_stats(data, sigma=3.0)
    if not np.isfinite(sigma) or sigma <= 0:
        return []
    fwhm = max(2.0, 2.0 / chart.pixel_scale_arcsec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDetectionsWarning)  # an empty field is answered with no stars
        found = DAOStarFinder(fwhm=fwhm, threshold=10.0 * sigma)(data - median)
    if found is None or len(found) == 0:
        return []
    x = np.asarray(found["x_centroid"], dtype=np.float64)
    y = np.asarray(found["y_centroid"], dtype=np.float64)
    flux = np.asarray(found["flux"], dtype=np.float64)
    usable = _usable(chart, x, y)
    stars: list[OffsetStar] = []
    for index in np.argsort(-flux):
        if not usable[index] or len(stars) == count:
            continue
        star_ra, star_dec = chart.wcs.all_pix2world([[x[index], y[index]]], 0)[0]
        east, north = offset_to_target(float(star_ra), float(star_dec), chart.ra, chart.dec)
        label = string.ascii_uppercase[len(stars)]
        stars.append(
            OffsetStar(label, float(star_ra), float(star_dec), x[index], y[index], flux[index], east, north)
        )
    return stars


def _usable(chart: FinderChart, x: FloatArray, y: FloatArray) -> npt.NDArray[np.bool_]:
    ny, nx = chart.image.shape
    margin = EDGE_FRACTION * nx
    inside = (x > margin) & (x < nx - 1 - margin) & (y > margin) & (y < ny - 1 - margin)
    scale = chart.pixel_scale_arcsec
    from_target = np.hypot(x - chart.target_x, y - chart.target_y) * scale
    pair = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) * scale
    np.fill_diagonal(pair, np.inf)
    isolated = pair.min(axis=1) > NEIGHBOUR_ARCSEC if len(x) > 1 else np.ones(len(x), dtype=bool)
    return np.asarray(inside & (from_target > NEAR_TARGET_ARCSEC) & isolated)


def finder_chart(
    name: str, ra: float, dec: float, image: FloatArray, wcs: WCS, source: str, stars: int = OFFSET_STARS
) -> FinderChart:
    """The chart of a target at (``ra``, ``dec``) on ``image``, its offset stars found."""
    if not wcs.has_celestial:
        raise ValueError("the image has no celestial WCS; a finding chart needs one")
    celestial = wcs.celestial
    x, y = celestial.all_world2pix([[ra, dec]], 0)[0]
    scale = float(np.mean(proj_plane_pixel_scales(celestial))) * 3600.0
    chart = FinderChart(
        name, ra, dec, np.asarray(image, dtype=np.float64), celestial, source, float(x), float(y), scale
    )
    chart.stars = find_offset_stars(chart, stars)
    return chart


def scale_bar_arcsec(fov_arcmin: float) -> float:
    """A round length for the scale bar, about a fifth of the field."""
    for length in (600.0, 300.0, 120.0, 60.0, 30.0, 10.0, 5.0):
        if length <= fov_arcmin * 60.0 / 4.0:
            return length
    return 5.0


def save_finder_png(chart: FinderChart, path: Path) -> None:
    """The chart as a PNG: grey image (zscale), target cross-hair, lettered offset stars and their
    offsets, a scale bar and the N/E arrows, as observers print them."""
    from astropy.visualization import ZScaleInterval

    from tom_tui.processing.plots.png import pyplot_for_files

    pyplot = pyplot_for_files()
    low, high = ZScaleInterval().get_limits(chart.image)
    figure, axes = pyplot.subplots(figsize=(6.4, 7.2), dpi=150)
    axes.imshow(chart.image, origin="lower", cmap="gray_r", vmin=low, vmax=high)
    _draw_marks(axes, chart)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_title(f"{chart.name}  RA {chart.ra:.5f}  Dec {chart.dec:+.5f}  ({chart.source})", fontsize=8)
    lines = [f'{s.label}: {s.east_arcsec:+.1f}" E  {s.north_arcsec:+.1f}" N to target' for s in chart.stars]
    figure.text(0.05, 0.02, "\n".join(lines) or "no offset stars found", fontsize=7, family="monospace")
    figure.subplots_adjust(left=0.03, right=0.97, top=0.95, bottom=0.14)
    figure.savefig(path)
    pyplot.close(figure)


TARGET_COLOUR = "#e00000"
STAR_COLOUR = "#0050ff"


def _draw_marks(axes: Any, chart: FinderChart) -> None:
    ny, nx = chart.image.shape
    gap, arm = nx * 0.015, nx * 0.05
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        axes.plot(
            [chart.target_x + dx * gap, chart.target_x + dx * (gap + arm)],
            [chart.target_y + dy * gap, chart.target_y + dy * (gap + arm)],
            color=TARGET_COLOUR,
            lw=1.6,
        )
    for star in chart.stars:
        axes.add_patch(_circle(star.x, star.y, nx * 0.025, STAR_COLOUR))
        axes.text(star.x + nx * 0.03, star.y + nx * 0.03, star.label, color=STAR_COLOUR, fontsize=9)
    bar = scale_bar_arcsec(chart.fov_arcmin)
    start_x, start_y = nx * 0.06, ny * 0.05
    axes.plot([start_x, start_x + bar / chart.pixel_scale_arcsec], [start_y, start_y], color="black", lw=2)
    label = f"{bar / 60:g}'" if bar >= 60 else f'{bar:g}"'
    axes.text(start_x, start_y + ny * 0.015, label, fontsize=8)
    origin_x, origin_y, length = nx * 0.88, ny * 0.08, nx * 0.08
    for word, (east, north) in (("N", (0.0, 1.0)), ("E", (1.0, 0.0))):
        ux, uy = chart.direction(east, north)
        axes.annotate(
            word,
            xy=(origin_x, origin_y),
            xytext=(origin_x + ux * length, origin_y + uy * length),
            arrowprops={"arrowstyle": "<-", "color": "black"},
            fontsize=8,
            ha="center",
            va="center",
        )


def _circle(x: float, y: float, radius: float, colour: str) -> Any:
    from matplotlib.patches import Circle

    return Circle((x, y), radius, fill=False, color=colour, lw=1.2)
