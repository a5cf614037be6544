"""`tom-tui report hermes` against a local server answering as Hermes does (tests/data/sharing).

The truth is what the test stored: the points of ``POINTS`` (read back through the photometry
service) and a spectrum with known units.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from pytest_httpserver import HTTPServer

from tests.support.cli import Run, append_config, json_of
from tests.support.paths import DATA, SPECTRA
from tests.support.stores import snapshot
from tom_tui.domain.spectra import Spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.photometry.reads import photometry_of
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store

TOKEN = "hermes-token-0123456789"
SUBMIT = "/api/v0/submit_message/"
# mjd, band, mag, magerr, limit: three detections and one upper limit, all from P48/ZTF.
POINTS = [
    (61000.25, "g", 18.512, 0.031, None),
    (61000.30, "r", 18.204, 0.025, None),
    (61003.27, "g", 18.733, 0.040, None),
    (61006.29, "r", None, None, 20.5),
]


def _csv(path: Path, points: Sequence[tuple[float, str, float | None, float | None, float | None]]) -> Path:
    lines = ["mjd,filter,mag,magerr,limit,telescope,instrument"] + [
        ",".join("" if value is None else str(value) for value in point) + ",P48,ZTF" for point in points
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _configure(store: Store, base_url: str) -> None:
    append_config(
        store,
        f'[sharing.hermes]\nkind = "hermes"\nbase_url = "{base_url}"\ntopic = "hermes.test"\n'
        'submitter = "A. Observer"\nauthors = "A. Observer, B. Colleague"\ntimeout = 5',
    )
    credentials = store.root / "credentials.toml"
    credentials.write_text(f'[hermes]\ntoken = "{TOKEN}"\n')
    os.chmod(credentials, 0o600)


@pytest.fixture
def observed(store: Store, tmp_path: Path) -> Store:
    TargetService(store).add({"name": "SN 2026abc", "ra": 150.1, "dec": 2.2, "aliases": ["ZTF26aaaaaaa"]})
    data_service.upload_data_product(store, "SN 2026abc", _csv(tmp_path / "lc.csv", POINTS), "photometry")
    return store


def _posts(httpserver: HTTPServer) -> list[dict[str, object]]:
    return [json.loads(request.data) for request, _ in httpserver.log if request.method == "POST"]


def test_publishing_sends_the_stored_points_once(
    observed: Store, run: Run, httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _configure(observed, httpserver.url_for("/"))
    answer = (DATA / "sharing" / "hermes_submit_answer.json").read_text()
    httpserver.expect_request(SUBMIT, method="POST").respond_with_data(
        answer, content_type="application/json"
    )
    first = run("report", "hermes", "SN 2026abc", "--to", "hermes", "--photometry")
    assert "published 4 point(s) and 0 spectra of SN 2026abc" in first.stdout
    assert "5a3a6a0e-8f5d-4c1e-9a61-2b1f3c4d5e6f" in first.stdout
    ((request, _),) = httpserver.log
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    (message,) = _posts(httpserver)
    assert (message["topic"], message["submitter"], message["authors"]) == (
        "hermes.test",
        "A. Observer",
        "A. Observer, B. Colleague",
    )
    data = message["data"]
    assert isinstance(data, dict)
    assert data["targets"] == [{"name": "SN 2026abc", "ra": 150.1, "dec": 2.2, "aliases": ["ZTF26aaaaaaa"]}]
    stored = photometry_of(observed, "SN 2026abc")[1].to_pylist()
    sent = data["photometry"]
    assert [row["bandpass"] for row in sent] == [row["filter"] for row in stored]
    assert [row.get("brightness") for row in sent] == [point[2] for point in POINTS]
    assert [row.get("brightness_error") for row in sent] == [point[3] for point in POINTS]
    assert sent[3]["limiting_brightness"] == 20.5 and sent[3]["limiting_brightness_unit"] == "AB mag"
    assert {row["brightness_unit"] for row in sent[:3]} == {"AB mag"}
    assert sent[0]["date_obs"] == "2025-11-21T06:00:00.000+00:00"  # MJD 61000.25
    assert {(row["telescope"], row["instrument"]) for row in sent} == {
        (stored[0]["telescope"], stored[0]["instrument"])
    }
    assert TOKEN not in first.output and TOKEN not in caplog.text

    again = run("report", "hermes", "SN 2026abc", "--to", "hermes", "--photometry")
    assert "nothing new to publish for SN 2026abc (4 point(s)" in again.stdout
    assert len(_posts(httpserver)) == 1

    later = [(61010.2, "g", 19.1, 0.05, None)]
    data_service.upload_data_product(
        observed, "SN 2026abc", _csv(tmp_path / "later.csv", later), "photometry"
    )
    run("report", "hermes", "SN 2026abc", "--to", "hermes", "--photometry")
    newest = _posts(httpserver)[-1]["data"]
    assert isinstance(newest, dict) and [row["brightness"] for row in newest["photometry"]] == [19.1]


def test_a_dry_run_prints_the_message_and_sends_and_writes_nothing(
    observed: Store, run: Run, httpserver: HTTPServer
) -> None:
    _configure(observed, httpserver.url_for("/"))
    before = snapshot(observed)
    result = run("report", "hermes", "SN 2026abc", "--to", "hermes", "--dry-run")
    message = json.loads(result.stdout)
    assert len(message["data"]["photometry"]) == 4 and message["topic"] == "hermes.test"
    assert "would publish 4 point(s)" in result.stderr
    assert httpserver.log == [] and snapshot(observed) == before
    assert TOKEN not in result.output


def test_spectra_are_published_in_hermes_units(store: Store, run: Run, httpserver: HTTPServer) -> None:
    _configure(store, httpserver.url_for("/"))
    target = TargetService(store).add({"name": "SN 2026spec", "ra": 10.0, "dec": -5.0}).target
    assert target.id is not None
    spectrum = Spectrum(
        wavelength=np.array([400.0, 500.0, 600.0]),
        flux=np.array([1.0e-17, 2.0e-17, 1.5e-17]),
        wavelength_unit="nm",
        flux_unit="W / (m2 nm)",
        mjd=61001.5,
        telescope="UH88",
        instrument="SNIFS",
    )
    with store.transaction() as tx:
        record = SpectrumRepository(tx).add(target.id, spectrum)
    httpserver.expect_request(SUBMIT, method="POST").respond_with_json({"uuid": "u-1"})
    summary = json_of(run("report", "hermes", "SN 2026spec", "--to", "hermes", "--spectra", "--json"))
    assert (summary["spectra_sent"], summary["uuid"]) == (1, "u-1")
    (row,) = _posts(httpserver)[0]["data"]["spectroscopy"]  # type: ignore[index]
    # 1 W m^-2 nm^-1 = 1e7 erg s^-1 / 1e4 cm^2 / 10 Å = 100 erg s^-1 cm^-2 Å^-1.
    assert row["flux"] == pytest.approx([1.0e-15, 2.0e-15, 1.5e-15])
    assert row["wavelength"] == pytest.approx([4000.0, 5000.0, 6000.0]) and row["wavelength_units"] == "Å"
    assert row["flux_units"] == "erg / s / cm² / Å" and row["instrument"] == "SNIFS"
    again = json_of(run("report", "hermes", "SN 2026spec", "--to", "hermes", "--spectra", "--json"))
    assert (again["spectra_sent"], again["spectra_already_published"]) == (0, 1)
    assert len(_posts(httpserver)) == 1 and record.id is not None


def test_refusals_are_one_sentence_and_mark_nothing(
    observed: Store, run: Run, httpserver: HTTPServer
) -> None:
    _configure(observed, httpserver.url_for("/"))
    refused = (DATA / "sharing" / "hermes_refused.json").read_text()
    httpserver.expect_oneshot_request(SUBMIT, method="POST").respond_with_data(
        refused, status=400, content_type="application/json"
    )
    httpserver.expect_oneshot_request(SUBMIT, method="POST").respond_with_json(
        {"detail": "Invalid token."}, status=401
    )
    before = snapshot(observed)
    result = run("report", "hermes", "SN 2026abc", "--to", "hermes", expect=1)
    assert result.stderr.strip().endswith(
        "refused the message: data.photometry[1].bandpass: This field is required."
    )
    assert len(result.stderr.strip().splitlines()) == 1
    wrong = run("report", "hermes", "SN 2026abc", "--to", "hermes", expect=1)
    assert "refused the API token (HTTP 401)" in wrong.stderr and TOKEN not in wrong.output
    assert snapshot(observed) == before


@pytest.fixture
def dropping_server() -> Iterator[tuple[str, list[int]]]:
    """A server that reads each request and closes the connection without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            connection.recv(65536)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/", accepted
    listener.close()


def test_a_post_whose_connection_drops_is_not_sent_again(
    observed: Store, run: Run, dropping_server: tuple[str, list[int]]
) -> None:
    base_url, accepted = dropping_server
    _configure(observed, base_url)
    before = snapshot(observed)
    result = run("report", "hermes", "SN 2026abc", "--to", "hermes", expect=1)
    assert "so it was not sent again" in result.stderr and "look for it on Hermes" in result.stderr
    assert accepted == [1]
    assert snapshot(observed) == before


def test_a_rate_limit_is_one_sentence(observed: Store, run: Run, httpserver: HTTPServer) -> None:
    _configure(observed, httpserver.url_for("/"))
    httpserver.expect_request(SUBMIT, method="POST").respond_with_json(
        {"detail": "Request was throttled."}, status=429, headers={"Retry-After": "0"}
    )
    result = run("report", "hermes", "SN 2026abc", "--to", "hermes", expect=1)
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("is limiting requests (HTTP 429); nothing was published, try again later")


def test_a_real_uploaded_spectrum_keeps_its_values(store: Store, run: Run, httpserver: HTTPServer) -> None:
    _configure(store, httpserver.url_for("/"))
    TargetService(store).add({"name": "SN 2021zac", "ra": 20.0, "dec": 10.0})
    data_service.upload_data_product(
        store, "SN 2021zac", SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat", "spectroscopy"
    )
    message = json.loads(
        run("report", "hermes", "SN 2021zac", "--to", "hermes", "--spectra", "--dry-run").stdout
    )
    (row,) = message["data"]["spectroscopy"]
    # The file's first row: 3402.86 Å, 4.050476e-17 erg/s/cm²/Å (already Hermes's units), error 5.507403e-17.
    assert row["wavelength"][0] == pytest.approx(3402.86) and row["flux"][0] == pytest.approx(4.050476e-17)
    assert row["flux_error"][0] == pytest.approx(5.507403e-17) and len(row["flux"]) == 1800
    assert (row["telescope"], row["instrument"], row["flux_units"]) == ("UH88", "SNIFS", "erg / s / cm² / Å")
    assert row["date_obs"].startswith("2021-09-18")
    assert httpserver.log == []
