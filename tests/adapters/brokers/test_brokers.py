"""Each broker adapter against the real recorded responses in tests/data/brokers/, served locally."""

from __future__ import annotations

import json
import math

import pytest
from pytest_httpserver import HTTPServer

from tests.support.paths import BROKERS
from tom_tui.adapters.brokers.alerce import AlerceBroker
from tom_tui.adapters.brokers.antares import AntaresBroker
from tom_tui.adapters.brokers.fink import FinkBroker
from tom_tui.adapters.brokers.lasair import LasairBroker
from tom_tui.adapters.brokers.tns import TnsBroker
from tom_tui.adapters.http import Credentials, HttpClient
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.services import plugins
from tom_tui.services.plugins import make_broker
from tom_tui.store.store import Store


def recorded(name: str) -> object:
    return json.loads((BROKERS / name).read_text())


def test_every_builtin_broker_is_registered_through_entry_points() -> None:
    names = set(plugins.plugin_names(plugins.BROKERS))
    assert {"alerce", "antares", "fink", "lasair", "tns", "simulated"} <= names


def test_base_url_comes_from_the_store_config() -> None:
    broker = make_broker("alerce", {"brokers": {"alerce": {"base_url": "http://mirror/ztf/v1/"}}})
    assert broker.query(dry_run=True, oid="ZTF18abcgqmz").url == "http://mirror/ztf/v1/objects/ZTF18abcgqmz"


def test_dry_run_touches_no_network_and_validates_options() -> None:
    broker = AlerceBroker(base_url="http://127.0.0.1:9")  # nothing listens there
    request = broker.query(dry_run=True, class_name="SNIa", probability="0.7")
    assert request.params["class_name"] == "SNIa" and request.params["probability"] == 0.7
    with pytest.raises(ValidationError, match="probability: 'high' is not a valid float"):
        broker.query(dry_run=True, probability="high")
    with pytest.raises(ValidationError, match="unknown option"):
        broker.query(dry_run=True, colour="red")


def test_alerce_ztf_object_and_detections(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz").respond_with_json(
        recorded("alerce_ztf_v1_object_ZTF18abcgqmz.json")
    )
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz/detections").respond_with_json(
        recorded("alerce_ztf_v1_object_ZTF18abcgqmz_detections.json")
    )
    # No recorded non-detections answer exists in the shared data: this body follows the fields
    # ALeRCE documents for /objects/{oid}/non_detections (tid, mjd, fid, diffmaglim).
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz/non_detections").respond_with_json(
        [{"tid": "ztf", "mjd": 58285.4, "fid": 2, "diffmaglim": 20.31}]
    )
    broker = AlerceBroker(base_url=httpserver.url_for("/ztf/v1"), client=client)
    [alert] = broker.query(oid="ZTF18abcgqmz")
    assert alert.name == "ZTF18abcgqmz"
    assert alert.ra == pytest.approx(279.90476625) and alert.dec == pytest.approx(-4.8708879)
    history = broker.photometry_history(alert).to_pylist()
    assert [round(p["mjd"], 5) for p in history] == [58288.37787, 58347.19135, 58285.4]
    # Both recorded detections have isdiffpos -1 (negative subtraction): signed flux, no magnitude.
    assert history[0]["filter"] == "g" and history[0]["mag"] is None and history[0]["negative_subtraction"]
    assert history[0]["flux"] == pytest.approx(-(10 ** (-0.4 * (18.770634 - 23.9))))
    assert history[2]["filter"] == "r" and history[2]["mag"] is None and history[2]["limit"] == 20.31


def test_alerce_malformed_non_detections_name_the_url(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz").respond_with_json(
        recorded("alerce_ztf_v1_object_ZTF18abcgqmz.json")
    )
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz/detections").respond_with_json([])
    httpserver.expect_request("/ztf/v1/objects/ZTF18abcgqmz/non_detections").respond_with_json([{"mjd": 1}])
    broker = AlerceBroker(base_url=httpserver.url_for("/ztf/v1"), client=client)
    [alert] = broker.query(oid="ZTF18abcgqmz")
    with pytest.raises(AdapterError, match=r"unexpected non-detections from .*non_detections"):
        broker.photometry_history(alert)
    assert broker.to_target(alert)["extra"]["broker"] == "alerce"


def test_alerce_lsst_object_and_flux_detections(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request(
        "/object_api/object", query_string={"survey_id": "lsst", "oid": "170587116732416143"}
    ).respond_with_json(recorded("alerce_lsst_object_170587116732416143.json"))
    httpserver.expect_request("/lightcurve_api/detections").respond_with_json(
        recorded("alerce_lsst_detections_170587116732416143.json")
    )
    broker = AlerceBroker(client=client, settings={"lsst_base_url": httpserver.url_for("/")})
    [alert] = broker.query(survey="lsst", oid="170587116732416143")
    assert alert.name == "LSST-170587116732416143" and alert.dec == pytest.approx(-42.3746911)
    history = broker.photometry_history(alert).to_pylist()
    assert [p["filter"] for p in history] == ["i", "g", "g"]  # band ids mapped through band_map
    # The first detection is a negative difference flux: no magnitude, the flux is kept (µJy).
    assert history[0]["mag"] is None and history[0]["flux"] == pytest.approx(-2.615273)


def test_antares_locus_search_and_alerts(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/v1/loci").respond_with_json(
        recorded("antares_v1_loci_search_ZTF26abeuijw.json")
    )
    httpserver.expect_request("/v1/loci/ANT2026b78o35eau2gs/alerts").respond_with_json(
        recorded("antares_v1_locus_ANT2026b78o35eau2gs_alerts.json")
    )
    broker = AntaresBroker(base_url=httpserver.url_for("/v1"), client=client)
    [alert] = broker.query(ztf_object_id="ZTF26abeuijw")
    sent = httpserver.log[0][0].args["elasticsearch_query[locus_listing]"]
    assert json.loads(sent)["query"]["bool"]["filter"] == {
        "term": {"properties.ztf_object_id": "ZTF26abeuijw"}
    }
    assert alert.name == "ZTF26abeuijw" and alert.aliases == ["ANT2026b78o35eau2gs"]
    assert alert.mag == pytest.approx(15.428149)
    history = broker.photometry_history(alert).to_pylist()
    assert [p["mag"] is None for p in history] == [True, True, False]  # two upper limits, one detection
    assert history[0]["limit"] == pytest.approx(18.7413) and history[0]["filter"] == "r"


def test_antares_cone_search_sends_a_sky_distance_filter(httpserver: HTTPServer, client: HttpClient) -> None:
    # The recorded search answer is for this locus; here it answers a cone around the same place.
    httpserver.expect_request("/v1/loci").respond_with_json(
        recorded("antares_v1_loci_search_ZTF26abeuijw.json")
    )
    broker = AntaresBroker(base_url=httpserver.url_for("/v1"), client=client)
    [alert] = broker.query(ra=59.7257, dec=23.7619, radius=5.0)
    sent = json.loads(httpserver.log[0][0].args["elasticsearch_query[locus_listing]"])
    assert sent["query"]["bool"]["filter"] == {
        "sky_distance": {"distance": f"{5.0 / 3600.0} degree", "htm16": {"center": "59.7257 23.7619"}}
    }
    assert alert.name == "ZTF26abeuijw"
    with pytest.raises(ValidationError, match="needs both"):
        broker.query(dry_run=True, ra=59.7)
    with pytest.raises(ValidationError, match="not a position on the sky"):
        broker.query(dry_run=True, ra=400.0, dec=0.0)
    with pytest.raises(ValidationError, match="give an object id"):
        broker.query(dry_run=True)


def test_fink_objects_groups_alert_rows_into_one_object(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request(
        "/api/v1/objects", method="POST", json={"objectId": "ZTF19aaosfcb", "output-format": "json"}
    ).respond_with_json(recorded("fink_ztf_api_v1_objects.json"))
    broker = FinkBroker(base_url=httpserver.url_for("/api/v1"), client=client)
    [alert] = broker.query(object_id="ZTF19aaosfcb")
    assert alert.name == "ZTF19aaosfcb" and alert.classification == "Unknown"
    assert alert.mjd == pytest.approx(2460826.9102662 - 2400000.5)  # the newest of its three alerts
    history = broker.photometry_history(alert)  # rows came with the answer: no second request
    assert history.num_rows == 3 and len(httpserver.log) == 1


def test_lasair_cone_sends_token_header_and_form(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request(
        "/api/cone/",
        method="POST",
        headers={"Authorization": "Token t0k"},
        data="ra=280.0&dec=-5.0&radius=600.0&requestType=all",
    ).respond_with_json(recorded("lasair_ztf_api_cone.json"))
    broker = LasairBroker(
        base_url=httpserver.url_for("/api"),
        client=client,
        credentials=Credentials("lasair", {"token": "t0k"}),
    )
    alerts = broker.query(ra=280.0, dec=-5.0, radius=600.0)
    assert len(alerts) == 734 and alerts[0].name == "ZTF19aaypuas"
    assert alerts[0].extra["separation_arcsec"] == pytest.approx(19.6948, abs=1e-3)
    assert "t0k" not in str(broker.query(dry_run=True, ra=280.0, dec=-5.0).describe())


def test_lasair_without_token_explains_how_to_set_it(tmp_path: object) -> None:
    broker = LasairBroker(credentials=Credentials("lasair", {}))
    with pytest.raises(AdapterError, match="TOM_TUI_LASAIR_TOKEN"):
        broker.query(dry_run=True, ra=1.0, dec=2.0)


def test_service_error_names_the_service(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/v1/latests").respond_with_json({"unexpected": True})
    broker = FinkBroker(base_url=httpserver.url_for("/api/v1"), client=client)
    with pytest.raises(AdapterError, match="Fink: expected a list"):
        broker.query(fink_class="SN candidate")


# TNS: no real recorded answer is available offline. These bodies follow the documented TNS API
# v1 format (https://www.wis-tns.org/content/tns-getting-started) and are marked as such.
TNS_SEARCH = {
    "id_code": 200,
    "id_message": "OK",
    "data": {"reply": [{"objname": "2024abc", "prefix": "SN", "objid": 150000}]},
}
TNS_OBJECT = {
    "id_code": 200,
    "id_message": "OK",
    "data": {
        "reply": {
            "objname": "2024abc",
            "name_prefix": "SN",
            "radeg": 150.1,
            "decdeg": 2.2,
            "discoverymag": 18.9,
            "object_type": {"name": "SN Ia"},
            "internal_names": "ZTF24aaaaaaa, ATLAS24abc",
            "photometry": [
                {
                    "jd": 2460400.5,
                    "flux": 18.9,
                    "fluxerr": 0.1,
                    "limflux": None,
                    "flux_unit": {"name": "ABMag"},
                    "filters": {"name": "r-ZTF"},
                    "instrument": {"name": "ZTF-Cam"},
                    "telescope": {"name": "P48"},
                },
                {
                    "jd": 2460398.5,
                    "flux": None,
                    "fluxerr": None,
                    "limflux": 20.3,
                    "flux_unit": {"name": "ABMag"},
                    "filters": {"name": "o-ATLAS"},
                    "instrument": {"name": "ACAM1"},
                    "telescope": {"name": "ATLAS"},
                },
            ],
        }
    },
}


def test_tns_search_then_object(httpserver: HTTPServer, client: HttpClient) -> None:
    marker = 'tns_marker{"tns_id":42,"type":"bot","name":"tom_bot"}'
    httpserver.expect_request(
        "/api/get/search", method="POST", headers={"User-Agent": marker}
    ).respond_with_json(TNS_SEARCH)
    httpserver.expect_request("/api/get/object", method="POST").respond_with_json(TNS_OBJECT)
    broker = TnsBroker(
        base_url=httpserver.url_for("/api"),
        client=client,
        credentials=Credentials("tns", {"bot_id": "42", "bot_name": "tom_bot", "api_key": "K"}),
    )
    [listed] = broker.query(objname="2024abc")
    form = httpserver.log[0][0].form
    assert form["api_key"] == "K" and json.loads(form["data"]) == {"objname": "2024abc"}
    alert = broker.complete(listed)
    assert alert.name == "SN 2024abc" and alert.aliases == ["ZTF24aaaaaaa", "ATLAS24abc"]
    history = broker.photometry_history(alert).to_pylist()
    assert history[0]["filter"] == "r" and history[0]["mag"] == 18.9
    assert history[1]["limit"] == 20.3 and history[1]["mag"] is None


def test_tns_error_code_is_reported(httpserver: HTTPServer, client: HttpClient) -> None:
    httpserver.expect_request("/api/get/search").respond_with_json(
        {"id_code": 401, "id_message": "Unauthorized"}
    )
    broker = TnsBroker(
        base_url=httpserver.url_for("/api"),
        client=client,
        credentials=Credentials("tns", {"bot_id": "1", "bot_name": "b", "api_key": "K"}),
    )
    with pytest.raises(AdapterError, match="TNS: 401 Unauthorized"):
        broker.query(objname="2024abc")


def test_simulated_broker_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    broker = make_broker("simulated")
    first = broker.query(lookback_days=2)
    again = make_broker("simulated").query(lookback_days=2)
    assert first and [a.to_json() for a in first] == [a.to_json() for a in again]
    bright = broker.query(lookback_days=2, max_mag=18.0)
    assert bright and all(a.mag is not None and a.mag <= 18.0 for a in bright)
    history = broker.photometry_history(first[0])
    mags = [m for m in history.column("mag").to_pylist() if m is not None]
    assert mags and all(math.isfinite(m) for m in mags)
    assert broker.query(dry_run=True, lookback_days=2).url == "sim://broker/alerts"


def test_cli_flags_come_from_declared_options(store: Store, httpserver: HTTPServer) -> None:
    from click.testing import CliRunner

    from tom_tui.cli.main import cli

    store.config_path.write_text(
        store.config_path.read_text() + f'\n[brokers.antares]\nbase_url = "{httpserver.url_for("/v1")}"\n'
    )
    httpserver.expect_request("/v1/loci").respond_with_json(
        recorded("antares_v1_loci_search_ZTF26abeuijw.json")
    )
    runner = CliRunner()
    listing = runner.invoke(cli, ["broker", "list", "--json"])
    antares = next(b for b in json.loads(listing.stdout) if b["name"] == "antares")
    assert "--ztf-object-id" in [o["flag"] for o in antares["options"]]
    result = runner.invoke(
        cli,
        [
            "--store",
            str(store.root),
            "broker",
            "query",
            "antares",
            "--ztf-object-id",
            "ZTF26abeuijw",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["name"] == "ZTF26abeuijw"
    bad = runner.invoke(cli, ["--store", str(store.root), "broker", "query", "antares", "--limit", "many"])
    assert bad.exit_code == 1 and "limit: 'many' is not a valid int" in bad.stderr


def test_failed_history_fetch_imports_nothing(store: Store, httpserver: HTTPServer) -> None:
    from click.testing import CliRunner

    from tom_tui.cli.main import cli

    store.config_path.write_text(
        store.config_path.read_text() + f'\n[brokers.antares]\nbase_url = "{httpserver.url_for("/v1")}"\n'
    )
    httpserver.expect_request("/v1/loci").respond_with_json(
        recorded("antares_v1_loci_search_ZTF26abeuijw.json")
    )
    httpserver.expect_request("/v1/loci/ANT2026b78o35eau2gs/alerts").respond_with_data("gone", status=404)
    generation = store.generation()
    result = CliRunner().invoke(
        cli, ["--store", str(store.root), "broker", "import", "antares", "--ztf-object-id", "ZTF26abeuijw"]
    )
    assert result.exit_code == 1 and "HTTP 404" in result.stderr and "/alerts" in result.stderr
    assert store.generation() == generation  # the target was not created without its light curve
