"""What alert packet fields mean, pinned on real packets: isdiffpos, Rubin's signed flux and TAI
times, fluxes of detections, and Avro files that are not alerts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

import fastavro
import pytest
from pytest_httpserver import HTTPServer

from tests.support.paths import ALERTS, BROKERS
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.adapters.brokers.alerce import AlerceBroker
from tom_tui.adapters.http import HttpClient
from tom_tui.domain.units import AB_ZERO_POINT_UJY, jd_to_mjd

# ZTF18abvcdqu (Fink livestream sample): a positive candidate and six previous detections, four of
# them negative subtractions (isdiffpos 'f').
FINK_SAMPLE = ALERTS / "fink-broker-sample-alert-1.avro"
FINK_LSST = ALERTS / "fink_datatransfer_lsst_part-2-918301_nocutouts.avro"
TAI_MINUS_UTC_DAYS = 37.0 / 86_400.0


def first_record(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        record = cast(dict[str, Any], next(iter(fastavro.reader(handle))))
    return record


def test_ztf_negative_subtractions_keep_their_sign() -> None:
    record = first_record(FINK_SAMPLE)
    previous = [p for p in record["prv_candidates"] if p["candid"] is not None]
    negative_jd = {p["jd"] for p in previous if p["isdiffpos"] in ("f", "0")}
    assert len(previous) == 6 and len(negative_jd) == 4
    rows = [r for r in read_alerts([FINK_SAMPLE]).photometry.to_pylist() if r["target"] == "ZTF18abvcdqu"]
    negatives = [r for r in rows if r["negative_subtraction"]]
    detections = [r for r in rows if r["mag"] is not None]
    assert {r["mjd"] for r in negatives} == {jd_to_mjd(jd) for jd in negative_jd}
    assert len(detections) == 3  # the candidate and two positive previous detections
    for row in negatives:
        assert row["mag"] is None and row["flux"] < 0 and row["fluxerr"] > 0 and row["limit"] is not None
    negative = next(p for p in previous if p["isdiffpos"] == "f")
    [stored] = [r for r in negatives if r["mjd"] == jd_to_mjd(negative["jd"])]
    assert stored["flux"] == pytest.approx(-(10 ** (-0.4 * (negative["magpsf"] - AB_ZERO_POINT_UJY))))


def test_every_alert_detection_has_its_flux_in_microjansky() -> None:
    rows = read_alerts([FINK_SAMPLE, ALERTS / "fink_ZTF19acihgng.avro"]).photometry.to_pylist()
    detections = [r for r in rows if r["mag"] is not None]
    assert detections
    for row in detections:
        assert row["flux"] == pytest.approx(10 ** (-0.4 * (row["mag"] - AB_ZERO_POINT_UJY)))
        assert row["fluxerr"] == pytest.approx(row["flux"] * row["magerr"] / 1.0857362, rel=1e-6)


def test_rubin_times_are_stored_as_utc_and_negative_fluxes_keep_their_sign() -> None:
    first = first_record(FINK_LSST)
    source = first["diaSource"]
    assert source["psfFlux"] < 0  # this real alert is itself a negative difference source
    negative_times = {source["midpointMjdTai"]} | {
        p["midpointMjdTai"] for p in first["prvDiaSources"] if p["psfFlux"] < 0
    }
    batch = read_alerts([FINK_LSST])
    name = f"LSST-{source['diaObjectId']}"
    packet = next(p for p in batch.packets if p.object_id == name)
    assert packet.mjd == pytest.approx(source["midpointMjdTai"] - TAI_MINUS_UTC_DAYS, abs=1e-9)
    rows = [r for r in batch.photometry.to_pylist() if r["target"] == name and r["source"] == "lsst-alert"]
    negatives = [r for r in rows if r["negative_subtraction"]]
    expected = {round((mjd - TAI_MINUS_UTC_DAYS) * 86_400_000) for mjd in negative_times}
    assert {round(r["mjd"] * 86_400_000) for r in negatives} == expected and len(negatives) == 251
    assert all(r["flux"] < 0 and r["mag"] is None and r["limit"] is not None for r in negatives)
    [latest] = [r for r in negatives if r["mjd"] == pytest.approx(packet.mjd, abs=1e-9)]
    assert latest["flux"] == pytest.approx(source["psfFlux"] / 1000.0)


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("skyportal_ampel_report.avro", "'ampel.contrib.hu.model.LSSTReport.LSSTReport' records"),
        ("skyportal_babamul_alert.avro", "'BabamulZtfAlert' records"),
    ],
)
def test_an_avro_file_of_another_kind_says_what_it_is(name: str, what: str) -> None:
    batch = read_alerts([ALERTS / name])
    assert batch.packets == [] and batch.photometry.num_rows == 0 and batch.unreadable_files == 1
    [reason] = batch.skipped
    assert what in reason and "supported: ZTF alert packets" in reason and "KeyError" not in reason


def test_an_unreadable_file_is_skipped_and_the_others_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.avro"
    broken.write_bytes(FINK_SAMPLE.read_bytes()[:3000])  # cut in the middle of its first packet
    batch = read_alerts([broken, FINK_SAMPLE])
    assert batch.unreadable_files == 1 and str(broken) in batch.skipped[0]
    assert [p.object_id for p in batch.packets] == ["ZTF18abvcdqu"]
    alone = read_alerts([FINK_SAMPLE])
    assert batch.photometry.equals(alone.photometry)


def test_rubin_sources_relayed_by_alerce_get_the_same_mapping(
    httpserver: HTTPServer, client: HttpClient
) -> None:
    detections = json.loads((BROKERS / "alerce_lsst_detections_170587116732416143.json").read_text())
    httpserver.expect_request("/object_api/object").respond_with_json(
        json.loads((BROKERS / "alerce_lsst_object_170587116732416143.json").read_text())
    )
    httpserver.expect_request("/lightcurve_api/detections").respond_with_json(detections)
    broker = AlerceBroker(client=client, settings={"lsst_base_url": httpserver.url_for("/")})
    [alert] = broker.query(survey="lsst", oid="170587116732416143")
    history = broker.photometry_history(alert).to_pylist()
    assert detections[0]["isNegative"] and history[0]["negative_subtraction"] is True
    assert history[0]["limit"] == pytest.approx(
        23.9 - 2.5 * math.log10(5 * detections[0]["psfFluxErr"] / 1000)
    )
    assert [p["mjd"] for p in history] == pytest.approx(
        [d["mjd"] - TAI_MINUS_UTC_DAYS for d in detections], abs=1e-9
    )


def test_an_alert_on_a_negative_subtraction_offers_no_magnitude_to_rules() -> None:
    batch = read_alerts([ALERTS / "fink_datatransfer_ztf_part-3-305711_nocutouts.avro"])
    packet = next(p for p in batch.packets if p.object_id == "ZTF26aamcamo")  # isdiffpos 'f'
    assert packet.mag is None and packet.magerr is None
