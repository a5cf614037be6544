"""Finding charts: offset stars checked against the simulated sky's own star list, a real survey
image fetched through the hips2fits request (served on 127.0.0.1), and the PNG looked at."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from pytest_httpserver import HTTPServer

from tests.support.cli import Run, append_config, json_of
from tests.support.paths import DATA
from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.sky import separation_arcsec
from tom_tui.services.observations.finder import make_finder
from tom_tui.store.store import Store

REAL_FRAME = DATA / "images" / "raw" / "msumastro_maximdl_6_18_light_r.fit"  # Feder Obs., TAN WCS


def test_offset_stars_are_real_stars_of_the_field_with_true_offsets(
    run: Run, targets: None, store: Store
) -> None:
    chart = make_finder(store, "SN 2026abc", fov_arcmin=5.0)
    assert chart.source == "simulated" and len(chart.stars) == 4
    ra, dec, _ = SimulatedSky().field_stars(150.1, 25.3, 0.1)
    for star in chart.stars:
        nearest = int(np.argmin(separation_arcsec(star.ra, star.dec, ra, dec)))
        assert separation_arcsec(star.ra, star.dec, ra[nearest], dec[nearest]) < 0.3
        true_east = (150.1 - ra[nearest]) * math.cos(math.radians(25.3)) * 3600
        true_north = (25.3 - dec[nearest]) * 3600
        assert star.east_arcsec == pytest.approx(true_east, abs=0.3)
        assert star.north_arcsec == pytest.approx(true_north, abs=0.3)
    # The brightest clean stars come first.
    assert chart.stars[0].flux >= chart.stars[-1].flux


def test_a_survey_image_through_hips2fits(
    run: Run, targets: None, store: Store, httpserver: HTTPServer
) -> None:
    header = fits.getheader(REAL_FRAME)
    centre_ra, centre_dec = WCS(header).all_pix2world([[49.5, 49.5]], 0)[0]
    run("target", "add", "KELT-16", "--ra", str(centre_ra), "--dec", str(centre_dec))
    httpserver.expect_request(
        "/hips-image-services/hips2fits",
        query_string={
            "hips": "CDS/P/DSS2/red",
            "ra": f"{centre_ra:.7f}",
            "dec": f"{centre_dec:.7f}",
            "fov": f"{1.5 / 60:.6f}",
            "width": "600",
            "height": "600",
            "projection": "TAN",
            "coordsys": "icrs",
            "format": "fits",
        },
    ).respond_with_data(REAL_FRAME.read_bytes(), content_type="application/fits")
    append_config(store, f'[cutouts.hips2fits]\nbase_url = "{httpserver.url_for("/")}"')
    chart = make_finder(store, "KELT-16", fov_arcmin=1.5, service="hips2fits")
    assert chart.source == "hips2fits" and chart.image.shape == (100, 100)
    assert (chart.target_x, chart.target_y) == pytest.approx((49.5, 49.5), abs=1e-6)

    httpserver.clear()
    httpserver.expect_request("/hips-image-services/hips2fits").respond_with_data(b"<html>busy</html>")
    with pytest.raises(AdapterError, match="not a FITS image"):
        make_finder(store, "KELT-16", fov_arcmin=1.5, service="hips2fits")


def coloured(path: Path, rgb: tuple[int, int, int]) -> np.ndarray:
    from matplotlib.image import imread

    image = imread(path)[..., :3]
    return np.all(np.abs(image - np.array(rgb) / 255.0) < 0.08, axis=-1)


def test_png_shows_the_target_cross_at_the_target_and_the_stars_circled(
    run: Run, targets: None, tmp_path: Path
) -> None:
    png = tmp_path / "finder.png"
    assert run("finder", "SN 2026abc", "--png", str(png)).stdout.strip() == f"Wrote {png}"
    red = coloured(png, (0xE0, 0x00, 0x00))
    blue = coloured(png, (0x00, 0x50, 0xFF))
    assert red.sum() > 100 and blue.sum() > 100
    # The cross-hair is centred on the target, the middle of the image panel (the grey area
    # between the title and the offsets written below it).
    from matplotlib.image import imread

    grey = imread(png)[..., :3].mean(axis=-1)
    height = grey.shape[0]
    body = grey[int(0.06 * height) : int(0.85 * height)] < 0.97
    panel_rows, panel_columns = np.nonzero(body)
    centre_row = int(0.06 * height) + (panel_rows.min() + panel_rows.max()) / 2
    centre_column = (panel_columns.min() + panel_columns.max()) / 2
    red_rows, red_columns = np.nonzero(red)
    assert np.median(red_columns) == pytest.approx(centre_column, abs=4)
    assert np.median(red_rows) == pytest.approx(centre_row, abs=4)
    chart = json_of(run("finder", "SN 2026abc", "--json"))
    assert len(chart["offset_stars"]) == 4 and chart["fov_arcmin"] == pytest.approx(5.0)


def test_terminal_chart_and_bad_field(run: Run, targets: None) -> None:
    result = run("finder", "SN 2026abc")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SN 2026abc: 5.0' field from simulated, north up, east left")
    assert "▀" in result.stdout
    assert sum(line.lstrip().startswith(("A:", "B:", "C:", "D:")) for line in lines) == 4
    assert "--fov: 0.1 arcmin" in run("finder", "SN 2026abc", "--fov", "0.1", expect=1).stderr
