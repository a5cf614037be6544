"""Sharing with and pulling from a real TOM Toolkit 3.1 started on 127.0.0.1 for this module.

The truth is what the test put in: the points of ``POINTS`` and the target fields, read back from
the TOM with plain HTTP requests (not the client under test) and from a fresh store after a pull.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from tests.support.cli import Run, append_config
from tests.support.paths import SPECTRA
from tests.support.tomtoolkit_server import TomToolkitSite, running_tomtoolkit
from tom_tui.domain.clock import to_mjd
from tom_tui.processing.spectra import read_spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.sharing.pull import pull_targets
from tom_tui.services.sharing.share import ShareRequest, share_targets
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store

pytestmark = pytest.mark.slow

# mjd, band, magnitude, error, limit: four detections and one upper limit.
POINTS = [
    (61000.25, "ztfg", 18.512, 0.031, None),
    (61000.30, "ztfr", 18.204, 0.025, None),
    (61003.27, "ztfg", 18.733, 0.040, None),
    (61003.31, "ztfr", 18.391, 0.029, None),
    (61006.29, "ztfr", None, None, 20.5),
]
SNIFS = SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat"
DETECTIONS = [point for point in POINTS if point[2] is not None]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TomToolkitSite]:
    with running_tomtoolkit(tmp_path_factory.mktemp("tomtoolkit")) as running:
        yield running


def _configure(store: Store, site: TomToolkitSite, secrets: str, name: str = "colleagues") -> None:
    append_config(store, f'[sharing.{name}]\nkind = "tomtoolkit"\nbase_url = "{site.base_url}"\ntimeout = 20')
    credentials = store.root / "credentials.toml"
    with open(credentials, "a") as handle:
        handle.write(f"[{name}]\n{secrets}\n")
    os.chmod(credentials, 0o600)


def _add_target(store: Store, name: str, ra: float, dec: float, alias: str, tmp_path: Path) -> None:
    TargetService(store).add(
        {
            "name": name,
            "ra": ra,
            "dec": dec,
            "aliases": [alias],
            "lists": ["Follow-up"],
            "extra": {"redshift": 0.031},
        }
    )
    table = tmp_path / f"{alias}.csv"
    lines = ["mjd,filter,mag,magerr,limit"] + [
        ",".join("" if value is None else str(value) for value in point) for point in POINTS
    ]
    table.write_text("\n".join(lines) + "\n")
    data_service.upload_data_product(store, name, table, "photometry")


def _tom(site: TomToolkitSite, path: str, **params: Any) -> Any:
    answer = requests.get(
        f"{site.base_url}/api/{path}",
        params=params,
        headers={"Authorization": f"Token {site.token}"},
        timeout=20,
    )
    answer.raise_for_status()
    return answer.json()


def _tom_points(site: TomToolkitSite, target_id: int) -> list[dict[str, Any]]:
    return list(
        _tom(site, "reduceddatums/", target__id=target_id, data_type="photometry", limit=1000)["results"]
    )


def test_share_sends_target_aliases_and_points_once(
    store: Store, site: TomToolkitSite, tmp_path: Path
) -> None:
    _configure(store, site, f'token = "{site.token}"')
    _add_target(store, "SN 2026shr", 150.25, 2.5, "ZTF26aashr", tmp_path)
    summary = share_targets(store, ["SN 2026shr"], "colleagues", ShareRequest(photometry=True))
    (result,) = summary.targets
    assert (result.status, result.created, result.points_sent, result.refusals) == ("sent", True, 5, [])
    remote = _tom(site, f"targets/{result.remote_id}/")
    assert [alias["name"] for alias in remote["aliases"]] == ["ZTF26aashr"]
    assert (remote["ra"], remote["dec"]) == (150.25, 2.5)
    assert {extra["key"]: extra["value"] for extra in remote["targetextra_set"]} == {"redshift": "0.031"}
    points = _tom_points(site, result.remote_id)
    assert len(points) == 5
    detections = sorted(
        (
            to_mjd(dt.datetime.fromisoformat(p["timestamp"])),
            p["value"]["bandpass"],
            p["value"]["brightness"],
            p["value"]["brightness_error"],
        )
        for p in points
        if p["value"]["brightness"] is not None
    )
    for (mjd, band, mag, err), truth in zip(detections, DETECTIONS, strict=True):
        assert abs(mjd - truth[0]) < 1e-8 and (band, mag, err) == truth[1:4]
    again = share_targets(store, ["SN 2026shr"], "colleagues", ShareRequest(photometry=True)).targets[0]
    assert (again.status, again.created, again.points_sent, again.points_skipped) == ("skipped", False, 0, 5)
    # Even with what was sent forgotten, the TOM's own answer keeps every point single.
    (store.root / "state" / "sharing" / "colleagues.json").unlink()
    forgot = share_targets(store, ["SN 2026shr"], "colleagues", ShareRequest(photometry=True)).targets[0]
    assert (forgot.points_sent, forgot.points_skipped) == (0, 5)
    assert len(_tom_points(site, result.remote_id)) == 5


def test_a_target_there_under_an_alias_or_nearby_is_found_not_duplicated(
    store: Store, site: TomToolkitSite, tmp_path: Path
) -> None:
    _configure(store, site, f'token = "{site.token}"')
    headers = {"Authorization": f"Token {site.token}"}
    for body in (
        {"name": "ZTF26aaold", "type": "SIDEREAL", "ra": 200.0, "dec": -10.0},  # our alias is its name
        {"name": "Gaia26xyz", "type": "SIDEREAL", "ra": 210.0, "dec": 15.0},  # 0.5" from ours, no shared name
    ):
        requests.post(
            f"{site.base_url}/api/targets/", json=body, headers=headers, timeout=20
        ).raise_for_status()
    before = _tom(site, "targets/", limit=1000)["count"]
    _add_target(store, "SN 2026old", 200.0001, -10.0, "ZTF26aaold", tmp_path)
    TargetService(store).add({"name": "AT 2026near", "ra": 210.0 + 0.5 / 3600, "dec": 15.0})
    summary = share_targets(store, ["SN 2026old", "AT 2026near"], "colleagues", ShareRequest())
    assert [(r.remote_name, r.created, r.status) for r in summary.targets] == [
        ("ZTF26aaold", False, "skipped"),
        ("Gaia26xyz", False, "skipped"),
    ]
    assert _tom(site, "targets/", limit=1000)["count"] == before


def test_pull_into_a_fresh_store_brings_the_same_points_once(
    store: Store, site: TomToolkitSite, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _configure(store, site, f'token = "{site.token}"')
    _add_target(store, "SN 2026pul", 30.5, 40.25, "ZTF26aapul", tmp_path)
    data_service.upload_data_product(store, "SN 2026pul", SNIFS, "spectroscopy")
    share_targets(store, ["SN 2026pul"], "colleagues", ShareRequest(photometry=True, spectra=True))
    fresh = Store.init(tmp_path_factory.mktemp("fresh"))
    _configure(fresh, site, f'username = "{site.username}"\npassword = "{site.password}"')  # Basic auth
    first = pull_targets(fresh, "colleagues", into_list="From colleagues")
    assert first.refused == []
    pulled = TargetService(fresh).get("ZTF26aapul")
    assert (
        pulled.name == "SN 2026pul" and pulled.aliases == ["ZTF26aapul"] and "From colleagues" in pulled.lists
    )
    assert pulled.extra["redshift"] == 0.031  # sent as text, read back as the number it was
    _, table = data_service.photometry_of(fresh, "SN 2026pul")
    rows = sorted(table.select(["mjd", "filter", "mag", "magerr"]).to_pylist(), key=lambda row: row["mjd"])
    # TOM Toolkit 3.1.0's API leaves an upper limit's value out, so only the detections come back.
    assert len(rows) == len(DETECTIONS)
    for row, (mjd, band, mag, err, _) in zip(rows, DETECTIONS, strict=True):
        assert abs(row["mjd"] - mjd) < 1e-8 and (row["filter"], row["mag"], row["magerr"]) == (band, mag, err)
    _, (record,) = data_service.spectra_of(fresh, "SN 2026pul")
    with fresh.read() as view:
        spectrum = SpectrumRepository(view).load(record)
    original = read_spectrum(SNIFS)
    assert np.array_equal(spectrum.wavelength, original.wavelength) and np.array_equal(
        spectrum.flux, original.flux
    )
    assert spectrum.date_obs is not None and spectrum.date_obs.startswith("2021-09-18")
    again = pull_targets(fresh, "colleagues")
    assert sum(r.points_added for r in again.targets) == 0
    assert sum(r.spectra_added for r in again.targets) == 0
    assert {r.status for r in again.targets} == {"merged"}
    assert len(TargetService(fresh).index()) == len(first.targets)


def test_cli_share_with_basic_auth_and_a_wrong_token_refused(
    store: Store, site: TomToolkitSite, run: Run, tmp_path: Path
) -> None:
    _configure(store, site, f'username = "{site.username}"\npassword = "{site.password}"', "basic")
    _configure(store, site, 'token = "0123456789abcdef0123456789abcdef01234567"', "wrong")
    _add_target(store, "SN 2026cli", 120.0, 30.0, "ZTF26aacli", tmp_path)
    dry = run("share", "SN 2026cli", "--to", "basic", "--photometry", "--dry-run", "--json")
    assert '"would send"' in dry.stdout and _tom(site, "targets/", name="ZTF26aacli")["count"] == 0
    data_service.upload_data_product(
        store, "SN 2026cli", SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat", "spectroscopy"
    )
    sent = run("share", "SN 2026cli", "--to", "basic", "--photometry", "--spectra")
    assert "created" in sent.stdout and "sent 5 point(s) and 1 spectra" in sent.stdout
    remote_id = _tom(site, "targets/", name="ZTF26aacli")["results"][0]["id"]
    (spectrum,) = _tom(site, "reduceddatums/", target__id=remote_id, data_type="spectroscopy")["results"]
    assert len(spectrum["value"]["flux"]) == 1800 and spectrum["value"]["wavelength"][0] == 3402.86
    assert spectrum["timestamp"].startswith("2021-09-18")  # SNIFS's date of observation
    again = run("share", "SN 2026cli", "--to", "basic", "--photometry", "--spectra")
    assert "sent 0 point(s) and 0 spectra" in again.stdout
    refused = run("share", "SN 2026cli", "--to", "wrong", expect=1)
    assert "refused the credentials" in refused.stderr and "HTTP 401" in refused.stderr
    assert "0123456789abcdef" not in refused.output + refused.stderr
    error_lines = [line for line in refused.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1
