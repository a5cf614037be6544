"""One observation, four routes in (a file, an alert, a broker, a YSE-PZ upload): one point.

The observation is the candidate of a real ZTF alert (tests/data/alerts/fink_ZTF19acihgng.avro:
jd 2458814.6358333, fid 2 (r), magpsf 18.632). The other three inputs carry the same measurement
the way each route spells it: a CSV with ``ztfr`` and the MJD to seven digits, a Fink API answer
(the recorded one of tests/data/brokers with this candidate's fields) served over HTTP to the
broker's own request code, and a YSE-PZ dictionary with an ISO date and the ``r-ZTF`` band.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pytest_httpserver import HTTPServer

from tom_tui.adapters.brokers.fink import FinkBroker
from tom_tui.adapters.http import HttpClient, RateLimiter
from tom_tui.domain.clock import from_mjd
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint
from tom_tui.domain.units import jd_to_mjd
from tom_tui.services.alerts.ingest import ingest_alert_files, ingest_broker_alerts
from tom_tui.services.alerts.yse import ingest_yse_file
from tom_tui.services.data.products import upload_data_product
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

DATA = Path(__file__).resolve().parents[2] / "data"
ALERT = DATA / "alerts" / "fink_ZTF19acihgng.avro"
FINK_ANSWER = DATA / "brokers" / "fink_ztf_api_v1_objects.json"
NAME = "ZTF19acihgng"
# The alert's candidate (read from the packet by the alert reader; pinned here).
JD, FID, MAG, MAGERR = 2458814.6358333, 2, 18.632339477539062, 0.13490362465381622
RA, DEC = 289.8937586, 61.8469285
MJD = jd_to_mjd(JD)


def csv_upload(store: Store, folder: Path) -> None:
    path = folder / "ztf_forced.csv"
    path.write_text(
        f"mjd,filter,mag,magerr,telescope,instrument\n{MJD:.7f},ztfr,{MAG:.3f},{MAGERR:.3f},P48,ZTF\n"
    )
    upload_data_product(store, NAME, path, "photometry", dedup=DedupPolicy(OnDuplicatePoint.IGNORE))


def broker_import(store: Store, httpserver: HTTPServer) -> None:
    recorded = json.loads(FINK_ANSWER.read_text())
    row = copy.deepcopy(recorded[0])
    row.update(
        {
            "i:objectId": NAME,
            "i:jd": JD,
            "i:fid": FID,
            "i:magpsf": MAG,
            "i:sigmapsf": MAGERR,
            "i:ra": RA,
            "i:dec": DEC,
        }
    )
    httpserver.expect_request(
        "/api/v1/objects", method="POST", json={"objectId": NAME, "output-format": "json"}
    ).respond_with_json([row])
    client = HttpClient(timeout=5.0, retries=0, rate_limiter=RateLimiter(default_per_second=0))
    broker = FinkBroker(base_url=httpserver.url_for("/api/v1"), client=client)
    alerts = broker.query(object_id=NAME)
    ingest_broker_alerts(store, broker, alerts)


def yse_upload(store: Store, folder: Path) -> None:
    document = {
        NAME: {
            "name": NAME,
            "ra": RA,
            "dec": DEC,
            "transientphotometry": {
                "ZTF": {
                    "instrument": "ZTF",
                    "obs_group": "ZTF",
                    "photdata": {
                        "0": {
                            "obs_date": from_mjd(MJD).isoformat(),
                            "band": "r-ZTF",
                            "mag": MAG,
                            "mag_err": MAGERR,
                        }
                    },
                }
            },
        }
    }
    path = folder / "yse.json"
    path.write_bytes(orjson.dumps(document))
    ingest_yse_file(store, path)


def points_of_the_observation(store: Store) -> pa.Table:
    with store.read() as view:
        target = TargetService(store).get(NAME)
        assert target.id is not None
        table = target_photometry(view, target.id)
    near = pc.less(pc.abs(pc.subtract(table.column("mjd"), MJD)), 0.01)
    return table.filter(near)


@pytest.mark.parametrize("file_first", [True, False])
def test_one_observation_by_four_routes_is_one_point(
    tmp_path: Path, httpserver: HTTPServer, file_first: bool
) -> None:
    store = Store.init(tmp_path / "store")
    TargetService(store).add({"name": NAME, "ra": RA, "dec": DEC})
    if file_first:
        csv_upload(store, tmp_path)
    report = ingest_alert_files(store, [ALERT])
    assert report.updated == 1 and report.photometry_stored > 0  # its history is new
    broker_import(store, httpserver)
    yse_upload(store, tmp_path)
    if not file_first:
        csv_upload(store, tmp_path)
    [point] = points_of_the_observation(store).to_pylist()
    # The first route to bring it keeps it: the file's row (of its data product), or the alert's.
    if file_first:
        assert point["product_id"] is not None and point["filter"] == "ztfr"
    else:
        assert point["source"] == "ztf-alert" and point["filter"] == "ztfr"  # one name for ZTF r
    assert point["mag"] == pytest.approx(MAG, abs=1e-3) and point["magerr"] == pytest.approx(MAGERR, abs=1e-3)
    assert point["telescope"] == "P48" and point["instrument"] == "ZTF" and point["magsys"].upper() == "AB"
    with store.read() as view:
        target = TargetService(store).get(NAME)
        assert target.id is not None
        everything = target_photometry(view, target.id)
    # Every point of the alert's history is there once, the broker, YSE and file added nothing new.
    assert everything.num_rows == report.photometry_points
