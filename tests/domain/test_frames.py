"""Frames read from real FITS headers: time, exposure, band, image type and night."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tom_tui.adapters.simulated.imaging import Camera, bias_frame
from tom_tui.domain.clock import to_mjd
from tom_tui.domain.frames import Frame, ImageType, image_type_of, observing_night, raw_frame_path

DATA = Path(__file__).parent.parent / "data"
RAW = DATA / "images" / "raw"


def test_light_frame_from_a_maxim_dl_header() -> None:
    header = fits.getheader(RAW / "msumastro_maximdl_6_18_light_r.fit")
    frame = Frame.from_header(header, path="raw/feder/20180822/light.fit", target_id=4, observation_id=9)
    assert frame.image_type is ImageType.SCIENCE
    assert frame.band == "r"
    assert frame.exposure_s == 90.0
    assert frame.instrument == "AspenCG16"
    assert frame.telescope == "ACP->TCSGalilHybrid.DFM.ASCOM.Telescope"
    assert frame.object_name == "kelt-16-b"
    # DATE-OBS 2018-08-23T08:49:30 UTC; the header's own MJD-OBS agrees to its 9 decimals.
    assert frame.mjd == pytest.approx(58353.367708333, abs=1e-8)
    assert frame.mjd == pytest.approx(header["MJD-OBS"], abs=1e-8)
    assert frame.night == "20180822"  # 08:49 UT belongs to the night that began on the 22nd
    assert (frame.path, frame.target_id, frame.observation_id) == ("raw/feder/20180822/light.fit", 4, 9)


def test_bias_and_flat_frames() -> None:
    bias = Frame.from_header(fits.getheader(RAW / "msumastro_biastest2.fit"))
    assert bias.image_type is ImageType.BIAS
    assert bias.exposure_s == 0.0
    assert bias.band is None
    assert bias.mjd == pytest.approx(to_mjd(dt.datetime(2012, 2, 6, 3, 4, 58, tzinfo=dt.UTC)))
    assert bias.night == "20120205"
    flat = Frame.from_header(fits.getheader(RAW / "msumastro_aspen_trimmed_flat_R.fit"))
    assert flat.image_type is ImageType.FLAT
    assert flat.band == "R"
    assert flat.exposure_s == 1.0
    assert flat.telescope == ""  # the header's TELESCOP is blank


def test_lco_header_names_its_night_and_has_no_filter() -> None:
    header = fits.getheader(DATA / "spectra" / "tom_base_test_spectrum_SN2017cbv_floyds.fits")
    frame = Frame.from_header(header)
    assert frame.night == "20170327"
    assert frame.image_type is ImageType.SPECTRUM
    assert frame.band is None  # FILTER = 'air': the slit has no filter
    # DATE-OBS has milliseconds; LCO's MJD-OBS is 0.4 s off it (rounded), so compare loosely.
    assert frame.mjd == pytest.approx(header["MJD-OBS"], abs=1e-5)
    assert frame.mjd == pytest.approx(to_mjd(dt.datetime(2017, 3, 27, 17, 2, 24, 711000, tzinfo=dt.UTC)))
    assert frame.exposure_s == 1200.0
    header["DAY-OBS"] = "20170326"  # the header's night wins over the UT-noon rule
    assert Frame.from_header(header).night == "20170326"


def test_date_only_date_obs_takes_the_time_from_ut() -> None:
    """Some cameras write the date in DATE-OBS and the time in UT, and round MJD-OBS to the day."""
    header = fits.getheader(RAW / "msumastro_maximdl_6_18_light_r.fit")
    header["DATE-OBS"] = "2018-08-23"
    header["MJD-OBS"] = 58353.0
    assert Frame.from_header(header).mjd == pytest.approx(58353.367708333, abs=1e-8)
    del header["DATE-OBS"]
    assert Frame.from_header(header).mjd == 58353.0  # MJD-OBS is the fallback


def test_other_time_scales_are_converted_to_utc() -> None:
    header = fits.getheader(RAW / "msumastro_maximdl_6_18_light_r.fit")
    header["TIMESYS"] = "TAI"  # TAI - UTC = 37 s in 2018
    assert Frame.from_header(header).mjd == pytest.approx(58353.367708333 - 37 / 86400, abs=1e-8)


def test_simulated_camera_frames_read_back() -> None:
    start = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
    hdul = bias_frame(Camera(), start, np.random.default_rng(1))
    frame = Frame.from_header(hdul[0].header)
    assert frame.image_type is ImageType.BIAS
    assert frame.band is None  # the simulator writes FILTER = 'none' on biases
    assert (frame.telescope, frame.instrument) == ("SIM-1m0", "SIMCAM")
    assert frame.mjd == pytest.approx(to_mjd(start), abs=1e-6)
    assert frame.night == "20261122"


def test_image_types_nights_and_paths() -> None:
    assert image_type_of("Light Frame") is ImageType.SCIENCE
    assert image_type_of("ZERO") is ImageType.BIAS
    assert image_type_of("Flat Field") is ImageType.FLAT
    assert image_type_of("mystery") is ImageType.OTHER
    assert observing_night(None) == "unknown"
    assert observing_night(dt.datetime(2026, 11, 23, 11, 59, tzinfo=dt.UTC)) == "20261122"
    assert observing_night(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)) == "20261123"
    assert raw_frame_path("LCO 1m/../x", "20261122", "a b.fits") == "raw/x/20261122/a_b.fits"
