"""Each real raw frame classifies to the type, filter, exposure, binning, size and date its
header states; a header that states no known type is unknown with the reason, never guessed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from astropy.io import fits

from tom_tui.domain.clock import to_mjd
from tom_tui.domain.frames import (
    GENERIC_CONVENTIONS,
    Frame,
    HeaderConventions,
    ImageType,
    classify_image_type,
)

RAW = Path(__file__).parent.parent / "data" / "images" / "raw"


def _frame(name: str) -> Frame:
    return Frame.from_header(fits.getheader(RAW / name))


def test_saao_object_frame_with_date_and_time_in_separate_keywords() -> None:
    frame = _frame("ccdproc_a8280271.fits")
    assert frame.image_type is ImageType.LIGHT  # IMAGETYP = 'object' (IRAF)
    assert frame.exposure_s == pytest.approx(150.04)
    assert frame.mjd == pytest.approx(to_mjd(dt.datetime(2013, 7, 13, 0, 57, 33, tzinfo=dt.UTC)), abs=1e-8)
    assert frame.night == "20130712"  # 00:57 UT belongs to the evening of the 12th
    assert frame.size == (536, 520)  # with its overscan columns
    assert frame.binning is None  # the header says nothing about binning
    assert frame.band is None  # FILTERS = 48 is a wheel code, not a filter name
    assert (frame.telescope, frame.instrument, frame.object_name) == ("SAAO 1.0m", "STE3 CCD", "rf0420")
    assert frame.unknown_reason == ""


def test_feder_dark_and_maxim_dl_light() -> None:
    dark = _frame("msumastro_darktest1.fit")
    assert dark.image_type is ImageType.DARK
    assert (dark.exposure_s, dark.binning, dark.size) == (30.0, (1, 1), (100, 100))
    assert dark.mjd == pytest.approx(to_mjd(dt.datetime(2012, 2, 6, 11, 45, 25, tzinfo=dt.UTC)))
    assert dark.night == "20120205"
    light = _frame("msumastro_maximdl_5_23_light_B.fit")
    assert light.image_type is ImageType.LIGHT
    assert (light.band, light.exposure_s, light.binning, light.size) == ("B", 90.0, (1, 1), (200, 100))
    assert light.object_name == "ngc-6946" and light.night == "20131015"
    # DATE-OBS 2013-10-16T06:46:34; the header's JD says the same instant.
    header = fits.getheader(RAW / "msumastro_maximdl_5_23_light_B.fit")
    assert light.mjd == pytest.approx(header["JD"] - 2400000.5, abs=1e-6)


def test_a_light_frame_without_filter_or_telescope() -> None:
    frame = _frame("msumastro_celestron_nightscape_light.fit")
    assert frame.image_type is ImageType.LIGHT
    assert (frame.band, frame.exposure_s, frame.size, frame.telescope) == (None, 60.0, (16, 16), "")
    assert frame.instrument == "Celestron Nightscape 10100"


def test_an_unknown_type_is_unknown_with_the_reason() -> None:
    header = fits.getheader(RAW / "msumastro_darktest1.fit")
    header["IMAGETYP"] = "Tricolour"
    frame = Frame.from_header(header)
    assert frame.image_type is ImageType.UNKNOWN
    assert "IMAGETYP = 'Tricolour'" in frame.unknown_reason
    del header["IMAGETYP"]
    frame = Frame.from_header(header)
    assert frame.image_type is ImageType.UNKNOWN  # not guessed from EXPTIME = 30 or the object name
    assert frame.unknown_reason == "the header has no IMAGETYP or OBSTYPE keyword naming the frame type"


def test_header_spellings_of_each_type() -> None:
    for value, expected in [
        ("Bias Frame", ImageType.BIAS),
        ("zero", ImageType.BIAS),
        ("Dark Frame", ImageType.DARK),
        ("Flat Field", ImageType.FLAT),
        ("SKYFLAT", ImageType.FLAT),
        ("Light Frame", ImageType.LIGHT),
        ("object", ImageType.LIGHT),
        ("EXPOSE", ImageType.LIGHT),
    ]:
        assert classify_image_type({"IMAGETYP": value}) == (expected, ""), value
    # OBSTYPE is read when IMAGETYP is absent (LCO), and a known OBSTYPE wins over an odd IMAGETYP.
    assert classify_image_type({"OBSTYPE": "BIAS"})[0] is ImageType.BIAS
    assert classify_image_type({"IMAGETYP": "calib", "OBSTYPE": "FLAT"})[0] is ImageType.FLAT
    assert ImageType("light") is ImageType.SCIENCE and ImageType("unknown") is ImageType.OTHER  # aliases


def test_binning_polarimetry_angles_and_record_round_trip() -> None:
    header = fits.getheader(RAW / "msumastro_maximdl_5_23_light_B.fit")
    del header["XBINNING"], header["YBINNING"]
    header["CCDSUM"] = "2 2"  # LCO and NOAO spelling
    header["POLANGLE"] = 45.0
    frame = Frame.from_header(header, path="raw/FEDER/20131015/x.fit")
    assert frame.binning == (2, 2) and frame.polarizer_deg == 45.0 and frame.hwp_deg is None
    assert Frame.from_record(frame.to_record()) == frame
    header["HWPANGLE"] = 22.5
    assert Frame.from_header(header).hwp_deg == 22.5


def test_an_instrument_s_own_spellings() -> None:
    header = fits.getheader(RAW / "ccdproc_a8280271.fits")
    conventions = HeaderConventions(
        image_types={**GENERIC_CONVENTIONS.image_types, "science exposure": ImageType.LIGHT},
        filter_keywords=("FILTERS",),
        filter_names={"48": "V"},
        default_binning=(1, 1),
    )
    frame = Frame.from_header(header, conventions=conventions)
    assert (frame.band, frame.binning) == ("V", (1, 1))
    header["IMAGETYP"] = "science  Exposure"
    assert Frame.from_header(header, conventions=conventions).image_type is ImageType.LIGHT
