"""Stars, FWHM and WCS fits on simulated frames (truth known) and on a real Feder field."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from tests.processing.reduction.conftest import EXPOSURE_S, ReducedNight
from tests.support.paths import DATA
from tom_tui.processing.reduction.astrometry import (
    ReferenceCatalog,
    SolveAstrometry,
    fit_wcs,
    match_to_catalog,
)
from tom_tui.processing.reduction.calibrate import calibration_stages
from tom_tui.processing.reduction.stages import FrameFlag, ReductionFrame, run_stages

EY_UMA = DATA / "images" / "reduced_wcs"


def test_fitted_wcs_puts_catalog_stars_on_their_true_pixels(reduced_night: ReducedNight) -> None:
    stars = reduced_night.night.stars
    for frame in reduced_night.frames:
        assert not frame.dropped, frame.reasons
        assert frame.results["astrometric_rms_px"] <= 0.1
        x, y = frame.ccd.wcs.all_world2pix(stars["ra"], stars["dec"], 0)
        offsets = np.hypot(x - stars["x"], y - stars["y"])
        assert np.sqrt(np.mean(offsets**2)) < 0.05
        assert frame.results["wcs_fit"].star_count >= 30


def test_header_wcs_was_off_by_the_pointing_error(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    x, y = night.header_wcs.all_world2pix(night.stars["ra"], night.stars["dec"], 0)
    assert np.median(np.hypot(x - night.stars["x"], y - night.stars["y"])) > 4.0


def test_fwhm_is_the_seeing(reduced_night: ReducedNight) -> None:
    for frame in reduced_night.frames:
        assert frame.results["fwhm_px"] == pytest.approx(reduced_night.night.fwhm_pixels, rel=0.05)


def test_a_frame_with_no_stars_is_dropped_with_a_reason(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    blank = night.dark(0, exptime=EXPOSURE_S)[0]
    blank.header.update(night.header_wcs.to_header())
    frame = ReductionFrame.from_hdu(blank, name="blank.fits")
    done = run_stages(
        frame,
        [
            *calibration_stages(reduced_night.camera, reduced_night.bias, reduced_night.dark),
            SolveAstrometry(reduced_night.catalog),
        ],
    )
    assert done.dropped and done.flags & FrameFlag.NO_STARS
    assert done.reasons[0].startswith("blank.fits: no stars found above 5 sigma")


def test_a_catalog_of_another_field_gives_no_match(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    elsewhere = ReferenceCatalog(
        ra=np.asarray(night.catalog["ra"]) + 0.5, dec=np.asarray(night.catalog["dec"])
    )
    frame = ReductionFrame.from_hdu(night.science(0, EXPOSURE_S)[0], name="science0.fits")
    stages = calibration_stages(
        reduced_night.camera, reduced_night.bias, reduced_night.dark, reduced_night.flat
    )
    done = run_stages(frame, [*stages, SolveAstrometry(elsewhere)])
    assert done.dropped and done.flags & FrameFlag.NO_ASTROMETRIC_MATCH
    assert "stars matched the reference catalog; expected at least 6" in done.reasons[0]


@pytest.mark.parametrize("suffix", [".ecsv", ".csv", ".fits"])
def test_reference_catalog_files_in_each_format(tmp_path, suffix: str) -> None:
    apass = Table.read(EY_UMA / "stellarphot_all_apass_ey_uma.ecsv")
    path = tmp_path / f"apass{suffix}"
    apass["RAJ2000", "DEJ2000", "r'mag", "e_r'mag"].write(path)
    catalog = ReferenceCatalog.read(path, mag_column="r'mag")
    assert len(catalog) == len(apass) == 54
    np.testing.assert_allclose(catalog.ra, apass["RAJ2000"])
    assert catalog.mag_error is not None and np.isfinite(catalog.mag_error).sum() > 40


def test_reference_catalog_names_a_missing_column(tmp_path) -> None:
    path = tmp_path / "stars.csv"
    path.write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="has no right ascension column; expected one of ra, RA"):
        ReferenceCatalog.read(path)


def ey_uma_sources() -> Table:
    return Table.read(EY_UMA / "stellarphot_ey-uma-001R_sources.ecsv")


def ey_uma_header_wcs() -> WCS:
    return WCS(fits.getheader(EY_UMA / "stellarphot_sample_wcs_ey_uma.fits"))


def test_real_feder_stars_fit_a_wcs_from_the_field_wcs_of_another_night() -> None:
    sources = ey_uma_sources()
    catalog = ReferenceCatalog.read(EY_UMA / "stellarphot_all_refcat2_ey_uma.ecsv", mag_column="rmag")
    x = np.asarray(sources["xcenter"], dtype=np.float64)
    y = np.asarray(sources["ycenter"], dtype=np.float64)
    # The 2014-12-30 WCS is about 120 pixels from where the 2014-12-29 frame pointed.
    match = match_to_catalog(
        x, y, catalog, ey_uma_header_wcs(), (4096, 4096), search_radius=150.0, match_radius=3.0
    )
    assert len(match) >= 25
    fit = fit_wcs(
        x[match.detection], y[match.detection], catalog.ra[match.catalog], catalog.dec[match.catalog]
    )
    # A real TAN-SIP field: distortion terms bring the RMS from 0.4 px (plain TAN) to 0.3 px.
    assert fit.sip_degree == 2
    assert fit.rms_px < 0.35
    # stellarphot's own sky positions for these stars (from the frame's plate solution) agree.
    ra, dec = fit.wcs.all_pix2world(x, y, 0)
    separation = np.hypot((ra - sources["RA"]) * np.cos(np.radians(dec)), dec - sources["Dec"]) * 3600
    assert np.median(separation) < 1.0
