"""Catalog adapters against real recorded answers (tests/data/catalogs/) served on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tests.support.paths import CATALOGS
from tom_tui.adapters.catalogs.horizons import HorizonsCatalog
from tom_tui.adapters.catalogs.mpc import MpcCatalog
from tom_tui.adapters.catalogs.ned import NedCatalog
from tom_tui.adapters.catalogs.simbad import SimbadCatalog
from tom_tui.adapters.http import HttpClient
from tom_tui.cli.main import cli
from tom_tui.domain.target import build_target
from tom_tui.services import plugins
from tom_tui.services.plugins import make_catalog
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def use_catalogs(store: Store, httpserver: HTTPServer, order: list[str]) -> None:
    settings = "".join(
        f'[catalogs.{name}]\nbase_url = "{httpserver.url_for("/" + name)}"\n'
        for name in plugins.plugin_names(plugins.CATALOGS)
    )
    store.config_path.write_text(
        store.config_path.read_text() + f"\n[catalogs]\norder = {json.dumps(order)}\n" + settings
    )


def test_catalogs_are_registered() -> None:
    assert {"simbad", "ned", "jpl_horizons", "mpc", "tns"} <= set(plugins.plugin_names(plugins.CATALOGS))


def test_simbad_tap_query_and_answer(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/sim-tap/sync", method="POST").respond_with_data(
        (CATALOGS / "astroquery_jwst_simbad_M1.vot").read_bytes(), content_type="application/x-votable+xml"
    )
    catalog = SimbadCatalog(client=client, settings={"base_url": httpserver.url_for("/sim-tap")})
    fields = catalog.lookup("M1")
    assert fields is not None and fields["name"] == "M 1"
    assert fields["ra"] == pytest.approx(83.6287) and fields["dec"] == pytest.approx(22.0147)
    form = httpserver.log[0][0].form
    assert form["LANG"] == "ADQL" and "WHERE id = 'M1'" in form["QUERY"]


def test_simbad_dry_run_needs_no_network() -> None:
    request = SimbadCatalog(settings={"base_url": "http://127.0.0.1:9"}).request_for("Vega")
    assert request.url.endswith("/sync") and "'Vega'" in request.data["QUERY"]  # type: ignore[index]


def test_ned_object_search(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/cgi-bin/objsearch").respond_with_data(
        (CATALOGS / "astroquery_ned_query_object.xml").read_bytes(), content_type="text/xml"
    )
    catalog = NedCatalog(client=client, settings={"base_url": httpserver.url_for("/cgi-bin")})
    fields = catalog.lookup("M1")
    assert fields is not None and fields["name"] == "MESSIER 001" and fields["aliases"] == ["M1"]
    assert fields["ra"] == pytest.approx(83.63321) and fields["extra"]["ned_type"] == "SNR"
    assert httpserver.log[0][0].args["objname"] == "M1"


def test_horizons_elements_become_orbital_fields(
    httpserver: HTTPServer, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2000-01-01T00:00:00")
    httpserver.expect_request("/api/horizons.api").respond_with_data(
        (CATALOGS / "ceres_elements_single.txt").read_bytes(), content_type="text/plain"
    )
    catalog = HorizonsCatalog(client=client, settings={"base_url": httpserver.url_for("/api/horizons.api")})
    fields = catalog.lookup("Ceres")
    assert fields is not None
    args = httpserver.log[0][0].args
    assert args["EPHEM_TYPE"] == "ELEMENTS" and args["COMMAND"] == '"Ceres;"' and args["TLIST"] == "2451544.5"
    target = build_target(fields)
    assert target.scheme == "MPC_MINOR_PLANET" and target.name == "1 Ceres (A801 AA)"
    assert target.epoch_of_elements == pytest.approx(51544.0)
    assert target.eccentricity == pytest.approx(0.078375, abs=1e-6)
    assert target.semimajor_axis == pytest.approx(2.7665, abs=1e-4)


def test_mpc_orbit_to_minor_planet_elements(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/get-orb", json={"desig": "65803"}).respond_with_data(
        (CATALOGS / "tom_base_65803_mpc_orb.json").read_bytes(), content_type="application/json"
    )
    catalog = MpcCatalog(client=client, settings={"base_url": httpserver.url_for("/api")})
    fields = catalog.lookup("65803")
    assert fields is not None
    target = build_target(fields)
    assert target.name == "65803 Didymos" and "1996 GT" in target.aliases
    assert target.scheme == "MPC_MINOR_PLANET" and target.epoch_of_elements == 60600.0
    assert target.semimajor_axis == pytest.approx(1.6426, abs=1e-3)  # Didymos: a = q / (1 - e)
    assert 0.0 <= (target.mean_anomaly or -1) < 360.0


def test_resolve_falls_through_to_the_next_catalog_and_adds(httpserver: HTTPServer, store: Store) -> None:
    use_catalogs(store, httpserver, ["simbad", "ned"])
    # SIMBAD answers an empty table (no such name); NED knows it.
    empty = (CATALOGS / "astroquery_jwst_simbad_M1.vot").read_text().split("<TR>")[
        0
    ] + "</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
    httpserver.expect_request("/simbad/sync").respond_with_data(empty, content_type="text/xml")
    httpserver.expect_request("/ned/objsearch").respond_with_data(
        (CATALOGS / "astroquery_ned_query_object.xml").read_bytes(), content_type="text/xml"
    )
    result = CliRunner().invoke(
        cli, ["--store", str(store.root), "catalog", "resolve", "M1", "--add", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (
        outcome["catalog"] == "ned"
        and outcome["tried"] == ["simbad", "ned"]
        and outcome["action"] == "created"
    )
    assert TargetService(store).get("M1").name == "MESSIER 001"


def test_resolve_unknown_everywhere_is_one_clear_error(httpserver: HTTPServer, store: Store) -> None:
    use_catalogs(store, httpserver, ["mpc"])
    httpserver.expect_request("/mpc/get-orb").respond_with_json([{"error": "not found"}, 404])
    result = CliRunner().invoke(cli, ["--store", str(store.root), "catalog", "resolve", "Nothing 123"])
    assert result.exit_code == 1 and "'Nothing 123' is not known to mpc" in result.stderr


def test_resolve_reports_unreachable_services(httpserver: HTTPServer, store: Store) -> None:
    use_catalogs(store, httpserver, ["mpc"])
    httpserver.expect_request("/mpc/get-orb").respond_with_data("down", status=404)
    result = CliRunner().invoke(cli, ["--store", str(store.root), "catalog", "resolve", "65803"])
    assert (
        result.exit_code == 1 and "no catalog could be asked" in result.stderr and "HTTP 404" in result.stderr
    )


def test_catalog_base_url_comes_from_config() -> None:
    catalog = make_catalog("mpc", {"catalogs": {"mpc": {"base_url": "http://mirror/api/"}}})
    assert catalog.request_for("433").url == "http://mirror/api/get-orb"
