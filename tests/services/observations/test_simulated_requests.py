"""Requests at the simulated telescope through the CLI: submit, schedule, complete, fetch frames."""

from __future__ import annotations

import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests.support.cli import Run, append_config, json_of
from tests.support.smtp import SmtpSink
from tom_tui.store.dataproducts import DataProductRepository
from tom_tui.store.store import Store


def _after(record: dict[str, object], minutes: int = 1) -> str:
    import datetime as dt

    end = dt.datetime.fromisoformat(str(record["scheduled_end"]))
    return (end + dt.timedelta(minutes=minutes)).isoformat()


@pytest.mark.usefixtures("targets")
def test_request_is_scheduled_at_night_completes_and_its_frames_land_in_raw(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(
        "obs", "request", "ZTF26aaaaaaa", "--filters", "g,r", "--exposure-time", "30", "--exposure-count", "2"
    )
    run("obs", "update")
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "PENDING" and record["target_name"] == "SN 2026abc"
    # Scheduled in the dark of the next night at La Palma (UTC 19:00-07:00), not in daytime.
    assert record["scheduled_start"].startswith("2026-11-2")
    assert int(record["scheduled_start"][11:13]) in (*range(19, 24), *range(0, 7))

    monkeypatch.setenv("TOM_TUI_NOW", _after(record))
    summary = json_of(run("obs", "update", "--json"))
    assert summary["changes"][0]["new_status"] == "COMPLETED"
    assert summary["downloaded"] == 3 + 2 * 3 + 4  # bias, flats per filter, science frames
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "COMPLETED" and record["terminal"] and record["data_complete"]
    assert [change["status"] for change in record["history"]] == ["PENDING", "COMPLETED"]

    with store.read() as view:
        products = [DataProductRepository(view).get(i) for i in record["data_products"]]
        science = [p for p in products if p.details["imagetyp"] == "LIGHT"]
        assert all(p.path.startswith("raw/SIM-1m0/") and p.observation_id == "1" for p in products)
        assert len(science) == 4 and {p.details["filter"] for p in science} == {"g", "r"}
        with fits.open(view.path(science[0].path)) as hdul:
            header = hdul[0].header
            x, y = WCS(header).all_world2pix(150.1, 25.3, 0)
    assert header["OBJECT"] == "SN 2026abc" and header["IMAGETYP"] == "LIGHT" and header["EXPTIME"] == 30
    assert abs(x - 255.5) < 1 and abs(y - 255.5) < 1  # pointed at the target

    # A second update has nothing left to do: completed requests with their data are closed.
    assert json_of(run("obs", "update", "--json"))["polled"] == 0


@pytest.mark.usefixtures("targets")
def test_a_target_that_never_rises_expires_at_the_end_of_its_window(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("obs", "request", "Southern", "--window-days", "1")
    record = json_of(run("obs", "update", "--json"))
    assert record["changes"] == []
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-23T13:00:00+00:00")
    run("obs", "update")
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "WINDOW_EXPIRED" and record["failed"] and record["data_products"] == []
    assert json_of(run("obs", "list", "--status", "failed", "--json"))[0]["id"] == 1


@pytest.mark.usefixtures("targets")
def test_bad_request_reports_every_problem_and_leaves_the_store_untouched(run: Run, store: Store) -> None:
    before = store.generation()
    result = run(
        "obs",
        "request",
        "SN 2026abc",
        "--exposure-time",
        "-5",
        "--exposure-count",
        "x",
        "--proposal",
        "P",
        expect=1,
    )
    assert "exposure_time:" in result.stderr and "exposure_count:" in result.stderr
    assert "proposal: not an option of this facility" in result.stderr
    result = run(
        "obs", "request", "SN 2026abc", "--filters", "g,Halpha", "--end", "2026-11-21T00:00:00", expect=1
    )
    assert "'Halpha' is not a filter" in result.stderr and "end:" in result.stderr
    run("obs", "request", "Nobody", expect=1)
    run("obs", "request", "SN 2026abc", "--facility", "hubble", expect=1)
    assert store.generation() == before
    assert json_of(run("obs", "list", "--json")) == []


@pytest.mark.usefixtures("targets")
def test_cancel_closes_a_request_and_cannot_be_repeated(run: Run) -> None:
    run("obs", "request", "SN 2026abc")
    assert "CANCELED" in run("obs", "cancel", "1").stdout
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "CANCELED" and record["terminal"] and record["failed"]
    assert "already CANCELED" in run("obs", "cancel", "1", expect=1).stderr
    assert json_of(run("obs", "update", "--json"))["polled"] == 0


@pytest.mark.usefixtures("targets")
def test_templates_apply_to_any_target_and_flags_override_them(run: Run) -> None:
    run(
        "obs",
        "template",
        "save",
        "sn-gr",
        "--facility",
        "simulated",
        "--filters",
        "g,r",
        "--exposure-time",
        "90",
    )
    run("obs", "template", "save", "broken", "--facility", "simulated", "--exposure-count", "many", expect=1)
    assert [t["name"] for t in json_of(run("obs", "template", "list", "--json"))] == ["sn-gr"]
    shown = json_of(run("obs", "template", "show", "sn-gr", "--json"))
    assert (shown["facility"], shown["parameters"]["filters"]) == ("simulated", "g,r")
    assert run("obs", "template", "show", "sn-gr").stdout.splitlines()[0] == "sn-gr  (simulated)"
    run("obs", "request", "SN 2026abc", "--template", "sn-gr", "--exposure-time", "45")
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["parameters"]["filters"] == "g,r" and record["parameters"]["exposure_time"] == 45
    assert record["template"] == "sn-gr"
    assert (
        "for facility 'simulated'"
        in run("obs", "request", "SN 2026abc", "--template", "sn-gr", "--facility", "lco", expect=1).stderr
    )
    run("obs", "template", "delete", "sn-gr")
    run("obs", "template", "delete", "sn-gr", expect=1)


@pytest.mark.usefixtures("targets")
def test_a_cadence_repeats_the_request_until_its_count_is_reached(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("obs", "request", "SN 2026abc", "--every", "1", "--repeat", "2")
    assert json_of(run("obs", "update", "--json"))["new_requests"] == []
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-23T12:30:00+00:00")
    assert json_of(run("obs", "update", "--json"))["new_requests"] == [2]
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-25T12:30:00+00:00")
    assert json_of(run("obs", "update", "--json"))["new_requests"] == []
    second = json_of(run("obs", "show", "2", "--json"))
    assert second["cadence_id"] == 1 and second["parameters"]["start"].startswith("2026-11-23T12:30")
    cadence = json_of(run("obs", "cadences", "--json"))[0]
    assert cadence["observation_ids"] == [1, 2] and not cadence["active"]


@pytest.mark.usefixtures("targets")
def test_deleting_a_target_removes_its_observations(run: Run, store: Store) -> None:
    run("obs", "request", "SN 2026abc")
    run("obs", "request", "Southern")
    run("target", "delete", "SN 2026abc", "--yes")
    assert [r["target_name"] for r in json_of(run("obs", "list", "--json"))] == ["Southern"]


def test_status_and_email_notifications_reach_a_local_smtp_server(
    run: Run, store: Store, targets: None, smtp_sink: SmtpSink
) -> None:
    append_config(
        store,
        f'[notifications.email]\nhost = "{smtp_sink.host}"\nport = {smtp_sink.port}\n'
        'sender = "tom@example.org"\nrecipients = ["me@example.org"]',
    )
    run("obs", "request", "SN 2026abc")
    run("obs", "cancel", "1")
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0].decode()
    assert "To: me@example.org" in message
    assert "observation 1 of SN 2026abc at simulated: PENDING → CANCELED" in message.replace("=E2=86=92", "→")


@pytest.mark.usefixtures("targets")
def test_the_observation_update_job_completes_requests_from_cron(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_config(store, '[[jobs]]\nname = "observations"\nkind = "observation_update"\nevery = "10m"')
    run("obs", "request", "SN 2026abc", "--exposure-time", "10")
    record = json_of(run("obs", "update", "--json")) and json_of(run("obs", "show", "1", "--json"))
    monkeypatch.setenv("TOM_TUI_NOW", _after(record))
    run("jobs", "run", "observations")
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "COMPLETED" and len(record["data_products"]) == 3 + 3 + 1


@pytest.mark.usefixtures("targets")
def test_two_updates_at_once_fetch_each_frame_once(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    run("obs", "request", "SN 2026abc", "--exposure-time", "10")
    record = json_of(run("obs", "update", "--json")) and json_of(run("obs", "show", "1", "--json"))
    env = dict(os.environ, TOM_TUI_NOW=_after(record))
    command = [str(Path(sys.executable).with_name("tom-tui")), "--store", str(store.root), "obs", "update"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "COMPLETED" and len(record["data_products"]) == 7
    with store.read() as view:
        products = DataProductRepository(view).all()
        assert len(products) == 7 and len({p.path for p in products}) == 7
        assert len(view.list_dir(f"raw/SIM-1m0/{products[0].path.split('/')[2]}")) == 7
