"""Finding charts of targets (`tom-tui finder`): the field's image from a cutout service (the
simulated sky offline by default, or a survey through hips2fits), the target marked and offset
stars measured. A moving target is charted where it is at the time asked for (default: now)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tom_tui.domain.clock import now_mjd
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.target import TargetRef
from tom_tui.processing.finder import FinderChart, finder_chart, save_finder_png

__all__ = ["FinderChart", "make_finder", "preview", "save_png"]
from tom_tui.processing.plots.image_preview import PreviewImage, image_preview
from tom_tui.services.plugins import make_cutout_service
from tom_tui.services.targets.ephemeris import positions
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

DEFAULT_SERVICE = "simulated"
PIXELS = 600
FOV_LIMITS_ARCMIN = (0.5, 60.0)


def make_finder(
    store: Store,
    reference: TargetRef,
    *,
    fov_arcmin: float = 5.0,
    service: str | None = None,
    mjd: float | None = None,
) -> FinderChart:
    low, high = FOV_LIMITS_ARCMIN
    if not low <= fov_arcmin <= high:
        raise ValidationError(f"--fov: {fov_arcmin:g} arcmin; expected {low:g} to {high:g}")
    with store.read() as view:
        target = TargetRepository(view).resolve(reference)
    where = positions(target, np.array([mjd if mjd is not None else now_mjd()]), None)[0]
    name = service or str(store.setting("finder", "service", DEFAULT_SERVICE))
    cutout = make_cutout_service(name, store.config).cutout(where["ra"], where["dec"], fov_arcmin, PIXELS)
    from astropy.wcs import WCS

    return finder_chart(target.name, where["ra"], where["dec"], cutout.data, WCS(cutout.header), name)


def save_png(chart: FinderChart, path: Path) -> None:
    save_finder_png(chart, path)


def preview(
    chart: FinderChart, columns: int, rows: int
) -> tuple[PreviewImage, tuple[int, int], list[tuple[str, int, int]]]:
    """The chart drawn small for a terminal, and where (preview row, column; top row first) the
    target and each offset star fall in it."""
    picture = image_preview(chart.image, columns, rows)

    def cell(x: float, y: float) -> tuple[int, int]:
        column = min(picture.pixel_columns - 1, max(0, int(x // picture.block)))
        row_from_bottom = int(y // picture.block)
        return min(picture.pixel_rows - 1, max(0, picture.pixel_rows - 1 - row_from_bottom)), column

    stars = [(star.label, *cell(star.x, star.y)) for star in chart.stars]
    return picture, cell(chart.target_x, chart.target_y), stars
