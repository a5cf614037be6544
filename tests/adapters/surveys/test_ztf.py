"""ZTF: IRSA's light-curve API (documented CSV layout on 127.0.0.1) and a real forced-photometry
service file read from its folder."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.http import RecordingSleep
from tests.support.paths import DATA
from tom_tui.adapters.http import HttpClient
from tom_tui.adapters.surveys.ztf import ZtfForcedPhotometryFiles, ZtfIrsaLightCurves, requested_position
from tom_tui.domain.errors import AdapterError, ValidationError

ZTF = DATA / "surveys" / "ztf"
IRSA_CSV = (ZTF / "irsa_light_curve_documented_format.csv").read_bytes()
FPS_FILE = ZTF / "alerce_forcedphotometry_req00010458_lc.txt"


def irsa(server: HTTPServer, client: HttpClient) -> ZtfIrsaLightCurves:
    return ZtfIrsaLightCurves(
        settings={"base_url": server.url_for("/cgi-bin/ZTF/nph_light_curves")}, client=client
    )


def test_irsa_light_curve_rows_become_ab_magnitudes_at_their_utc_start(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    httpserver.expect_request(
        "/cgi-bin/ZTF/nph_light_curves",
        query_string={
            "POS": "CIRCLE 209.9900551 29.9976258 0.0004167",
            "BAD_CATFLAGS_MASK": "32768",
            "FORMAT": "csv",
        },
    ).respond_with_data(IRSA_CSV, content_type="text/csv")
    answer = irsa(httpserver, client).fetch(209.9900551, 29.9976258)
    rows = answer.photometry.to_pylist()
    assert [row["filter"] for row in rows] == ["ztfg", "ztfr", "ztfi"]
    # The first line of the file, by hand: mjd 58202.353159699996, mag 18.6746521 ± 0.0466535166,
    # limitmag 20.52; AB, so its flux is 10**(-0.4 (18.6746521 - 23.9)) µJy.
    first = rows[0]
    assert first["mjd"] == 58202.353159699996 and first["mag"] == 18.6746521 and first["limit"] == 20.52
    assert first["magerr"] == 0.0466535166 and first["magsys"] == "AB"
    assert first["telescope"] == "P48" and first["instrument"] == "ZTF"
    assert '"oid": "675103300002930"' in first["extra"]
    assert answer.raw.num_rows == 3 and answer.raw.column("oid")[0].as_py() == "675103300002930"
    assert not answer.empty


def test_since_asks_irsa_for_a_time_range(
    httpserver: HTTPServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")  # MJD 61366
    asked: list[str] = []

    def answer(request: Request) -> Response:
        asked.append(request.args["TIME"])
        return Response(IRSA_CSV)

    httpserver.expect_request("/cgi-bin/ZTF/nph_light_curves").respond_with_handler(answer)
    assert irsa(httpserver, client).fetch(209.99, 29.99, since_mjd=58203.0).raw.num_rows == 3
    assert asked == ["58203.00000 61367.00000"]


def test_an_empty_irsa_answer_is_remembered_as_empty(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/cgi-bin/ZTF/nph_light_curves").respond_with_data(
        IRSA_CSV.split(b"\n")[0] + b"\n"
    )
    answer = irsa(httpserver, client).fetch(10.0, -20.0)
    assert answer.empty and answer.photometry.num_rows == 0


def test_an_irsa_error_page_or_a_server_error_is_one_sentence(
    httpserver: HTTPServer, client: HttpClient, sleeps: RecordingSleep
) -> None:
    httpserver.expect_oneshot_request("/cgi-bin/ZTF/nph_light_curves").respond_with_data(
        "<html><body>ERROR: bad POS</body></html>", content_type="text/html"
    )
    with pytest.raises(AdapterError, match="unexpected light curve from http") as raised:
        irsa(httpserver, client).fetch(10.0, 20.0)
    assert "\n" not in str(raised.value)
    httpserver.expect_request("/cgi-bin/ZTF/nph_light_curves").respond_with_data("down", status=500)
    with pytest.raises(AdapterError, match="HTTP 500"):
        irsa(httpserver, client).fetch(10.0, 20.0)
    assert len(sleeps.calls) == 2  # a GET is retried before giving up


def test_a_position_off_the_sky_is_refused_before_any_request(client: HttpClient) -> None:
    with pytest.raises(ValidationError, match="not a position on the sky"):
        ZtfIrsaLightCurves(client=client).fetch(361.0, 0.0)


@pytest.fixture
def fps_folder(tmp_path: Path) -> Path:
    shutil.copy(FPS_FILE, tmp_path / FPS_FILE.name.removeprefix("alerce_"))
    return tmp_path


def test_a_real_forced_photometry_file_is_read_with_the_guides_cuts(fps_folder: Path) -> None:
    assert requested_position(fps_folder / "forcedphotometry_req00010458_lc.txt") == (169.522886, 18.799654)
    service = ZtfForcedPhotometryFiles(settings={"folder": str(fps_folder)})
    answer = service.fetch(169.522886, 18.799654)
    # 50 epochs; 4 are left out: two with infobitssci 33554432 (rows 9, 10), two with seeing > 4 px.
    assert answer.raw.num_rows == 50 and answer.photometry.num_rows == 46
    assert answer.note == "4 epoch(s) left out by the service's quality criteria"
    rows = answer.photometry.to_pylist()
    # Row 0 by hand: jd 2459250.8690856, 12.6855478032097 ± 29.6816667870872 DN at zpdiff 26.3699.
    scale = 10 ** (-0.4 * (26.3699 - 23.9))
    assert math.isclose(rows[0]["mjd"], 2459250.8690856 - 2400000.5, abs_tol=1e-9)
    assert math.isclose(rows[0]["flux"], 12.6855478032097 * scale) and rows[0]["mag"] is None
    assert math.isclose(rows[0]["fluxerr"], 29.6816667870872 * scale)
    assert rows[0]["filter"] == "ztfg" and rows[0]["telescope"] == "P48"
    # Row 47 (S/N 16): 371.980681656673 DN at zpdiff 26.2855 in r, a detection.
    detection = next(
        row for row in rows if math.isclose(row["mjd"], 2459280.7860185 - 2400000.5, abs_tol=1e-9)
    )
    flux = 371.980681656673 * 10 ** (-0.4 * (26.2855 - 23.9))
    assert detection["filter"] == "ztfr" and math.isclose(detection["mag"], 23.9 - 2.5 * math.log10(flux))
    negative = [row for row in rows if row["flux"] < 0]
    assert negative and all(row["negative_subtraction"] and row["mag"] is None for row in negative)


def test_forced_photometry_for_another_position_is_a_clear_failure(fps_folder: Path) -> None:
    service = ZtfForcedPhotometryFiles(settings={"folder": str(fps_folder)})
    with pytest.raises(AdapterError, match=r"no file in .* is for"):
        service.fetch(10.0, 10.0)
    with pytest.raises(ValidationError, match=r"\[surveys.ztf_fps\] folder"):
        ZtfForcedPhotometryFiles().fetch(10.0, 10.0)
