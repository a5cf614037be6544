"""Pan-STARRS1 DR2 detections (MAST), Gaia DR3 epoch photometry and Gaia Science Alerts, served on
127.0.0.1: units (Jy → µJy), time scales (TAI, barycentric TCB, TCB → UTC) and paging."""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.paths import DATA
from tom_tui.adapters.http import HttpClient
from tom_tui.adapters.surveys.gaia import (
    GaiaEpochPhotometry,
    GaiaScienceAlerts,
    barycentric_tcb_to_utc_mjd,
    tcb_to_utc_mjd,
)
from tom_tui.adapters.surveys.ps1 import PanStarrsDetections, mast_rows
from tom_tui.domain.errors import AdapterError

SURVEYS = DATA / "surveys"
SECOND = 1.0 / 86400.0
# TCB runs ahead of TT by L_B (JD - 2443144.5003725) days (IAU 2006 B3; TDB and TT agree to 2 ms).
L_B = 1.550519768e-8


def tcb_minus_tt_seconds(jd: float) -> float:
    return L_B * (jd - 2443144.5003725) * 86400.0


# -- Pan-STARRS --
def test_the_real_mast_catalog_answer_is_read_by_column_name() -> None:
    rows = mast_rows(json.loads((SURVEYS / "ps1" / "astroquery_panstarrs.json").read_text()))
    assert rows[0]["objname"] == "PSO J002353.230-323148.612" and rows[0]["objID"] == "68960059717834079"
    assert math.isclose(rows[0]["iMeanApMag"], 20.271799087524414)


def test_ps1_detections_are_paged_converted_from_jy_and_tai(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    pages = {
        "1": (SURVEYS / "ps1" / "detection_documented_format_page1.json").read_text(),
        "2": (SURVEYS / "ps1" / "detection_documented_format_page2.json").read_text(),
    }
    asked: list[str] = []

    def page(request: Request) -> Response:
        asked.append(request.args["page"])
        assert request.args["pagesize"] == "2" and request.args["radius"] == "0.00027778"
        assert request.args["columns"].startswith("[objID,detectID,filterID,obsTime")
        return Response(pages[request.args["page"]], content_type="application/json")

    httpserver.expect_request("/api/v0.1/panstarrs/dr2/detection.json").respond_with_handler(page)
    service = PanStarrsDetections(
        settings={"base_url": httpserver.url_for("/api/v0.1/panstarrs/dr2"), "page_size": 2}, client=client
    )
    answer = service.fetch(229.9620403, 34.8442757)
    assert asked == ["1", "2"] and answer.raw.num_rows == 3
    first, second = answer.photometry.to_pylist()
    # 3.631e-05 Jy is 36.31 µJy, AB 20.000; obsTime 56000.5 TAI was 34 s ahead of UTC (2012-03-14).
    assert first["filter"] == "ps1::r" and math.isclose(first["flux"], 36.31)
    assert math.isclose(first["mag"], 20.0, abs_tol=1e-4) and math.isclose(first["fluxerr"], 0.3631)
    assert math.isclose(first["mjd"], 56000.5 - 34 * SECOND, abs_tol=1e-9)
    # 2014-03-17: TAI - UTC = 35 s; 1e-4 Jy = 100 µJy = AB 18.9.
    assert second["filter"] == "ps1::g" and math.isclose(second["mag"], 18.9, abs_tol=1e-9)
    assert math.isclose(second["mjd"], 56731.25 - 35 * SECOND, abs_tol=1e-9)
    assert first["telescope"] == "PS1" and first["magsys"] == "AB"
    assert answer.note == "1 detection(s) left out (masked PSF or no positive flux)"


def test_a_ps1_answer_that_is_not_a_table_is_one_sentence(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/dr2/detection.json").respond_with_json({"error": "overloaded"})
    service = PanStarrsDetections(settings={"base_url": httpserver.url_for("/dr2")}, client=client)
    with pytest.raises(AdapterError, match="unexpected detection page from http"):
        service.fetch(10.0, 10.0)


# -- Gaia DR3 --
def test_barycentric_tcb_becomes_utc_at_the_earth() -> None:
    # Towards the ecliptic pole the Earth's orbit adds almost no light-travel time (< 0.2 s), so
    # only the time scales differ: TCB - TT and TT - UTC (32.184 s + 35 leap seconds in 2014).
    jd = 2456897.5
    expected = jd - 2400000.5 - (tcb_minus_tt_seconds(jd) + 67.184) * SECOND
    pole = barycentric_tcb_to_utc_mjd(np.asarray([jd]), 270.0, 66.560708)[0]
    assert abs(pole - expected) < 0.5 * SECOND
    # In the ecliptic the light-travel time swings by up to ±499 s over the year.
    plane = barycentric_tcb_to_utc_mjd(np.asarray([jd]), 0.0, 0.0)[0]
    assert 60 * SECOND < abs(plane - expected) < 500 * SECOND


def _datalink_zip(source_id: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(
            SURVEYS / "gaia" / "epoch_photometry_documented_format.csv",
            f"EPOCH_PHOTOMETRY-Gaia DR3 {source_id}.csv",
        )
    return buffer.getvalue()


def test_gaia_epoch_photometry_is_found_by_cone_and_read_from_datalink(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    # The recorded TAP answer names source 5937144193345094528 at (251.46088614856114, -50.77147594086373).
    httpserver.expect_request("/tap-server/tap/sync").respond_with_data(
        (DATA / "catalogs" / "gaia" / "astroquery_gaia_launch_job.json").read_bytes(),
        content_type="application/json",
    )
    httpserver.expect_request(
        "/data-server/data",
        query_string={
            "RETRIEVAL_TYPE": "EPOCH_PHOTOMETRY",
            "ID": "5937144193345094528",
            "RELEASE": "Gaia DR3",
            "FORMAT": "csv",
            "DATA_STRUCTURE": "INDIVIDUAL",
        },
    ).respond_with_data(_datalink_zip("5937144193345094528"), content_type="application/zip")
    service = GaiaEpochPhotometry(settings={"base_url": httpserver.url_for("")}, client=client)
    answer = service.fetch(251.46088614856114, -50.77147594086373)
    query = httpserver.log[0][0].args["QUERY"]
    assert (
        "gaiadr3.gaia_source" in query and "has_epoch_photometry" in query and "CIRCLE(251.46088615" in query
    )
    rows = answer.photometry.to_pylist()
    # Two transits: G of the second was rejected by the variability processing, RP of the second is empty.
    assert sorted(row["filter"] for row in rows) == ["gaia::G", "gaia::GBP", "gaia::GBP", "gaia::GRP"]
    assert answer.note == "1 transit(s) rejected by Gaia's processing left out"
    g = next(row for row in rows if row["filter"] == "gaia::G")
    assert g["mag"] == 16.4123 and math.isclose(g["magerr"], 2.5 / math.log(10) / 337.05)
    assert g["magsys"] == "Vega" and g["flux"] is None and g["telescope"] == "Gaia"
    expected = barycentric_tcb_to_utc_mjd(
        np.asarray([1700.0 + 2455197.5]), 251.46088614856114, -50.77147594086373
    )
    assert g["mjd"] == expected[0]


# -- Gaia Science Alerts --
def test_gsa_tcb_julian_dates_become_utc_and_untrusted_rows_are_left_out(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/alerts/alert/Gaia16aye/lightcurve.csv").respond_with_data(
        (SURVEYS / "gsa" / "lightcurve_documented_format.csv").read_bytes(), content_type="text/csv"
    )
    service = GaiaScienceAlerts(settings={"base_url": httpserver.url_for("/alerts")}, client=client)
    answer = service.fetch(295.00771, 30.13194, name="Gaia16aye")
    assert [request.path for request, _ in httpserver.log] == ["/alerts/alert/Gaia16aye/lightcurve.csv"]
    rows = answer.photometry.to_pylist()
    assert [row["mag"] for row in rows] == [15.49, 15.53] and answer.raw.num_rows == 4
    # 2016-08: TT - UTC = 32.184 + 36 s.
    jd = 2457606.38030
    expected = jd - 2400000.5 - (tcb_minus_tt_seconds(jd) + 68.184) * SECOND
    assert abs(rows[0]["mjd"] - expected) < 0.01 * SECOND
    assert rows[0]["filter"] == "gaia::G" and rows[0]["magsys"] == "Vega"
    assert math.isclose(tcb_to_utc_mjd(np.asarray([jd]))[0], expected, abs_tol=0.01 * SECOND)


def test_gsa_finds_the_alert_by_position_and_knows_an_empty_sky(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request("/alerts/alerts.csv").respond_with_data(
        (SURVEYS / "gsa" / "alerts_documented_format.csv").read_bytes()
    )
    httpserver.expect_request("/alerts/alert/Gaia16aye/lightcurve.csv").respond_with_data(
        (SURVEYS / "gsa" / "lightcurve_documented_format.csv").read_bytes()
    )
    service = GaiaScienceAlerts(settings={"base_url": httpserver.url_for("/alerts")}, client=client)
    assert service.fetch(295.0077, 30.13195, name="AT 2016eyo").photometry.num_rows == 2
    nothing = service.fetch(10.0, 10.0, name="somewhere")
    assert nothing.empty and nothing.note == "no Gaia alert at this position"
    assert sum(1 for request, _ in httpserver.log if request.path.endswith("alerts.csv")) == 1
