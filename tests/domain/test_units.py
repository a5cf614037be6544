"""The photometric units and the ZTF candidate mapping, defined once in the domain and adapters."""

from __future__ import annotations

import math

import fastavro
import numpy as np
import pytest

from tests.support.paths import DATA
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.adapters.alerts.ztf import ztf_measurement
from tom_tui.domain.photometry import band_identity
from tom_tui.domain.units import (
    AB_ZERO_POINT_UJY,
    flux_to_mag,
    flux_to_mag_array,
    fluxerr_to_magerr_array,
    jd_to_mjd,
    mag_to_flux,
    mag_to_flux_array,
    magerr_to_fluxerr_array,
    mjd_to_jd,
    rescale_flux,
)

ALERT = DATA / "alerts" / "fink_ZTF19acihgng.avro"


def test_ab_zero_point_and_round_trips() -> None:
    assert mag_to_flux(AB_ZERO_POINT_UJY) == pytest.approx(1.0)  # 23.9 AB is 1 µJy
    assert mag_to_flux(8.9, zero_point=8.9) == pytest.approx(1.0)
    mag, magerr = flux_to_mag(3631e6, 0.1 * 3631e6)  # 3631 Jy is AB zero
    assert mag == pytest.approx(0.0, abs=1e-3) and magerr == pytest.approx(2.5 / math.log(10) * 0.1)
    assert flux_to_mag(0.0) == (None, None) and flux_to_mag(None) == (None, None)
    assert jd_to_mjd(2400000.5) == 0.0 and mjd_to_jd(jd_to_mjd(2458814.6358333)) == 2458814.6358333
    assert rescale_flux(1500.0, 26.2) == pytest.approx(1500.0 * 10 ** (-0.4 * (26.2 - 23.9)))


def test_array_conversions_agree_with_the_scalar_ones() -> None:
    mags = np.array([15.0, 20.0, np.nan])
    flux = mag_to_flux_array(mags)
    assert flux[:2] == pytest.approx([mag_to_flux(15.0), mag_to_flux(20.0)]) and np.isnan(flux[2])
    back = flux_to_mag_array(np.array([flux[0], -1.0]))
    assert back[0] == pytest.approx(15.0) and np.isnan(back[1])
    fluxerr = magerr_to_fluxerr_array(flux[:1], np.array([0.1]))
    assert fluxerr_to_magerr_array(flux[:1], fluxerr)[0] == pytest.approx(0.1)
    assert flux_to_mag(float(flux[0]), float(fluxerr[0]))[1] == pytest.approx(0.1)


def test_ztf_band_names_are_one_band() -> None:
    assert {band_identity(name) for name in ("r", "ztfr", "ZTF_r", "ztf-r")} == {"r"}
    assert band_identity("atlaso") == "atlaso" and band_identity("B") == "B"


def test_ztf_candidate_mapping_on_a_real_packet() -> None:
    with ALERT.open("rb") as handle:
        record = next(iter(fastavro.reader(handle)))
    candidate = record["candidate"]
    row = ztf_measurement(candidate, detected=True)
    assert row["mjd"] == candidate["jd"] - 2400000.5 and row["filter"] == "r"  # fid 2
    assert row["mag"] == candidate["magpsf"] and row["magerr"] == candidate["sigmapsf"]
    assert row["limit"] is None and (row["telescope"], row["instrument"]) == ("P48", "ZTF")
    limit = ztf_measurement(candidate, detected=False)
    assert limit["mag"] is None and limit["limit"] == candidate["diffmaglim"]
    # The alert reader carries exactly this row, as AB, from the ztf-alert source.
    stored = read_alerts([ALERT]).photometry.to_pylist()
    [same] = [p for p in stored if p["mjd"] == row["mjd"] and p["filter"] == "r"]
    assert same["mag"] == row["mag"] and same["magsys"] == "AB" and same["source"] == "ztf-alert"
    # Fink's API spells the same fields with an "i:" prefix.
    prefixed = {f"i:{key}": value for key, value in candidate.items()}
    assert ztf_measurement(prefixed, detected=True, prefix="i:") == row
