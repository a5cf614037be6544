"""Aperture photometry accuracy on simulated frames, and a zero point on a real Feder field."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest
from astropy.table import Table

from tests.processing.reduction.conftest import EXPOSURE_S, ReducedNight
from tests.support.paths import DATA
from tom_tui.domain.photometry import INCOMING_SCHEMA
from tom_tui.processing.reduction.astrometry import ReferenceCatalog, fit_wcs, match_to_catalog
from tom_tui.processing.reduction.photometry import (
    APERTURE_FWHM,
    MeasurementContext,
    TargetPosition,
    instrumental_magnitudes,
    robust_zero_point,
    source_table_arrow,
    target_measurements,
)

EY_UMA = DATA / "images" / "reduced_wcs"
VARIABLE_ID = 42


def matched_to_truth(reduced_night: ReducedNight) -> list[Table]:
    """Each frame's sources with ``star`` (index into the simulation's stars, -1 if none)."""
    stars = reduced_night.night.stars
    tables = []
    for frame in reduced_night.frames:
        sources = frame.results["sources"]
        distance = np.hypot(
            np.asarray(sources["x"])[:, None] - np.asarray(stars["x"])[None, :],
            np.asarray(sources["y"])[:, None] - np.asarray(stars["y"])[None, :],
        )
        nearest = np.argmin(distance, axis=1)
        # Two pixels: a saturated star's centre is the middle of its flat top, good to a pixel.
        sources["star"] = np.where(distance[np.arange(len(sources)), nearest] < 2.0, nearest, -1)
        tables.append(sources)
    return tables


def test_scatter_of_unsaturated_stars_is_the_ccd_equation_error(reduced_night: ReducedNight) -> None:
    stars = reduced_night.night.stars
    tables = matched_to_truth(reduced_night)
    normalised_residuals = []
    for star in np.flatnonzero(~stars["saturated"] & ~stars["variable"]):
        rows = [t[t["star"] == star] for t in tables]
        if any(len(r) != 1 or r["edge"][0] or r["masked"][0] for r in rows):
            continue
        flux = np.array([r["flux"][0] for r in rows])
        error = np.array([r["flux_err"][0] for r in rows])
        normalised_residuals.extend((flux - flux.mean()) / error * math.sqrt(len(flux) / (len(flux) - 1)))
    assert len(normalised_residuals) >= 30 * len(tables)
    assert np.std(normalised_residuals) <= 1.1


def test_zero_point_is_the_true_one(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    sigma = night.fwhm_pixels / (2 * math.sqrt(2 * math.log(2)))
    radius = APERTURE_FWHM * night.fwhm_pixels
    aperture_loss = 2.5 * math.log10(1 - math.exp(-(radius**2) / (2 * sigma**2)))
    for frame in reduced_night.frames:
        zero_point = frame.results["zero_point"]
        assert zero_point.value == pytest.approx(night.zero_point + aperture_loss, abs=0.01)
        assert 0 < zero_point.error < 0.01
        assert zero_point.star_count >= 25


def test_saturated_stars_are_flagged_and_left_out_of_the_zero_point(reduced_night: ReducedNight) -> None:
    stars = reduced_night.night.stars
    for sources in matched_to_truth(reduced_night):
        saturated = np.isin(sources["star"], np.flatnonzero(stars["saturated"]))
        unsaturated = (sources["star"] >= 0) & ~saturated
        assert saturated.sum() == 2
        assert sources["saturated"][saturated].all()
        assert not sources["saturated"][unsaturated].any()
        assert not sources["calibrator"][sources["saturated"]].any()


def test_the_variable_light_curve_is_recovered(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    context = MeasurementContext(magsys="AB", run="run-1")
    target = TargetPosition(VARIABLE_ID, night.variable.ra, night.variable.dec)
    rows = pa.concat_tables([target_measurements(frame, [target], context) for frame in reduced_night.frames])
    assert rows.schema == INCOMING_SCHEMA
    assert rows.num_rows == len(reduced_night.frames)
    mjd = np.array(rows["mjd"].to_pylist())
    expected_mjd = [night.mjd_of(i, EXPOSURE_S) for i in range(len(reduced_night.frames))]
    np.testing.assert_allclose(mjd, expected_mjd, atol=1e-6)
    truth = np.array([night.variable.magnitude(t) for t in mjd])
    mag = np.array(rows["mag"].to_pylist())
    magerr = np.array(rows["magerr"].to_pylist())
    assert np.ptp(truth) > 0.3  # the frames catch the variable brightening or fading
    # The variable loses the same light outside its aperture as the calibrators: no correction.
    assert np.all(np.abs(mag - truth) < 3 * magerr + 0.005)
    assert np.all(magerr < 0.02)
    first = rows.slice(0, 1).to_pylist()[0]
    assert first["filter"] == "r" and first["magsys"] == "AB" and first["source"] == "reduction"
    assert (first["telescope"], first["instrument"]) == ("SIM-0m5", "SIMCCD")
    assert first["target_id"] == VARIABLE_ID
    assert first["flux"] == pytest.approx(10 ** (-0.4 * (first["mag"] - 23.9)), rel=1e-9)
    extra = json.loads(first["extra"])
    assert extra["frame"] == "science0.fits" and extra["run"] == "run-1" and extra["calibrators"] >= 25


def test_a_target_outside_the_frame_gives_no_row(reduced_night: ReducedNight) -> None:
    night = reduced_night.night
    away = TargetPosition(1, night.ra + 1.0, night.dec)
    rows = target_measurements(reduced_night.frames[0], [away], MeasurementContext())
    assert rows.num_rows == 0


def test_source_table_goes_to_arrow(reduced_night: ReducedNight) -> None:
    table = source_table_arrow(reduced_night.frames[0].results["sources"])
    assert {"x", "y", "ra", "dec", "flux", "flux_err", "saturated", "edge", "mag", "mag_err"} <= set(
        table.column_names
    )
    assert table.num_rows == len(reduced_night.frames[0].results["sources"])


def test_zero_point_needs_calibrators() -> None:
    with pytest.raises(ValueError, match="2 calibrator stars; expected at least 3"):
        robust_zero_point(np.array([-10.0, -11.0]), np.array([0.01, 0.01]), np.array([15.0, 14.0]))


def feder_zero_point(catalog_file: str, mag_column: str) -> tuple[float, float, float]:
    """Zero point of the real EY UMa frame against a catalog: value, error, scatter."""
    sources = Table.read(EY_UMA / "stellarphot_ey-uma-001R_sources.ecsv")
    catalog = ReferenceCatalog.read(EY_UMA / catalog_file, mag_column=mag_column)
    x = np.asarray(sources["xcenter"], dtype=np.float64)
    y = np.asarray(sources["ycenter"], dtype=np.float64)
    from astropy.io import fits
    from astropy.wcs import WCS

    start = WCS(fits.getheader(EY_UMA / "stellarphot_sample_wcs_ey_uma.fits"))
    match = match_to_catalog(x, y, catalog, start, (4096, 4096), search_radius=150.0, match_radius=3.0)
    fit = fit_wcs(
        x[match.detection], y[match.detection], catalog.ra[match.catalog], catalog.dec[match.catalog]
    )
    match = match_to_catalog(x, y, catalog, fit.wcs, (4096, 4096), search_radius=3.0, match_radius=1.5)
    flux = np.asarray(sources["aperture_net_flux"], dtype=np.float64)
    # stellarphot's mag_error is the instrumental magnitude's error.
    flux_err = np.asarray(sources["mag_error"], dtype=np.float64) * flux * math.log(10) / 2.5
    mag, mag_err = instrumental_magnitudes(flux, flux_err, float(sources["exposure"][0]))
    assert mag_err == pytest.approx(np.asarray(sources["mag_error"]), rel=1e-9, nan_ok=True)
    calibrators = match.detection
    zero_point = robust_zero_point(
        mag[calibrators],
        mag_err[calibrators],
        catalog.mag[match.catalog],
        None if catalog.mag_error is None else catalog.mag_error[match.catalog],
    )
    return zero_point.value, zero_point.error, zero_point.scatter


def test_real_feder_zero_point_agrees_between_apass_and_refcat2() -> None:
    apass, apass_err, apass_scatter = feder_zero_point("stellarphot_all_apass_ey_uma.ecsv", "r'mag")
    refcat, refcat_err, refcat_scatter = feder_zero_point("stellarphot_all_refcat2_ey_uma.ecsv", "rmag")
    # Instrumental R (counts per second) against r: a zero point near 20 for a 0.6 m telescope.
    assert 18.0 < refcat < 23.0
    assert refcat_scatter < 0.1 and apass_scatter < 0.15
    assert abs(apass - refcat) < 3 * math.hypot(apass_err, refcat_err) + 0.03
