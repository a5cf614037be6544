"""Science photometry stored right by every route: signs, fluxes, band names, checks, counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import fastavro
import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.support.paths import ALERTS
from tom_tui.cli.main import cli
from tom_tui.domain.errors import ValidationError
from tom_tui.services.alerts.ingest import ingest_alert_files, ingest_broker_alerts
from tom_tui.services.alerts.yse import ingest_yse_file
from tom_tui.services.photometry.lightcurve import lightcurve_of
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.plugins import make_broker
from tom_tui.services.targets.operations import TargetService
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store

FINK_ZTF = ALERTS / "fink_datatransfer_ztf_part-3-305711_nocutouts.avro"
FINK_SAMPLE = ALERTS / "fink-broker-sample-alert-1.avro"
# In the Fink transfer, ZTF26aamcamo's alert and both of its earlier detections are negative
# subtractions (isdiffpos 'f'): the object faded below its reference; it never had a magnitude.
ALL_NEGATIVE = "ZTF26aamcamo"


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def points(store: Store, name: str) -> list[dict[str, Any]]:
    target = TargetService(store).get(name)
    assert target.id is not None
    with store.read() as view:
        rows: list[dict[str, Any]] = target_photometry(view, target.id).to_pylist()
    return rows


def summary_of(store: Store, name: str) -> dict[str, Any]:
    target = TargetService(store).get(name)
    with store.read() as view:
        rows: list[dict[str, Any]] = photometry_store.read_summary(view).to_pylist()
    [row] = [row for row in rows if row["target_id"] == target.id]
    return row


def test_a_negative_subtraction_is_never_the_latest_magnitude(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_ZTF])
    stored = [p for p in points(store, ALL_NEGATIVE) if p["source"] == "ztf-alert"]
    negatives = [p for p in stored if p["negative_subtraction"]]
    assert len(negatives) == 3 and all(p["mag"] is None and p["flux"] < 0 for p in negatives)
    summary = summary_of(store, ALL_NEGATIVE)
    assert summary["n_detections"] == 0 and summary["last_det_mag"] is None and summary["peak_mag"] is None


def test_alert_points_are_stored_with_canonical_bands_and_fluxes(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_SAMPLE])
    stored = points(store, "ZTF18abvcdqu")
    assert {p["filter"] for p in stored} <= {"ztfg", "ztfr", "ztfi"}
    detections = [p for p in stored if p["mag"] is not None]
    assert len(detections) == 3 and all(p["flux"] and p["fluxerr"] for p in detections)
    output = tmp_path / "ztf18abvcdqu.dat"
    code, _, err = run(store, "data", "export", "ZTF18abvcdqu", "--format", "snana", "--output", str(output))
    assert code == 0, err
    assert "NOBS: 7" in output.read_text()  # three detections and four signed negative fluxes


def test_rerun_reports_points_added_not_offered(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    code, first, _ = run(store, "ingest", "alerts", str(FINK_SAMPLE))
    assert code == 0 and "24 photometry point(s) added, 0 already stored" in first
    code, again, _ = run(store, "ingest", "alerts", str(FINK_SAMPLE))
    assert code == 0 and "0 photometry point(s) added, 24 already stored, 0 replaced" in again


def test_an_avro_file_of_another_kind_is_skipped_with_exit_status_1(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    code, out, err = run(
        store, "ingest", "alerts", str(ALERTS / "skyportal_babamul_alert.avro"), str(FINK_SAMPLE)
    )
    assert code == 1 and "'BabamulZtfAlert' records" in err and "KeyError" not in err
    assert "1 target(s) created" in out and len(points(store, "ZTF18abvcdqu")) == 24


def test_an_alert_with_a_garbage_magnitude_loses_that_point_only(tmp_path: Path) -> None:
    with FINK_SAMPLE.open("rb") as handle:
        reader = fastavro.reader(handle)
        schema, [record] = reader.writer_schema, [cast(dict[str, Any], packet) for packet in reader]
    record["candidate"]["magpsf"] = -50.0
    bad = tmp_path / "bad.avro"
    with bad.open("wb") as handle:
        fastavro.writer(handle, schema, [record])
    store = Store.init(tmp_path / "store")
    report = ingest_alert_files(store, [bad])
    [reason] = report.skipped
    assert "ZTF18abvcdqu" in reason and "mag -50" in reason and "point skipped" in reason
    assert report.photometry_invalid == 1 and report.photometry_stored == 23
    assert all(p["mag"] != -50.0 for p in points(store, "ZTF18abvcdqu"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"mag": "NaN"}, "mag nan"),  # as a string: JSON has no NaN
        ({"mag": -50.0}, "mag -50"),
        ({"mag_err": -0.1}, "magerr -0.1"),
        ({"obs_date": "1858-11-17T00:00:00"}, "MJD 0 is not a date between 1900 and 2100"),
    ],
)
def test_a_yse_dictionary_with_garbage_is_refused_whole(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    point = {"obs_date": "2019-01-10T00:06:00", "band": "g-ZTF", "mag": 18.1, "mag_err": 0.03, **change}
    document = {
        "2019np": {
            "name": "2019np",
            "ra": 157.34,
            "dec": 29.51,
            "transientphotometry": {"ZTF": {"instrument": "ZTF", "photdata": {"0": point}}},
        }
    }
    path = tmp_path / "yse.json"
    path.write_bytes(orjson.dumps(document))
    store = Store.init(tmp_path / "store")
    generation = store.generation()
    with pytest.raises(ValidationError, match=expected) as raised:
        ingest_yse_file(store, path)
    assert "2019np" in str(raised.value) and "nothing was ingested" in str(raised.value)
    assert store.generation() == generation


def test_update_with_mjd_match_replaces_the_changed_point(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    TargetService(store).add({"name": "SN 2012fr", "ra": 53.4, "dec": -36.1})
    first, changed = tmp_path / "first.csv", tmp_path / "changed.csv"
    first.write_text("time,filter,magnitude,error\n55959.0700,r,15.58,0.01\n")
    changed.write_text("time,filter,magnitude,error\n55959.0705,r,15.90,0.01\n")
    assert run(store, "data", "upload", "SN 2012fr", str(first), "--type", "photometry")[0] == 0
    code, _, err = run(
        store, "data", "upload", "SN 2012fr", str(changed), "--type", "photometry",
        "--on-duplicate", "update", "--mjd-match", "0.01",
    )  # fmt: skip
    assert code == 0, err
    assert [p["mag"] for p in points(store, "SN 2012fr")] == [15.90]


def test_points_stored_before_the_flag_existed_read_as_not_negative(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_SAMPLE])
    for path in (store.root / "photometry").rglob("*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["negative_subtraction"]), path)
    stored = points(store, "ZTF18abvcdqu")
    assert len(stored) == 24 and {p["negative_subtraction"] for p in stored} == {None}
    # New points of the same target go in next to the old file, and both read together.
    extra = tmp_path / "extra.csv"
    extra.write_text("time,filter,magnitude,error\n60000.5,V,18.2,0.05\n")
    code, _, err = run(store, "data", "upload", "ZTF18abvcdqu", str(extra), "--type", "photometry")
    assert code == 0, err
    assert len(points(store, "ZTF18abvcdqu")) == 25


def test_rubin_points_are_stored_in_utc_with_the_canonical_band(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    report = ingest_alert_files(store, [ALERTS / "fink_datatransfer_lsst_part-2-918301_nocutouts.avro"])
    stored = points(store, "LSST-170028485706776685")
    assert report.created == 5 and {p["filter"] for p in stored} == {"lsstg", "lsstr", "lssti", "lsstz"}
    with (ALERTS / "fink_datatransfer_lsst_part-2-918301_nocutouts.avro").open("rb") as handle:
        record = cast(dict[str, Any], next(iter(fastavro.reader(handle))))
    source = record["diaSource"]
    utc = source["midpointMjdTai"] - 37.0 / 86_400.0
    [latest] = [p for p in stored if p["source"] == "lsst-alert" and abs(p["mjd"] - utc) < 1e-9]
    assert latest["negative_subtraction"] is True and latest["mag"] is None
    assert summary_of(store, "LSST-170028485706776685")["last_det_mjd"] != pytest.approx(utc)


def test_a_file_spelling_band_and_telescope_its_own_way_finds_the_alert_point(tmp_path: Path) -> None:
    with FINK_SAMPLE.open("rb") as handle:
        record = cast(dict[str, Any], next(iter(fastavro.reader(handle))))
    candidate = record["candidate"]
    band = {1: "g", 2: "r", 3: "i"}[candidate["fid"]]
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_SAMPLE])
    path = tmp_path / "mine.csv"
    path.write_text(
        "jd,filter,mag,magerr,telescope\n"
        f"{candidate['jd']},{band}-ZTF,{candidate['magpsf']},{candidate['sigmapsf']},ZTF\n"
    )
    code, out, err = run(
        store, "data", "upload", "ZTF18abvcdqu", str(path), "--type", "photometry", "--on-duplicate", "ignore"
    )
    assert code == 0 and "0 points added, 1 duplicates skipped" in out, err


def test_a_negative_subtraction_is_never_drawn_as_a_brightening(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_ZTF])
    magnitudes = lightcurve_of(store, ALL_NEGATIVE).data
    assert sum(len(series.x) for series in magnitudes.series) == 0  # no magnitude at all
    assert sum(len(series.limit_x) for series in magnitudes.series) >= 3  # drawn as limits
    fluxes = lightcurve_of(store, ALL_NEGATIVE, flux=True).data
    alert_fluxes = np.concatenate([series.y for series in fluxes.series])
    assert len(alert_fluxes) == 3 and (alert_fluxes < 0).all()  # below zero, where they belong


def test_a_broker_rerun_counts_points_added_not_offered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T12:00:00+00:00")
    store = Store.init(tmp_path / "store")
    broker = make_broker("simulated", store.config, store.root)
    alerts = broker.query(lookback_days=1.0)
    first = ingest_broker_alerts(store, broker, alerts).counts()
    again = ingest_broker_alerts(store, broker, alerts).counts()
    assert first["photometry"] > 0 and first["photometry_duplicates"] == 0
    assert again["photometry"] == 0 and again["photometry_duplicates"] == first["photometry"]
