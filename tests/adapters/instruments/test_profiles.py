"""Instrument profiles: the simulated camera's frames, the generic conventions on real headers,
detector values, settings from tom-tui.toml, and reading damaged files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tom_tui.adapters.instruments.base import (
    FrameFileError,
    PolarimetryMode,
    read_frame_header,
    setting_problems,
)
from tom_tui.adapters.instruments.generic import GenericProfile
from tom_tui.adapters.instruments.simulated import SimulatedProfile
from tom_tui.adapters.simulated.imaging import Camera, Sources, bias_frame, flat_frame, science_frame
from tom_tui.domain.clock import to_mjd
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import ImageType

RAW = Path(__file__).resolve().parents[2] / "data" / "images" / "raw"
START = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)


def _science(camera: Camera) -> fits.HDUList:
    sources = Sources(np.array([150.1]), np.array([25.3]), np.array([16.0]))
    return science_frame(
        camera,
        pointing_ra=150.1,
        pointing_dec=25.3,
        sources=sources,
        band="g",
        exptime=30.0,
        date_obs=START,
        object_name="SN 2026abc",
        seeing_arcsec=1.2,
        sky_mag_arcsec2=21.0,
        airmass=1.1,
        rng=np.random.default_rng(3),
    )


def test_the_simulated_camera_s_frames_classify() -> None:
    camera, rng = Camera(), np.random.default_rng(2)
    profile = SimulatedProfile()
    bias = profile.classify(bias_frame(camera, START, rng)[0].header)
    flat = profile.classify(flat_frame(camera, "r", START, rng)[0].header)
    light = profile.classify(_science(camera)[0].header)
    assert [bias.image_type, flat.image_type, light.image_type] == [
        ImageType.BIAS,
        ImageType.FLAT,
        ImageType.LIGHT,
    ]
    assert (bias.band, flat.band, light.band) == (None, "r", "g")
    assert (bias.exposure_s, flat.exposure_s, light.exposure_s) == (0.0, 5.0, 30.0)
    assert light.binning == (1, 1) and light.size == (camera.nx, camera.ny)
    assert light.mjd == pytest.approx(to_mjd(START), abs=1e-6) and light.night == "20261122"
    assert light.object_name == "SN 2026abc" and light.profile == "simulated"
    assert profile.matches(_science(camera)[0].header)
    detector = profile.detector_for(_science(camera)[0].header)
    assert (detector.gain, detector.read_noise, detector.saturation) == (1.6, 7.0, 65535.0)
    assert detector.pixel_scale_arcsec == camera.pixel_scale_arcsec
    assert not GenericProfile().matches(_science(camera)[0].header)  # the fallback claims nothing


def test_generic_profile_reads_the_saao_detector_from_its_header() -> None:
    header = read_frame_header(RAW / "ccdproc_a8280271.fits")
    frame = GenericProfile().classify(header)
    assert frame.image_type is ImageType.LIGHT and frame.profile == "generic"
    detector = GenericProfile().detector_for(header)
    assert (detector.gain, detector.read_noise) == (1.9, 5.0)
    assert (detector.overscan, detector.trim) == ("[4:13,1:520]", "[17:528,1:520]")
    assert detector.saturation is None and detector.pixel_scale_arcsec is None  # not in the header


def test_settings_from_the_configuration_override_the_class() -> None:
    header = read_frame_header(RAW / "ccdproc_a8280271.fits")
    profile = GenericProfile(
        {
            "instruments": ["STE3 CCD"],
            "gain": 2.5,
            "trim": "[17:520,1:520]",
            "filter_keywords": ["FILTERS"],
            "filter_names": {"48": "V"},
            "image_types": {"Sky Exposure": "light"},
            "polarimetry": "hwp",
            "binning": [1, 1],
        },
        name="saao-ste3",
    )
    assert profile.matches(header) and profile.polarimetry is PolarimetryMode.HWP
    frame = profile.classify(header)
    assert (frame.band, frame.binning, frame.profile) == ("V", (1, 1), "saao-ste3")
    detector = profile.detector_for(header)
    assert (detector.gain, detector.read_noise, detector.trim) == (2.5, 5.0, "[17:520,1:520]")
    header["IMAGETYP"] = "sky exposure"
    assert profile.classify(header).image_type is ImageType.LIGHT


def test_wrong_settings_are_named_every_one() -> None:
    problems = setting_problems(
        "[instruments.x]", {"gian": 2, "gain": -1, "overscan": "4:13", "image_types": {"a": "sky"}}
    )
    assert problems[0] == "[instruments.x]: unknown key 'gian'; did you mean 'gain'?"
    assert "[instruments.x] gain = -1; expected a positive number" in problems
    assert any("overscan = '4:13'; expected a FITS section" in problem for problem in problems)
    assert any("image_types" in problem for problem in problems)
    with pytest.raises(ValidationError, match="unknown key 'gian'"):
        GenericProfile({"gian": 2})


def test_damaged_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    source = (RAW / "msumastro_darktest1.fit").read_bytes()
    truncated = tmp_path / "truncated.fit"
    truncated.write_bytes(source[: len(source) // 2])
    with pytest.raises(FrameFileError, match=r"truncated\.fit: the file is truncated"):
        read_frame_header(truncated)
    garbage = tmp_path / "garbage.fits"
    garbage.write_bytes(b"this is not a FITS file at all" * 200)
    with pytest.raises(FrameFileError, match=r"garbage\.fits: not a readable FITS file"):
        read_frame_header(garbage)
    table_only = tmp_path / "table.fits"
    fits.HDUList(
        [fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])])]
    ).writeto(table_only)
    with pytest.raises(FrameFileError, match="no two-dimensional image"):
        read_frame_header(table_only)


def test_a_tile_compressed_frame_is_read_from_its_image_extension(tmp_path: Path) -> None:
    with fits.open(RAW / "msumastro_maximdl_5_23_light_B.fit") as hdul:
        compressed = fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(hdul[0].data, hdul[0].header)])
    compressed.writeto(tmp_path / "light.fits.fz")
    frame = GenericProfile().classify(read_frame_header(tmp_path / "light.fits.fz"))
    assert (frame.image_type, frame.band, frame.size, frame.exposure_s) == (
        ImageType.LIGHT,
        "B",
        (200, 100),
        90.0,
    )


def test_generic_profile_reads_an_lco_header() -> None:
    """A real LCO (FLOYDS) header: OBSTYPE, CCDSUM, DAY-OBS, PIXSCALE and a placeholder SATURATE."""
    header = fits.getheader(RAW.parent.parent / "spectra" / "tom_base_test_spectrum_SN2017cbv_floyds.fits")
    frame = GenericProfile().classify(header)
    assert (frame.image_type, frame.binning, frame.night) == (ImageType.SPECTRUM, (1, 1), "20170327")
    detector = GenericProfile().detector_for(header)
    assert (detector.gain, detector.read_noise, detector.pixel_scale_arcsec) == (2.0, 3.7, 0.337)
    assert detector.saturation is None  # SATURATE = 0.0 says nothing about the detector
