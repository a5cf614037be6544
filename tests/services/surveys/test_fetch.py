"""Fetching survey photometry into a store: one ingest with dedup, what each service answered
remembered per target and position, failures per target, nothing left half-written."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.cli import append_config
from tests.support.stores import snapshot
from tom_tui.adapters.surveys.simulated import field_source
from tom_tui.services.photometry.reads import photometry_of
from tom_tui.services.surveys.fetch import (
    TargetListRef,
    fetch_survey,
    remembered_fetches,
)
from tom_tui.services.targets.lists import ListService
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

SEED = 2026


@pytest.fixture(autouse=True)
def short_simulated_history(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    append_config(store, "[surveys.simulated]\nstart_mjd = 61200.0")


def empty_position() -> tuple[float, float]:
    for i in range(200):
        ra, dec = 30.0 + i * 0.41, 15.0 + i * 0.07
        if field_source(ra, dec, SEED) is None:
            return ra, dec
    raise AssertionError("no empty field found")


def add(store: Store, name: str, ra: float, dec: float) -> int:
    target_id = TargetService(store).add({"name": name, "ra": ra, "dec": dec}).target.id
    assert target_id is not None
    return target_id


def points(store: Store, target_id: int) -> int:
    return photometry_of(store, target_id)[1].num_rows


def test_fetching_twice_adds_nothing_and_force_finds_every_point_stored(store: Store) -> None:
    target = add(store, "Field star", 150.0, 30.0)
    first = fetch_survey(store, "Field star")
    assert first.added > 0 and first.targets[0].status == "added"
    assert points(store, target) == first.added
    again = fetch_survey(store, "Field star")
    assert again.counts()["skipped"] == 1 and again.added == 0
    assert "--force" in again.targets[0].reason
    forced = fetch_survey(store, [target], force=True)
    assert forced.added == 0 and forced.duplicates == first.added
    assert points(store, target) == first.added


def test_an_empty_answer_is_remembered_and_not_asked_again(store: Store) -> None:
    ra, dec = empty_position()
    target = add(store, "Blank sky", ra, dec)
    summary = fetch_survey(store, "Blank sky")
    assert summary.counts()["empty"] == 1 and summary.added == 0
    record = remembered_fetches(store, "simulated")[str(target)]
    assert record["empty"] is True and record["rows"] == 0 and record["ra"] == ra
    assert fetch_survey(store, "Blank sky").targets[0].status == "skipped"


def test_new_data_only_asks_from_the_last_fetch(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    target = add(store, "Field star", 150.0, 30.0)
    first = fetch_survey(store, "Field star")
    monkeypatch.setenv("TOM_TUI_NOW", "2026-12-22T00:00:00")
    later = fetch_survey(store, "Field star", new=True)
    record = remembered_fetches(store, "simulated")[str(target)]
    assert later.added > 0 and record["since_mjd"] == pytest.approx(61366.0 - 3.0)
    # Only the 3 overlapping days are asked again, and those points were stored already.
    assert 0 < later.duplicates < first.added
    assert points(store, target) == first.added + later.added


def test_a_moved_target_is_fetched_again(store: Store) -> None:
    add(store, "Field star", 150.0, 30.0)
    fetch_survey(store, "Field star")
    target = TargetService(store).edit("Field star", {"ra": 150.01})
    assert fetch_survey(store, "Field star").targets[0].status in {"added", "empty"}
    assert remembered_fetches(store, "simulated")[str(target.id)]["ra"] == 150.01


def test_one_failing_target_does_not_stop_the_list(store: Store) -> None:
    add(store, "Field star", 150.0, 30.0)
    TargetService(store).add(
        {
            "name": "Ceres",
            "type": "NON_SIDEREAL",
            "scheme": "MPC_MINOR_PLANET",
            "epoch_of_elements": 61000.0,
            "mean_anomaly": 231.5,
            "arg_of_perihelion": 73.3,
            "eccentricity": 0.0796,
            "lng_asc_node": 80.25,
            "inclination": 10.59,
            "semimajor_axis": 2.7665,
            "mean_daily_motion": 0.21408,
        }
    )
    lists = ListService(store)
    lists.create("tonight")
    lists.add("tonight", ["Field star", "Ceres"])
    summary = fetch_survey(store, TargetListRef("tonight"))
    by_name = {result.name: result for result in summary.targets}
    assert by_name["Field star"].status == "added" and by_name["Ceres"].status == "failed"
    assert "no fixed position" in by_name["Ceres"].reason
    assert summary.counts()["failed"] == 1


def test_a_service_failure_leaves_the_store_as_it_was(store: Store, httpserver: HTTPServer) -> None:
    add(store, "Field star", 150.0, 30.0)
    httpserver.expect_request("/lc").respond_with_data("<html>maintenance</html>", content_type="text/html")
    append_config(store, f'[surveys.ztf]\nbase_url = "{httpserver.url_for("/lc")}"')
    before = snapshot(store)
    summary = fetch_survey(store, "Field star", "ztf")
    [result] = summary.targets
    assert result.status == "failed" and "unexpected light curve from http" in result.reason
    assert snapshot(store) == before


def test_a_moving_star_is_looked_for_where_it_was_during_the_survey(
    store: Store, httpserver: HTTPServer
) -> None:
    asked: list[str] = []

    def light_curve(request: Request) -> Response:
        asked.append(request.args["POS"])
        return Response("oid,expid,hjd,mjd,mag,magerr,catflags,filtercode,ra,dec,limitmag\n")

    httpserver.expect_request("/lc").respond_with_handler(light_curve)
    append_config(store, f'[surveys.ztf]\nbase_url = "{httpserver.url_for("/lc")}"')
    TargetService(store).add(
        {"name": "Fast star", "ra": 150.0, "dec": 0.0, "pm_ra": 1000.0, "pm_dec": -500.0, "epoch": 2000.0}
    )
    assert fetch_survey(store, "Fast star", "ztf").targets[0].status == "empty"
    # ZTF's epoch is J2021.0 (MJD 59215.5): 21.002 years after J2000 at 1000 and -500 mas/yr.
    years = (59215.5 - 51544.5) / 365.25
    ra, dec = 150.0 + 1000.0 * years / 3.6e6, 0.0 - 500.0 * years / 3.6e6
    assert asked == [f"CIRCLE {ra:.7f} {dec:.7f} 0.0004167"]
    # The target did not move in the store, so the next run skips it.
    assert fetch_survey(store, "Fast star", "ztf").targets[0].status == "skipped" and len(asked) == 1


def test_an_answer_with_an_impossible_point_stores_nothing_of_it(
    store: Store, httpserver: HTTPServer
) -> None:
    header = "oid,expid,hjd,mjd,mag,magerr,catflags,filtercode,ra,dec,limitmag\n"
    good = "1,1,0,60000.1,18.5,0.05,0,zg,150.0,30.0,20.5\n"
    httpserver.expect_request("/lc").respond_with_data(
        header + good + "1,2,0,60000.2,99.0,0.05,0,zr,150.0,30.0,20.5\n"
    )
    append_config(store, f'[surveys.ztf]\nbase_url = "{httpserver.url_for("/lc")}"')
    target = add(store, "Field star", 150.0, 30.0)
    before = snapshot(store)
    [result] = fetch_survey(store, "Field star", "ztf").targets
    assert result.status == "failed" and "mag 99 is not a magnitude" in result.reason
    assert snapshot(store) == before and str(target) not in remembered_fetches(store, "ztf")
