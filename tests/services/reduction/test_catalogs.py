"""Reference catalogs for a frame: a user's file with the band column its filter names, the
simulated sky offline, and Gaia DR3 through astroquery (real recorded archive answers served on
127.0.0.1), cached in the store so a field is asked for once."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.stats import mad_std
from astropy.table import Table
from astropy.time import Time
from astropy.wcs import WCS
from pytest_httpserver import HTTPServer

from tests.support.cli import append_config
from tests.support.paths import CATALOGS, DATA
from tom_tui.adapters.simulated.imaging import STAR_COLOUR, Camera
from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.frames import Frame
from tom_tui.processing.reduction.reference_stars import catalog_in_band
from tom_tui.services.reduction.catalogs import reference_catalog_for
from tom_tui.services.reduction.frames import import_frames
from tom_tui.store.store import Store


def _values(column: object) -> np.ndarray:
    return np.asarray(np.ma.filled(np.ma.asarray(column, dtype=float), np.nan), dtype=float)


GAIA = CATALOGS / "gaia"
WCS_DATA = DATA / "images" / "reduced_wcs"
APASS = WCS_DATA / "stellarphot_all_apass_ey_uma.ecsv"
REFCAT2 = WCS_DATA / "stellarphot_all_refcat2_ey_uma.ecsv"
TAP_SYNC = "/tap-server/tap/sync"


def _frame_file(
    folder: Path,
    name: str,
    ra: float,
    dec: float,
    band: str,
    telescope: str = "TEST-0m4",
    when: dt.datetime = dt.datetime(2026, 1, 15, 22, 0),
    scale_arcsec: float = 1.0,
    size: int = 64,
) -> Path:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(size + 1) / 2, (size + 1) / 2]
    wcs.wcs.cdelt = [-scale_arcsec / 3600.0, scale_arcsec / 3600.0]
    header = wcs.to_header()
    header.update(
        {
            "IMAGETYP": "LIGHT",
            "FILTER": band,
            "EXPTIME": 60.0,
            "DATE-OBS": when.isoformat(),
            "TELESCOP": telescope,
            "INSTRUME": "CCD",
        }
    )
    path = folder / name
    fits.PrimaryHDU(np.zeros((size, size), dtype=np.uint16), header).writeto(path)
    return path


def _imported(store: Store, *paths: Path) -> list[Frame]:
    frames = [outcome.frame for outcome in import_frames(store, list(paths))]
    assert all(frames)
    return [frame for frame in frames if frame is not None]


# ---- the user's catalog file -------------------------------------------------------------------


def test_a_user_catalog_gives_the_column_of_the_frames_filter(store: Store, tmp_path: Path) -> None:
    apass = Table.read(APASS)
    sloan, johnson = _imported(
        store,
        _frame_file(tmp_path, "r.fits", 135.68, 49.74, "rp"),
        _frame_file(tmp_path, "v.fits", 135.68, 49.74, "V"),
    )
    in_r = reference_catalog_for(store, sloan, APASS)
    assert in_r.mag is not None and in_r.mag_error is not None
    np.testing.assert_array_equal(in_r.ra, np.asarray(apass["RAJ2000"], dtype=float))
    np.testing.assert_array_equal(in_r.mag, _values(apass["r'mag"]))
    np.testing.assert_array_equal(in_r.mag_error, _values(apass["e_r'mag"]))
    assert "r'mag" in in_r.note
    in_v = reference_catalog_for(store, johnson, APASS)
    assert in_v.mag is not None
    np.testing.assert_array_equal(in_v.mag, _values(apass["Vmag"]))


def test_a_catalog_from_the_configuration_per_telescope(store: Store, tmp_path: Path) -> None:
    (store.root / "refs").mkdir()
    (store.root / "refs" / "refcat2.ecsv").write_bytes(REFCAT2.read_bytes())
    append_config(
        store, '[reduction]\ngaia = false\n[reduction.catalogs]\n"TEST-0m4" = "refs/refcat2.ecsv"\n'
    )
    (frame,) = _imported(store, _frame_file(tmp_path, "i.fits", 135.68, 49.74, "ip"))
    catalog = reference_catalog_for(store, frame)
    refcat2 = Table.read(REFCAT2)
    assert catalog.mag is not None
    np.testing.assert_array_equal(catalog.mag, _values(refcat2["imag"]))


def test_johnson_r_from_refcat2_goes_through_gaia_and_agrees_with_apass(tmp_path: Path) -> None:
    """REFCAT2 has no Cousins R: its Gaia G, BP, RP are converted. Checked against APASS's own
    magnitudes of the same stars (V, which APASS measures; and r from REFCAT2's own r)."""
    refcat2 = Table.read(REFCAT2)
    apass = Table.read(APASS)
    via_gaia_v = catalog_in_band(refcat2, "V", "refcat2")
    assert via_gaia_v.mag is not None and "Gaia DR3" in via_gaia_v.note
    ours = SkyCoord(via_gaia_v.ra * u.deg, via_gaia_v.dec * u.deg)
    theirs = SkyCoord(apass["RAJ2000"], apass["DEJ2000"])
    index, separation, _ = theirs.match_to_catalog_sky(ours)
    apass_v = _values(apass["Vmag"])
    ok = (separation < 2 * u.arcsec) & np.isfinite(apass_v) & np.isfinite(via_gaia_v.mag[index])
    ok &= apass_v < 15.5  # APASS is precise to a few hundredths only for brighter stars
    difference = via_gaia_v.mag[index][ok] - apass_v[ok]
    assert ok.sum() >= 15
    assert abs(np.median(difference)) < 0.05
    # r: the Gaia conversion against REFCAT2's own r (Pan-STARRS based) for every star.
    without_r = refcat2.copy()
    without_r.remove_columns(["rmag", "e_rmag"])
    via_gaia_r = catalog_in_band(without_r, "r", "refcat2")
    own_r = _values(refcat2["rmag"])
    assert via_gaia_r.mag is not None
    both = np.isfinite(via_gaia_r.mag) & np.isfinite(own_r)
    assert both.sum() > 100
    assert abs(np.median(via_gaia_r.mag[both] - own_r[both])) < 0.05
    bright = both & (_values(refcat2["Gmag"]) < 17.0)  # photon noise aside: the relation's own scatter
    assert bright.sum() > 30
    # Robust scatter near the relation's stated 0.038 mag (blends and variables aside).
    assert mad_std(via_gaia_r.mag[bright] - own_r[bright]) < 0.05


def test_user_catalog_problems_are_one_sentence(store: Store, tmp_path: Path) -> None:
    (frame,) = _imported(store, _frame_file(tmp_path, "h.fits", 135.68, 49.74, "Halpha"))
    with pytest.raises(ValidationError, match=r"^--catalog .*missing.ecsv: no such file"):
        reference_catalog_for(store, frame, tmp_path / "missing.ecsv")
    no_ra = tmp_path / "no_ra.csv"
    no_ra.write_text("x,y,mag\n1,2,15.0\n")
    with pytest.raises(ValidationError, match="no right ascension column; expected one of ra, RA"):
        reference_catalog_for(store, frame, no_ra)
    with pytest.raises(
        ValidationError, match=r"no magnitudes for filter 'Halpha'.* its columns are _r, RAJ2000"
    ):
        reference_catalog_for(store, frame, APASS)
    garbage = tmp_path / "garbage.fits"
    garbage.write_bytes(b"SIMPLE = nonsense")
    with pytest.raises(ValidationError, match="cannot be read as an ECSV, CSV or FITS table"):
        reference_catalog_for(store, frame, garbage)


# ---- the simulated telescope -------------------------------------------------------------------


def test_the_simulated_telescope_uses_the_simulated_skys_stars(store: Store, tmp_path: Path) -> None:
    camera = Camera()
    (frame,) = _imported(
        store,
        _frame_file(
            tmp_path,
            "sim.fits",
            150.0,
            20.0,
            "g",
            camera.telescope,
            scale_arcsec=camera.pixel_scale_arcsec,
            size=512,
        ),
    )
    catalog = reference_catalog_for(store, frame)
    ra, dec, r_mag = SimulatedSky(seed=2026).field_stars(150.0, 20.0, 0.02)
    drawn = SkyCoord(ra * u.deg, dec * u.deg)
    listed = SkyCoord(catalog.ra * u.deg, catalog.dec * u.deg)
    index, separation, _ = drawn.match_to_catalog_sky(listed)
    assert np.all(separation < 1e-6 * u.arcsec)  # every star the telescope draws near the centre
    assert catalog.mag is not None
    np.testing.assert_allclose(catalog.mag[index], r_mag + STAR_COLOUR["g"])


# ---- Gaia DR3 through astroquery -----------------------------------------------------------------


@pytest.fixture
def gaia_store(store: Store, httpserver: HTTPServer) -> Store:
    append_config(store, f'[reduction]\ngaia_url = "{httpserver.url_for("/")}"\ngaia_timeout = 5\n')
    return store


def _serve_gaia(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TAP_SYNC, method="POST").respond_with_data(
        (GAIA / "astroquery_gaia_result.ecsv").read_bytes(), content_type="text/plain"
    )


def test_gaia_is_asked_once_per_field_and_answers_in_the_frames_band(
    gaia_store: Store, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _serve_gaia(httpserver)
    first, second = _imported(
        gaia_store,
        _frame_file(tmp_path, "a.fits", 280.0, -59.995, "r"),
        _frame_file(tmp_path, "b.fits", 280.003, -59.994, "r", when=dt.datetime(2026, 1, 15, 23, 0)),
    )
    catalog = reference_catalog_for(gaia_store, first)
    assert len(httpserver.log) == 1
    form = httpserver.log[0][0].form
    assert (form["REQUEST"], form["LANG"], form["FORMAT"]) == ("doQuery", "ADQL", "ecsv")
    query = " ".join(form["QUERY"].split())
    assert "FROM gaiadr3.gaia_source" in query
    circle = re.search(
        r"CONTAINS\(POINT\('ICRS', ra, dec\), CIRCLE\('ICRS', ([-\d.]+), ([-\d.]+), ([\d.]+)\)\)", query
    )
    assert circle is not None
    cone_ra, cone_dec, cone_radius = (float(value) for value in circle.groups())
    # The cone covers both frames (centres 3.3" apart, corners 45" from their centres).
    for ra, dec in ((280.0, -59.995), (280.003, -59.994)):
        reach = SkyCoord(cone_ra * u.deg, cone_dec * u.deg).separation(SkyCoord(ra * u.deg, dec * u.deg))
        assert reach.deg + 64 * np.sqrt(2) / 2 / 3600 < cone_radius
    assert "phot_g_mean_mag < 20.00 ORDER BY phot_g_mean_mag ASC" in query
    assert query.startswith("SELECT TOP 5000 source_id, ra, dec, pmra, pmdec, phot_g_mean_mag")

    answer = Table.read(GAIA / "astroquery_gaia_result.ecsv")
    assert len(catalog) == len(answer) == 5
    assert catalog.mag is not None and catalog.mag_error is not None
    # G - r of the Gaia DR3 documentation (5.5.1) for each star with 0 < BP-RP < 3.
    colour = np.asarray(answer["phot_bp_mean_mag"] - answer["phot_rp_mean_mag"], dtype=float)
    g_minus_r = -0.09837 + 0.08592 * colour + 0.1907 * colour**2 - 0.1701 * colour**3 + 0.02263 * colour**4
    expected = np.where(
        (colour > 0) & (colour < 3), np.asarray(answer["phot_g_mean_mag"]) - g_minus_r, np.nan
    )
    np.testing.assert_allclose(catalog.mag, expected, equal_nan=True)
    assert np.all(catalog.mag_error[np.isfinite(expected)] >= 0.03776)
    assert "Gaia DR3 G, BP, RP converted to SDSS r" in catalog.note
    assert list((gaia_store.root / "catalogs" / "gaia").glob("*.parquet"))

    again = reference_catalog_for(gaia_store, second)  # same field: read from the store
    assert len(httpserver.log) == 1
    assert len(again) == 5


# astropy's space motion warns that the stars have no distance: none is needed for this check.
@pytest.mark.filterwarnings("ignore:ERFA function")
def test_gaia_positions_are_moved_to_the_frames_date(
    gaia_store: Store, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _serve_gaia(httpserver)
    when = dt.datetime(2026, 6, 1, 3, 0)
    (frame,) = _imported(gaia_store, _frame_file(tmp_path, "pm.fits", 280.0, -59.995, "V", when=when))
    catalog = reference_catalog_for(gaia_store, frame)
    answer = Table.read(GAIA / "astroquery_gaia_result.ecsv")
    moving = SkyCoord(
        ra=answer["ra"],
        dec=answer["dec"],
        pm_ra_cosdec=np.nan_to_num(_values(answer["pmra"])) * u.mas / u.yr,
        pm_dec=np.nan_to_num(_values(answer["pmdec"])) * u.mas / u.yr,
        obstime=Time(2016.0, format="jyear"),
        frame="icrs",
    )
    there = moving.apply_space_motion(new_obstime=Time(when.replace(tzinfo=dt.UTC)))
    moved = SkyCoord(catalog.ra * u.deg, catalog.dec * u.deg)
    known = np.isfinite(_values(answer["pmra"]))
    assert known.sum() == 3
    assert np.all(moved[known].separation(there[known]) < 1 * u.mas)
    assert np.all(moved[known].separation(SkyCoord(answer["ra"], answer["dec"])[known]) > 5 * u.mas)
    # Stars without a proper motion stay at their catalog position.
    assert np.all(moved[~known].separation(SkyCoord(answer["ra"], answer["dec"])[~known]) < 1e-6 * u.mas)


def test_gaia_down_or_refusing_is_one_sentence_and_caches_nothing(
    store: Store, httpserver: HTTPServer, tmp_path: Path
) -> None:
    (frame,) = _imported(store, _frame_file(tmp_path, "x.fits", 280.0, -59.995, "r"))
    append_config(store, '[reduction]\ngaia_url = "http://127.0.0.1:9/"\ngaia_timeout = 2\n')
    with pytest.raises(AdapterError, match=r"^the Gaia archive at http://127.0.0.1:9/ did not answer"):
        reference_catalog_for(store, frame)
    assert not (store.root / "catalogs").exists()


def test_gaia_error_answer_is_one_sentence(gaia_store: Store, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(TAP_SYNC, method="POST").respond_with_data("Service unavailable", status=503)
    (frame,) = _imported(gaia_store, _frame_file(tmp_path, "y.fits", 280.0, -59.995, "r"))
    with pytest.raises(AdapterError, match="did not answer the cone search") as caught:
        reference_catalog_for(gaia_store, frame)
    assert "\n" not in str(caught.value)


def test_gaia_can_be_turned_off(store: Store, tmp_path: Path) -> None:
    append_config(store, "[reduction]\ngaia = false\n")
    (frame,) = _imported(store, _frame_file(tmp_path, "z.fits", 280.0, -59.995, "r"))
    with pytest.raises(ValidationError, match=r"Gaia is turned off \(\[reduction\] gaia = false\)"):
        reference_catalog_for(store, frame)


def test_a_plain_mag_column_is_taken_as_the_frames_band(tmp_path: Path) -> None:
    table = Table({"ra": [10.0, 10.01], "dec": [20.0, 20.01], "mag": [15.0, 16.5], "e_mag": [0.01, 0.02]})
    catalog = catalog_in_band(table, "V", "field.ecsv")
    assert catalog.mag is not None and catalog.mag_error is not None
    np.testing.assert_array_equal(catalog.mag, [15.0, 16.5])
    np.testing.assert_array_equal(catalog.mag_error, [0.01, 0.02])
    assert catalog.note == "field.ecsv: column mag"


def test_the_reduction_settings_are_checked(store: Store) -> None:
    from tom_tui.services.config import config_problems

    good = {
        "reduction": {
            "catalog": "refcat2.ecsv",
            "catalogs": {"SIM-1m0": "sim.ecsv"},
            "catalog_columns": {"R": "Rc_mag"},
            "gaia": True,
            "gaia_url": "https://gea.esac.esa.int/",
            "gaia_timeout": 30,
            "gaia_faintest_mag": 19.0,
        }
    }
    assert config_problems(good) == []
    problems = config_problems({"reduction": {"gaia_urll": "x", "gaia_timeout": -1}})
    assert "unknown key 'gaia_urll'; did you mean 'gaia_url'?" in problems[0]
    assert "gaia_timeout = -1; expected a positive number" in problems[1]


def test_a_frame_without_wcs_is_placed_by_its_pointing_keywords(
    gaia_store: Store, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _serve_gaia(httpserver)
    path = _frame_file(tmp_path, "nowcs.fits", 280.0, -59.995, "V")
    with fits.open(path, mode="update") as hdul:
        for keyword in ("CTYPE1", "CTYPE2", "CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2", "CDELT1", "CDELT2"):
            hdul[0].header.remove(keyword, ignore_missing=True)
        hdul[0].header["OBJCTRA"], hdul[0].header["OBJCTDEC"] = "18:40:00.0", "-59:59:42"
        hdul[0].header["PIXSCALE"] = 1.0
    (frame,) = _imported(gaia_store, path)
    catalog = reference_catalog_for(gaia_store, frame)
    assert len(catalog) == 5
    assert "CIRCLE('ICRS', 279.9889" in httpserver.log[0][0].form["QUERY"]


def test_a_frame_that_says_nowhere_where_it_points_is_named(gaia_store: Store, tmp_path: Path) -> None:
    path = _frame_file(tmp_path, "lost.fits", 280.0, -59.995, "V")
    with fits.open(path, mode="update") as hdul:
        for keyword in ("CTYPE1", "CTYPE2", "CRVAL1", "CRVAL2"):
            hdul[0].header.remove(keyword)
    (frame,) = _imported(gaia_store, path)
    with pytest.raises(ValidationError, match=r"^lost.fits says nowhere where it points: expected a WCS"):
        reference_catalog_for(gaia_store, frame)
