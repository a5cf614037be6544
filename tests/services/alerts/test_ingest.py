from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from tests.support.paths import ALERTS
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.cli.main import cli
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

ZTF_FILES = [
    ALERTS / "fink_ZTF19acihgng.avro",
    ALERTS / "skyportal_541234765015015012.avro",
    ALERTS / "fink-broker-sample-alert-1.avro",
]
FINK_ZTF = ALERTS / "fink_datatransfer_ztf_part-3-305711_nocutouts.avro"
FINK_LSST = ALERTS / "fink_datatransfer_lsst_part-2-918301_nocutouts.avro"


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def names(store: Store) -> list[str]:
    with store.read() as view:
        return sorted(TargetRepository(view).index.table.column("name").to_pylist())


def test_reads_ztf_packets_with_their_history() -> None:
    batch = read_alerts([ALERTS / "fink_ZTF19acihgng.avro"])
    [packet] = batch.packets
    assert packet.object_id == "ZTF19acihgng" and packet.filter == "r"
    assert packet.ra == pytest.approx(289.8937586) and packet.mag == pytest.approx(18.63234, abs=1e-4)
    table = batch.photometry
    assert table.num_rows == 35  # the candidate plus 34 previous candidates
    limits = [row for row in table.to_pylist() if row["mag"] is None]
    assert limits and all(row["limit"] is not None for row in limits)


def test_reads_fink_enriched_ztf_packets() -> None:
    batch = read_alerts([FINK_ZTF])
    assert len(batch.packets) == 31
    first = batch.packets[0]
    assert first.classification == "SN candidate" and "fink_snn_snia_vs_nonia" in first.extra


def test_reads_rubin_packets_schema_10_and_11() -> None:
    batch = read_alerts([FINK_LSST])
    assert [p.object_id for p in batch.packets][:2] == ["LSST-170028485706776685", "LSST-313897383979122767"]
    assert len(batch.skipped) == 2 and "solar-system" in batch.skipped[0]  # moving objects are not targets
    sources = set(batch.photometry.column("source").to_pylist())
    assert sources == {"lsst-alert", "lsst-forced"}
    for version in ("10", "11"):
        [packet] = read_alerts([ALERTS / f"lsst_v{version}_0_fakeAlert.avro"]).packets
        assert packet.schema == f"lsst.v{version}_0.alert" and packet.filter == "r"


def test_history_repeated_across_packets_is_kept_once(tmp_path: Path) -> None:
    once = read_alerts([FINK_ZTF]).photometry.num_rows
    twice = read_alerts([FINK_ZTF, FINK_ZTF]).photometry.num_rows
    assert once == twice


def test_ingest_cli_creates_targets_then_updates_them(store: Store) -> None:
    code, out, err = run(store, "ingest", "alerts", *map(str, ZTF_FILES), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["created"] == 3 and report["photometry_points"] > 40
    assert names(store) == ["ZTF17aabwnkw", "ZTF18abvcdqu", "ZTF19acihgng"]
    code, out, _ = run(store, "ingest", "alerts", str(ZTF_FILES[0]), "--json")
    again = json.loads(out)
    assert code == 0 and again["created"] == 0 and again["updated"] == 1
    assert len(names(store)) == 3


def test_alert_near_a_known_target_updates_it_instead_of_duplicating(store: Store) -> None:
    TargetService(store).add({"name": "My favourite star", "ra": 289.8937586 + 0.5 / 3600, "dec": 61.8469285})
    report = ingest_alert_files(store, [ZTF_FILES[0]])
    assert report.created == 0 and report.updated == 1
    target = TargetService(store).get("ZTF19acihgng")  # the alert's name became an alias
    assert target.name == "My favourite star" and "ZTF19acihgng" in target.aliases


def test_directory_ingest_and_rubin_alerts(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "lsst.avro").write_bytes(FINK_LSST.read_bytes())
    report = ingest_alert_files(store, [folder])
    assert report.created == 5 and report.alerts == 7 and len(report.skipped) == 2


def test_rules_filter_and_tag(store: Store) -> None:
    store.config_path.write_text(
        store.config_path.read_text()
        + '\n[[alert_rules]]\nname = "sn-candidates"\nclassification = "SN candidate"\nmax_mag = 19.5\n'
    )
    code, out, err = run(store, "ingest", "alerts", str(FINK_ZTF), "--rules-only", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["created"] == report["rule_matches"]["sn-candidates"] > 0
    assert report["filtered_out"] > 0
    with store.read() as view:
        tags = TargetRepository(view).index.table.column("tags").to_pylist()
    assert all("sn-candidates" in t for t in tags)


def test_watch_list_rule_tags_alerts_near_listed_targets(store: Store) -> None:
    TargetService(store).add(
        {"name": "Watched", "ra": 189.883275, "dec": 21.135043 + 3 / 3600, "lists": ["Z"]}
    )
    store.config_path.write_text(
        store.config_path.read_text()
        + '\n[[alert_rules]]\nname = "near-Z"\nnear_list = "Z"\nradius_arcsec = 5\n'
    )
    report = ingest_alert_files(store, ZTF_FILES, rules_only=True)
    assert report.rule_matches == {"near-Z": 1} and report.filtered_out == 2
    # 3″ is beyond the 2″ duplicate radius: a new target, tagged with the rule that matched.
    assert "near-Z" in TargetService(store).get("ZTF17aabwnkw").tags


def test_bad_rule_config_is_reported_with_its_place(store: Store) -> None:
    store.config_path.write_text(
        store.config_path.read_text() + '\n[[alert_rules]]\nname = "x"\nmax_mag = "bright"\n'
    )
    code, _, err = run(store, "ingest", "alerts", str(ZTF_FILES[0]))
    assert code == 1 and "alert_rules[1]" in err and "max_mag" in err


def test_bad_file_is_skipped_and_named_while_the_others_are_ingested(store: Store, tmp_path: Path) -> None:
    bogus = tmp_path / "broken.avro"
    bogus.write_bytes(b"Obj\x01garbage")
    code, _, err = run(store, "ingest", "alerts", str(ZTF_FILES[0]), str(bogus))
    assert code == 1 and "broken.avro" in err and "not a readable Avro alert file" in err
    assert names(store) == ["ZTF19acihgng"]


def test_missing_file_is_reported(store: Store, tmp_path: Path) -> None:
    code, _, err = run(store, "ingest", "alerts", str(tmp_path / "nope.avro"))
    assert code == 1 and "nope.avro: no such file" in err


YSE_UPLOAD = {
    "noupdatestatus": True,
    "2019np": {
        "name": "2019np",
        "ra": 157.3415,
        "dec": 29.5106667,
        "status": "Watch",
        "obs_group": "ZTF",
        "tags": ["YSE"],
        "transientphotometry": {
            "mjdmatchmin": 0.01,
            "clobber": True,
            "ZTF": {
                "instrument": "ZTF-Cam",
                "obs_group": "ZTF",
                "photdata": {
                    "0": {"obs_date": "2019-01-10T00:00:00", "band": "g-ZTF", "mag": 18.5, "mag_err": 0.05},
                    "1": {"obs_date": "2019-01-10T00:05:00", "band": "g-ZTF", "mag": 18.4, "mag_err": 0.05},
                    "2": {
                        "obs_date": "2019-01-12T00:00:00",
                        "band": "r-ZTF",
                        "mag": None,
                        "flux": 1000.0,
                        "flux_err": 50.0,
                        "flux_zero_point": 27.5,
                    },
                },
            },
        },
    },
}


def test_yse_upload_creates_target_and_honours_clobber(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "upload.json"
    path.write_bytes(orjson.dumps(YSE_UPLOAD))
    code, out, err = run(store, "ingest", "yse", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    # The two g points 5 minutes apart are one observation (mjdmatchmin 0.01 d); clobber keeps the later.
    assert report["created"] == 1 and report["photometry_points"] == 2
    target = TargetService(store).get("2019np")
    assert target.extra["status"] == "Watch" and "YSE" in target.tags


def test_yse_noupdatestatus_keeps_the_existing_status(store: Store, tmp_path: Path) -> None:
    TargetService(store).add(
        {"name": "2019np", "ra": 157.3415, "dec": 29.5106667, "extra": {"status": "Following"}}
    )
    path = tmp_path / "upload.json"
    path.write_bytes(orjson.dumps(YSE_UPLOAD))
    assert run(store, "ingest", "yse", str(path))[0] == 0
    assert TargetService(store).get("2019np").extra["status"] == "Following"
    path.write_bytes(orjson.dumps({**YSE_UPLOAD, "noupdatestatus": False}))
    assert run(store, "ingest", "yse", str(path))[0] == 0
    assert TargetService(store).get("2019np").extra["status"] == "Watch"


def test_yse_bad_date_names_the_point(store: Store, tmp_path: Path) -> None:
    upload = json.loads(json.dumps(YSE_UPLOAD))
    upload["2019np"]["transientphotometry"]["ZTF"]["photdata"]["1"]["obs_date"] = "yesterday"
    path = tmp_path / "upload.json"
    path.write_text(json.dumps(upload))
    code, _, err = run(store, "ingest", "yse", str(path))
    assert code == 1 and "2019np.transientphotometry.ZTF.photdata.1.obs_date" in err
    assert names(store) == []


def test_broker_import_from_the_simulated_sky(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    code, out, err = run(store, "broker", "query", "simulated", "--lookback-days", "1", "--json")
    assert code == 0, err
    results = json.loads(out)
    assert results
    chosen = results[0]["id"]
    code, out, err = run(
        store, "broker", "import", "simulated", "--lookback-days", "1", "--only", chosen, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["created"] == 1 and names(store) == [chosen]
    code, out, _ = run(store, "broker", "query", "simulated", "--dry-run")
    assert code == 0 and json.loads(out)["url"] == "sim://broker/alerts"


def test_alert_photometry_is_stored_once(store: Store) -> None:
    from tom_tui.store.photometry import read_points

    report = ingest_alert_files(store, [FINK_ZTF])
    assert report.photometry_stored == report.photometry_points > 0
    again = ingest_alert_files(store, [FINK_ZTF])
    assert again.photometry_stored == 0  # every point is already there
    expected = read_alerts([FINK_ZTF]).photometry
    expected_rows = sum(1 for name in expected.column("target").to_pylist() if name == "ZTF26aamcbly")
    with store.read() as view:
        target = TargetRepository(view).find("ZTF26aamcbly")
        assert target is not None and target.id is not None
        points = read_points(view, target.id)
    assert points.num_rows == expected_rows and set(points.column("source").to_pylist()) == {"ztf-alert"}


def test_yse_clobber_replaces_stored_points_within_mjdmatchmin(store: Store, tmp_path: Path) -> None:
    from tom_tui.store.photometry import read_points

    path = tmp_path / "upload.json"
    path.write_bytes(orjson.dumps(YSE_UPLOAD))
    assert run(store, "ingest", "yse", str(path))[0] == 0
    revised = json.loads(json.dumps(YSE_UPLOAD))
    revised["2019np"]["transientphotometry"]["ZTF"]["photdata"] = {
        "0": {"obs_date": "2019-01-10T00:06:00", "band": "g-ZTF", "mag": 18.1, "mag_err": 0.03}
    }
    path.write_bytes(orjson.dumps(revised))
    assert run(store, "ingest", "yse", str(path))[0] == 0
    target = TargetService(store).get("2019np")
    assert target.id is not None
    with store.read() as view:
        g_mags = [p["mag"] for p in read_points(view, target.id).to_pylist() if p["filter"] == "ztfg"]
    assert g_mags == [18.1]
    revised["2019np"]["transientphotometry"]["clobber"] = False
    revised["2019np"]["transientphotometry"]["ZTF"]["photdata"]["0"]["mag"] = 17.0
    path.write_bytes(orjson.dumps(revised))
    assert run(store, "ingest", "yse", str(path))[0] == 0
    with store.read() as view:
        g_mags = [p["mag"] for p in read_points(view, target.id).to_pylist() if p["filter"] == "ztfg"]
    assert g_mags == [18.1]  # without clobber the stored point stays


def test_parallel_reading_gives_the_same_batch(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for k, source in enumerate([*ZTF_FILES, FINK_ZTF, FINK_LSST] * 2):
        (folder / f"{k:02d}-{source.name}").write_bytes(source.read_bytes())
    serial, parallel = read_alerts([folder], workers=1), read_alerts([folder], workers=2)
    assert [p.object_id for p in serial.packets] == [p.object_id for p in parallel.packets]
    assert serial.photometry.num_rows == parallel.photometry.num_rows and serial.skipped == parallel.skipped


def test_crossmatch_finds_every_pair_including_ra_wrap() -> None:
    import numpy as np

    from tom_tui.domain.sky import crossmatch

    target_ra = np.array([359.9999, 10.0, 10.0, 180.0, np.nan])
    target_dec = np.array([0.0, 89.9999, -30.0, 45.0, 0.0])
    alert_ra = np.array([0.0001, 190.0, 10.0005, 50.0])
    alert_dec = np.array([0.0, 89.9999, -30.0, 10.0])
    alerts, targets, separations = crossmatch(target_ra, target_dec, alert_ra, alert_dec, 2.0)
    assert alerts.tolist() == [0, 1, 2] and targets.tolist() == [0, 1, 2]
    assert separations[0] == pytest.approx(0.72, abs=0.01)  # across RA 0/360
    assert separations[1] == pytest.approx(0.72, abs=0.01)  # over the pole: 2 x 0.36″


def test_alert_ingest_reports_its_stages(store: Store) -> None:
    stages: list[str] = []
    ingest_alert_files(store, [ZTF_FILES[0]], progress=stages.append)
    assert stages == ["decoding alert files", "matching 1 alerts against the store and writing them"]
