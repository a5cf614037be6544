"""Manual observations, `tom-tui plan` and `tom-tui plot visibility` through the CLI."""

from __future__ import annotations

import pytest

from tests.support.cli import Run, json_of
from tests.support.paths import LCO
from tom_tui.store.store import Store


@pytest.mark.usefixtures("targets")
def test_a_manual_observation_is_followed_and_filled_by_hand(run: Run, store: Store) -> None:
    run("obs", "request", "SN 2026abc", "--facility", "manual", expect=1)  # telescope is required
    run("obs", "request", "SN 2026abc", "--facility", "manual", "--telescope", "NOT", "--notes", "ALFOSC r")
    assert "is not a status of manual" in run("obs", "status", "1", "DONE", expect=1).stderr
    run("obs", "status", "1", "completed", "--detail", "clear night")
    frame = LCO / "msumastro_biastest1.fit"
    run("obs", "attach", "1", str(frame), "--telescope", "NOT", "--night", "20261122")
    assert (
        "already in the store"
        in run("obs", "attach", "1", str(frame), "--telescope", "NOT", "--night", "20261122", expect=1).stderr
    )
    run("obs", "attach", "1", "missing.fits", "--telescope", "NOT", "--night", "20261122", expect=1)
    record = json_of(run("obs", "show", "1", "--json"))
    assert record["status"] == "COMPLETED" and record["history"][-1]["detail"] == "clear night"
    assert record["data_products"] == [1]
    with store.read() as view:
        assert view.read_bytes("raw/NOT/20261122/msumastro_biastest1.fit") == frame.read_bytes()
    # Nothing to poll: a manual record changes only by hand.
    assert json_of(run("obs", "update", "--json"))["changes"] == []
    assert "not a status" not in run("obs", "status", "1", "FAILED").stderr


def test_simulated_facility_status_cannot_be_set_by_hand(run: Run, targets: None) -> None:
    run("obs", "request", "SN 2026abc")
    assert "reports its own statuses" in run("obs", "status", "1", "COMPLETED", expect=1).stderr


@pytest.mark.usefixtures("targets")
def test_plan_ranks_a_list_for_the_night_including_an_asteroid(run: Run) -> None:
    run(
        "target",
        "add",
        "Ceres",
        "--scheme",
        "MPC_MINOR_PLANET",
        "--epoch-of-elements",
        "61000",
        "--inclination",
        "10.59",
        "--lng-asc-node",
        "80.25",
        "--arg-of-perihelion",
        "73.3",
        "--eccentricity",
        "0.0796",
        "--mean-anomaly",
        "200.0",
        "--semimajor-axis",
        "2.767",
    )
    run("list", "create", "tonight")
    run("list", "add", "tonight", "SN 2026abc", "Southern", "Ceres")
    plan = json_of(run("plan", "--list", "tonight", "--night", "2026-11-22", "--json"))
    assert plan["night"] == "2026-11-22" and plan["site"]["name"] == "Roque de los Muchachos"
    rows = {row["name"]: row for row in plan["targets"]}
    assert set(rows) == {"SN 2026abc", "Southern", "Ceres"}
    assert rows["Southern"]["hours_observable"] == 0 and rows["Southern"]["min_airmass"] is None
    assert rows["SN 2026abc"]["hours_observable"] > 2 and rows["SN 2026abc"]["min_airmass"] < 1.1
    assert plan["targets"][-1]["name"] == "Southern"  # sorted: most observable first
    assert 0 <= rows["Ceres"]["ra"] < 360 and plan["twilights"]["sunset"].startswith("2026-11-22T18")
    text = run("plan", "--list", "tonight", "--night", "2026-11-22", "--site", "Paranal").stdout
    assert text.startswith("Paranal, night of 2026-11-22") and "Southern" in text


@pytest.mark.usefixtures("targets")
def test_plan_rejects_bad_input_clearly(run: Run) -> None:
    assert "no target list named 'nope'" in run("plan", "--list", "nope", expect=1).stderr
    run("list", "create", "tonight")
    assert "LAT,LON,HEIGHT" in run("plan", "--list", "tonight", "--site", "Atlantis", expect=1).stderr
    assert "YYYY-MM-DD" in run("plan", "--list", "tonight", "--night", "22/11/2026", expect=1).stderr


@pytest.mark.usefixtures("targets")
def test_visibility_plot_draws_the_night(run: Run) -> None:
    output = run("plot", "visibility", "SN 2026abc", "--night", "2026-11-22").stdout
    assert "SN 2026abc from Roque de los Muchachos, night of 2026-11-22" in output
    assert "Moon" in output and "hours from local midnight" in output
    run("plot", "visibility", "Nobody", expect=1)
