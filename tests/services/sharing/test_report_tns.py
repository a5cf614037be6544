"""TNS AT and classification reports against a local server answering as TNS does
(tests/data/sharing): the report as a form with the bot's marker, the reply polled, the id and
reply remembered, nothing sent twice, and every error one sentence."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request

from tests.support.cli import Run, append_config, json_of
from tests.support.paths import DATA
from tests.support.stores import snapshot
from tom_tui.domain.spectra import Spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.sharing.reports import TnsPolling, report_at, tns_state_path
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store

API_KEY = "tns-bot-key-0123456789abcdef"
REPORT, REPLY = "/api/bulk-report", "/api/bulk-report-reply"
NO_WAIT = TnsPolling(attempts=3, interval=0.0)
# mjd, band, mag, magerr, limit: a limit, then two detections (discovery at MJD 61000.25).
POINTS = [
    (60998.2, "r", None, None, 20.8),
    (61000.25, "g", 18.512, 0.031, None),
    (61000.30, "r", 18.204, 0.025, None),
]


def _answer(name: str) -> str:
    return (DATA / "sharing" / name).read_text()


def _configure(store: Store, base_url: str) -> None:
    append_config(
        store,
        f'[sharing.tns]\nkind = "tns"\nbase_url = "{base_url}"\nbot_id = 12345\nbot_name = "tomtui_bot"\n'
        'group_id = 66\ndata_source_id = 48\nreporter = "A. Observer (Example University)"\ntimeout = 5\n'
        "filter_ids = { ztfg = 110, ztfr = 111 }\ninstrument_ids = { ZTF = 196 }",
    )
    credentials = store.root / "credentials.toml"
    credentials.write_text(f'[tns]\napi_key = "{API_KEY}"\n')
    os.chmod(credentials, 0o600)


@pytest.fixture
def discovered(store: Store, tmp_path: Path, httpserver: HTTPServer) -> Store:
    TargetService(store).add({"name": "ZTF26aaaaaaa", "ra": 150.123456, "dec": 2.345678})
    lines = ["mjd,filter,mag,magerr,limit,telescope,instrument"] + [
        ",".join("" if value is None else str(value) for value in point) + ",P48,ZTF" for point in POINTS
    ]
    (tmp_path / "lc.csv").write_text("\n".join(lines) + "\n")
    data_service.upload_data_product(store, "ZTF26aaaaaaa", tmp_path / "lc.csv", "photometry")
    _configure(store, httpserver.url_for("/"))
    return store


def _requests(httpserver: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in httpserver.log if request.path == path]


def test_an_at_report_is_sent_as_the_bot_then_polled_and_remembered(
    discovered: Store, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer("tns_bulk_report_answer.json"), content_type="application/json"
    )
    httpserver.expect_oneshot_request(REPLY, method="POST").respond_with_data(
        _answer("tns_reply_not_processed.json"), status=404, content_type="application/json"
    )
    httpserver.expect_request(REPLY, method="POST").respond_with_data(
        _answer("tns_reply_accepted.json"), content_type="application/json"
    )
    outcome = report_at(discovered, "ZTF26aaaaaaa", "tns", polling=NO_WAIT)
    assert (outcome.report_id, outcome.status, outcome.object_names) == ("112233", "accepted", ["2026abc"])
    (sent,) = _requests(httpserver, REPORT)
    assert sent.headers["User-Agent"] == 'tns_marker{"tns_id": 12345, "type": "bot", "name": "tomtui_bot"}'
    assert sent.form["api_key"] == API_KEY
    (report,) = json.loads(sent.form["data"])["at_report"].values()
    assert report["discovery_datetime"] == "2025-11-21 06:00:00.000"  # MJD 61000.25, the first detection
    assert (
        report["non_detection"]["limiting_flux"] == 20.8 and report["non_detection"]["filter_value"] == "111"
    )
    group = report["photometry"]["photometry_group"]
    assert [
        (g["flux"], g["flux_error"], g["filter_value"], g["instrument_value"]) for g in group.values()
    ] == [
        (18.512, 0.031, "110", "196"),
        (18.204, 0.025, "111", "196"),
    ]
    assert (report["reporting_group_id"], report["discovery_data_source_id"]) == ("66", "48")
    polls = _requests(httpserver, REPLY)
    assert [poll.form["report_id"] for poll in polls] == ["112233", "112233"]
    with discovered.read() as view:
        state = view.read_json(tns_state_path("tns"))
    (remembered,) = state["targets"]["1"]["reports"]
    assert (remembered["report_id"], remembered["status"], remembered["object_names"]) == (
        "112233",
        "accepted",
        ["2026abc"],
    )
    again = report_at(discovered, "ZTF26aaaaaaa", "tns", polling=NO_WAIT)
    assert (again.status, again.object_names) == ("accepted", ["2026abc"])
    assert len(_requests(httpserver, REPORT)) == 1 and len(_requests(httpserver, REPLY)) == 2
    assert API_KEY not in caplog.text


def test_a_report_still_waiting_is_asked_about_again_never_resent(
    discovered: Store, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer("tns_bulk_report_answer.json"), content_type="application/json"
    )
    for _ in range(NO_WAIT.attempts):
        httpserver.expect_oneshot_request(REPLY, method="POST").respond_with_data(
            _answer("tns_reply_not_processed.json"), status=404, content_type="application/json"
        )
    waiting = report_at(discovered, "ZTF26aaaaaaa", "tns", polling=NO_WAIT)
    assert (waiting.status, waiting.report_id) == ("waiting", "112233")
    assert "run the same command again later" in waiting.describe()
    httpserver.expect_request(REPLY, method="POST").respond_with_data(
        _answer("tns_reply_accepted.json"), content_type="application/json"
    )
    answered = report_at(discovered, "ZTF26aaaaaaa", "tns", polling=NO_WAIT)
    assert (answered.status, answered.object_names) == ("accepted", ["2026abc"])
    assert len(_requests(httpserver, REPORT)) == 1


def test_a_rejected_report_exits_1_with_tns_reasons(
    discovered: Store, run: Run, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer("tns_bulk_report_answer.json"), content_type="application/json"
    )
    httpserver.expect_request(REPLY, method="POST").respond_with_data(
        _answer("tns_reply_rejected.json"), status=400, content_type="application/json"
    )
    result = run("report", "tns-at", "ZTF26aaaaaaa", "--to", "tns", expect=1)
    assert result.stderr.strip() == (
        "Error: tns: AT report 112233 of ZTF26aaaaaaa rejected: "
        "An object with this internal name was already reported"
    )
    assert API_KEY not in result.output


@pytest.mark.parametrize(
    ("answer", "status", "headers", "expected"),
    [
        (
            "tns_unauthorized.json",
            401,
            {},
            "refused the bot's API key (check api_key in the store's credentials",
        ),
        (
            "tns_too_many_requests.json",
            429,
            {"x-rate-limit-reset": "0", "Retry-After": "0"},
            "is limiting the bot's requests (HTTP 429) for the report; try again in 0 s",
        ),
    ],
)
def test_tns_errors_are_one_sentence_and_leave_the_store_as_it_was(
    discovered: Store,
    run: Run,
    httpserver: HTTPServer,
    answer: str,
    status: int,
    headers: dict[str, str],
    expected: str,
) -> None:
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer(answer), status=status, headers=headers, content_type="application/json"
    )
    before = snapshot(discovered)
    result = run("report", "tns-at", "ZTF26aaaaaaa", "--to", "tns", expect=1)
    (line,) = result.stderr.strip().splitlines()
    assert expected in line and API_KEY not in result.output
    assert snapshot(discovered) == before and _requests(httpserver, REPLY) == []


def test_a_dry_run_prints_the_json_and_needs_no_key(
    discovered: Store, run: Run, httpserver: HTTPServer
) -> None:
    (discovered.root / "credentials.toml").unlink()
    before = snapshot(discovered)
    result = run("report", "tns-at", "ZTF26aaaaaaa", "--to", "tns", "--dry-run", "--position-error", "0.2")
    (report,) = json.loads(result.stdout)["at_report"].values()
    assert report["ra"] == {"value": 150.123456, "error": 0.2, "units": "arcsec"}
    assert report["internal_name"] == "ZTF26aaaaaaa" and "not sent (dry run)" in result.stderr
    assert httpserver.log == [] and snapshot(discovered) == before


def test_a_band_without_a_tns_id_is_named(discovered: Store, run: Run, tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text(
        "mjd,filter,mag,magerr,telescope,instrument\n61002.1,B,18.9,0.05,LCO-1m,Sinistro\n"
    )
    data_service.upload_data_product(discovered, "ZTF26aaaaaaa", tmp_path / "b.csv", "photometry")
    result = run("report", "tns-at", "ZTF26aaaaaaa", "--to", "tns", "--dry-run", expect=1)
    assert "[sharing.tns] band 'B' has no TNS filter id: add it to filter_ids" in result.stderr


def test_a_classification_uses_the_tns_name_and_type(
    discovered: Store, run: Run, httpserver: HTTPServer
) -> None:
    refused = run(
        "report", "tns-class", "ZTF26aaaaaaa", "--to", "tns", "--type", "SN Ia", "--dry-run", expect=1
    )
    assert "none of its names is a TNS name" in refused.stderr
    run("target", "edit", "ZTF26aaaaaaa", "--add-alias", "AT 2026abc")
    dry = run(
        "report",
        "tns-class",
        "ZTF26aaaaaaa",
        "--to",
        "tns",
        "--type",
        "sn ia",
        "--redshift",
        "0.031",
        "--dry-run",
    )
    (report,) = json.loads(dry.stdout)["classification_report"].values()
    assert (report["name"], report["objtypeid"], report["redshift"], report["groupid"]) == (
        "2026abc",
        "3",
        0.031,
        "66",
    )
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer("tns_bulk_report_answer.json"), content_type="application/json"
    )
    httpserver.expect_request(REPLY, method="POST").respond_with_json(
        {
            "id_code": 200,
            "id_message": "OK",
            "data": {"feedback": {"classification_report": [{"100": {"message": "ok"}}]}},
        }
    )
    sent = json_of(run("report", "tns-class", "ZTF26aaaaaaa", "--to", "tns", "--type", "SN Ia", "--json"))
    assert (sent["kind"], sent["status"], sent["report_id"]) == ("classification", "accepted", "112233")
    (request,) = _requests(httpserver, REPORT)
    assert "classification_report" in json.loads(request.form["data"])


def test_a_classification_spectrum_is_uploaded_first_and_named_in_the_report(
    discovered: Store, run: Run, httpserver: HTTPServer
) -> None:
    run("target", "edit", "ZTF26aaaaaaa", "--add-alias", "AT 2026abc")
    spectrum = Spectrum(
        wavelength=np.array([400.0, 500.0]),
        flux=np.array([1.0e-17, 2.0e-17]),
        wavelength_unit="nm",
        flux_unit="W / (m2 nm)",
        mjd=61005.5,
        telescope="P48",
        instrument="ZTF",
    )
    with discovered.transaction() as tx:
        record = SpectrumRepository(tx).add(1, spectrum)
    httpserver.expect_request("/api/file-upload", method="POST").respond_with_json(
        {"id_code": 200, "id_message": "OK", "data": ["2026abc_20251126_P48_ZTF.txt"]}
    )
    httpserver.expect_request(REPORT, method="POST").respond_with_data(
        _answer("tns_bulk_report_answer.json"), content_type="application/json"
    )
    httpserver.expect_request(REPLY, method="POST").respond_with_json(
        {"id_code": 200, "data": {"feedback": {}}}
    )
    run("report", "tns-class", "ZTF26aaaaaaa", "--to", "tns", "--type", "SN II", "--spectrum", str(record.id))
    (upload,) = _requests(httpserver, "/api/file-upload")
    assert upload.form["api_key"] == API_KEY
    lines = upload.files["files[0]"].read().decode().splitlines()
    # 400 nm is 4000 Å; 1e-17 W m^-2 nm^-1 is 1e-15 erg s^-1 cm^-2 Å^-1.
    assert lines[1:] == ["4000.0000 1.000000e-15", "5000.0000 2.000000e-15"]
    (sent,) = _requests(httpserver, REPORT)
    (report,) = json.loads(sent.form["data"])["classification_report"].values()
    (entry,) = report["spectra"]["spectra-group"].values()
    assert (report["objtypeid"], entry["ascii_file"], entry["instrumentid"]) == (
        "10",
        "2026abc_20251126_P48_ZTF.txt",
        "196",
    )
    assert entry["obsdate"] == "2025-11-26 12:00:00.000"  # MJD 61005.5
