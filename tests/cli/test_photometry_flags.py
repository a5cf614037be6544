"""Flagging bad photometry points (`tom-tui photometry flag`, `unflag`, `flags`), as a user does.

The light curve is made up here with known answers: six points of which the last is a bad,
far too bright point; once it is flagged the latest and the peak magnitude are those of the
good points before it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import stores
from tests.support.stores import snapshot
from tom_tui.cli.main import cli
from tom_tui.services.photometry.lightcurve import lightcurve_of
from tom_tui.services.photometry.reads import photometry_summary
from tom_tui.store.store import Store

store = stores.photometry_store
TARGET = "SN 2024abc"
# time, filter, magnitude, error: the last point (MJD 60005.1, 11.0 mag) is the bad one.
POINTS = [
    (60000.1, "g", 18.00, 0.05),
    (60001.1, "r", 17.80, 0.05),
    (60002.1, "g", 17.50, 0.04),
    (60003.1, "r", 17.60, 0.04),
    (60004.1, "g", 17.90, 0.05),
    (60005.1, "r", 11.00, 0.01),
]


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def ok(store: Store, *args: str) -> str:
    code, out, err = run(store, *args)
    assert code == 0, err
    return out


@pytest.fixture
def light_curve(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOM_TUI_USER", "alice")
    path = tmp_path / "lc.csv"
    lines = ["time,filter,magnitude,error,source"] + [f"{t},{f},{m},{e},LT" for t, f, m, e in POINTS]
    path.write_text("\n".join(lines) + "\n")
    ok(store, "data", "upload", TARGET, str(path), "--type", "photometry")
    return path


def mjds(store: Store, *options: str) -> list[float]:
    return [point["mjd"] for point in json.loads(ok(store, "photometry", TARGET, "--json", *options))]


def summary(store: Store) -> dict[str, object]:
    with store.read() as view:
        rows = photometry_summary(view).to_pylist()
    return next(row for row in rows if row["target_id"] == 1)


@pytest.mark.usefixtures("light_curve")
def test_flag_by_id_hides_the_point_and_the_summary_falls_back(store: Store) -> None:
    assert summary(store)["last_det_mag"] == 11.0 and summary(store)["peak_mag"] == 11.0
    out = ok(store, "photometry", "flag", TARGET, "--ids", "6", "--reason", "cosmic ray")
    assert out.strip() == f"Flagged 1 points of {TARGET}."
    assert mjds(store) == [60000.1, 60001.1, 60002.1, 60003.1, 60004.1]
    assert mjds(store, "--include-flagged")[-1] == 60005.1
    row = summary(store)
    assert (row["last_det_mjd"], row["last_det_mag"]) == (60004.1, 17.9)
    assert (row["peak_mjd"], row["peak_mag"], row["n_points"]) == (60002.1, 17.5, 5)
    flags = json.loads(ok(store, "photometry", "flags", TARGET, "--json"))
    assert len(flags) == 1
    assert flags[0]["mjd"] == 60005.1 and flags[0]["filter"] == "r"
    assert flags[0]["flagged_by"] == "alice" and flags[0]["reason"] == "cosmic ray"
    assert flags[0]["flagged_at"] == "2024-02-01T00:00:00+00:00"
    listing = ok(store, "photometry", "flags", TARGET)
    assert "alice" in listing and "cosmic ray" in listing and "60005.10000" in listing
    # Unflagging brings the point and the summary back.
    assert (
        ok(store, "photometry", "unflag", TARGET, "--ids", "6").strip() == f"Unflagged 1 points of {TARGET}."
    )
    assert summary(store)["last_det_mag"] == 11.0 and len(mjds(store)) == 6


@pytest.mark.usefixtures("light_curve")
@pytest.mark.parametrize(
    ("selector", "flagged"),
    [
        (["--from", "60001", "--to", "60003.5"], [60001.1, 60002.1, 60003.1]),
        (["--filter", "g"], [60000.1, 60002.1, 60004.1]),
        (["--filter", "r", "--from", "60002"], [60003.1, 60005.1]),
        (["--upload", "1"], [p[0] for p in POINTS]),
        (["--where", "mag < 17.7 AND magerr < 0.045"], [60002.1, 60003.1, 60005.1]),
        (["--ids", "1,3"], [60000.1, 60002.1]),
    ],
)
def test_each_selector(store: Store, selector: list[str], flagged: list[float]) -> None:
    ok(store, "photometry", "flag", TARGET, *selector, "--reason", "test")
    assert mjds(store) == [p[0] for p in POINTS if p[0] not in flagged]
    assert [flag["mjd"] for flag in json.loads(ok(store, "photometry", "flags", TARGET, "--json"))] == flagged


def test_reupload_leaves_points_flagged(store: Store, light_curve: Path) -> None:
    ok(store, "photometry", "flag", TARGET, "--from", "60005", "--reason", "saturated")
    for policy in ("ignore", "update"):
        ok(
            store,
            "data",
            "upload",
            TARGET,
            str(light_curve),
            "--type",
            "photometry",
            "--on-duplicate",
            policy,
            "--allow-same-file",
        )
        assert 60005.1 not in mjds(store) and summary(store)["last_det_mag"] == 17.9
    # Undoing the first upload (its points were replaced) and compaction do not lose the flag.
    ok(store, "data", "undo", "3")
    assert 60005.1 not in mjds(store) and len(mjds(store, "--include-flagged")) == 6


@pytest.mark.usefixtures("light_curve")
def test_flagging_twice_keeps_the_first_flag(store: Store) -> None:
    ok(store, "photometry", "flag", TARGET, "--ids", "6", "--reason", "first")
    out = ok(store, "photometry", "flag", TARGET, "--filter", "r", "--reason", "second")
    assert out.strip() == f"Flagged 2 points of {TARGET} (1 were already flagged)."
    reasons = {f["mjd"]: f["reason"] for f in json.loads(ok(store, "photometry", "flags", TARGET, "--json"))}
    assert reasons == {60001.1: "second", 60003.1: "second", 60005.1: "first"}


@pytest.mark.usefixtures("light_curve")
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "Error: choose the points: give --ids, --from/--to, --filter, --upload or --where"),
        (["--ids", "7"], "Error: point id 7 does not exist: SN 2024abc has 6 points, ids 1 to 6"),
        (["--ids", "two"], "Invalid value for --ids"),
        (["--from", "60004", "--to", "60001"], "Error: --from 60004 is after --to 60001"),
        (["--filter", "B"], "Error: no point of SN 2024abc matches the selection; nothing was changed"),
        (["--upload", "9"], "Error: no point of SN 2024abc matches the selection"),
        (["--where", "magnitude > 3"], 'Error: Binder Error: Referenced column "magnitude" not found'),
        (["--where", "1=1; DELETE FROM points"], "Error: one statement at a time"),
        (["--ids", "1", "--reason", " "], "Error: --reason is empty"),
    ],
)
def test_bad_selectors_are_one_sentence_and_change_nothing(
    store: Store, arguments: list[str], message: str
) -> None:
    before = snapshot(store)
    reason = [] if "--reason" in arguments else ["--reason", "bad"]
    code, out, err = run(store, "photometry", "flag", TARGET, *arguments, *reason)
    assert code != 0 and out == ""
    assert message in err and "Traceback" not in err
    assert snapshot(store) == before


@pytest.mark.usefixtures("light_curve")
def test_dry_run_lists_the_chosen_points_with_ids_and_changes_nothing(store: Store) -> None:
    ok(store, "photometry", "flag", TARGET, "--ids", "6", "--reason", "cosmic ray")
    before = snapshot(store)
    chosen = json.loads(ok(store, "photometry", "flag", TARGET, "--filter", "r", "--dry-run", "--json"))
    assert [(p["point_id"], p["mjd"], p["mag"], p["flagged"]) for p in chosen] == [
        (2, 60001.1, 17.8, False),
        (4, 60003.1, 17.6, False),
        (6, 60005.1, 11.0, True),
    ]
    text = ok(store, "photometry", "unflag", TARGET, "--from", "60005", "--dry-run")
    assert text.splitlines()[0] == f"{TARGET}: 1 points chosen (nothing changed)"
    assert text.splitlines()[2].split() == ["6", "60005.10000", "r", "11.000", "0.010", "yes"]
    assert snapshot(store) == before
    code, _, err = run(store, "photometry", "flag", TARGET, "--ids", "2")
    assert code == 1 and err.startswith("Error: --reason is empty") and snapshot(store) == before


@pytest.mark.usefixtures("light_curve")
def test_unflag_of_unflagged_points_is_an_error(store: Store) -> None:
    before = snapshot(store)
    code, _, err = run(store, "photometry", "unflag", TARGET, "--ids", "2")
    assert code == 1 and err.strip() == f"Error: none of the 1 chosen points of {TARGET} is flagged"
    assert snapshot(store) == before


@pytest.mark.usefixtures("light_curve")
def test_export_plot_and_sql_leave_flagged_points_out(store: Store, tmp_path: Path) -> None:
    ok(store, "photometry", "flag", TARGET, "--ids", "6", "--reason", "cosmic ray")
    ok(store, "data", "export", TARGET, "--format", "csv", "-o", str(tmp_path / "out.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert len(rows) == 5 and "11.0" not in {row["mag"] for row in rows}
    ok(store, "data", "export", TARGET, "--include-flagged", "-o", str(tmp_path / "all.csv"))
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "all.csv").read_text())))) == 6
    assert lightcurve_of(store, TARGET).data.total_points == 5
    assert lightcurve_of(store, TARGET, include_flagged=True).data.total_points == 6
    shown = lightcurve_of(store, TARGET, show_flagged=True).data
    assert shown.total_points == 5 and shown.series[-1].y.tolist() == [11.0]
    assert lightcurve_of(store, TARGET, show_flagged=True, filters=["g"]).data.series[-1].band == "g"
    plotted = ok(store, "plot", "lightcurve", TARGET, "--show-flagged", "--width", "80", "--height", "20")
    assert "flagged" in plotted and "✗" in plotted
    assert "✗" not in ok(store, "plot", "lightcurve", TARGET, "--width", "80", "--height", "20")
    answer = json.loads(
        ok(store, "sql", "SELECT target_id, mjd, flagged_by, reason FROM photometry_flags", "--json")
    )
    assert answer == [{"target_id": 1, "mjd": 60005.1, "flagged_by": "alice", "reason": "cosmic ray"}]


def test_photometry_target_still_prints_points(store: Store, light_curve: Path) -> None:
    out = ok(store, "photometry", TARGET)
    assert out.startswith(f"{TARGET}: 6 points")
    assert json.loads(ok(store, "photometry", "show", TARGET, "--json"))[0]["mjd"] == 60000.1
    assert "flag" in ok(store, "photometry", "--help")


@pytest.mark.usefixtures("light_curve")
def test_flags_follow_a_merge_and_go_with_a_deleted_target(store: Store) -> None:
    ok(store, "photometry", "flag", TARGET, "--ids", "6", "--reason", "cosmic ray")
    ok(store, "target", "merge", "AT2017gfo", TARGET)
    assert [f["reason"] for f in json.loads(ok(store, "photometry", "flags", "AT2017gfo", "--json"))] == [
        "cosmic ray"
    ]
    assert 60005.1 not in [p["mjd"] for p in json.loads(ok(store, "photometry", "AT2017gfo", "--json"))]
    ok(store, "target", "delete", "AT2017gfo", "--yes")
    answer = json.loads(ok(store, "sql", "SELECT count(*) AS n FROM photometry_flags", "--json"))
    assert answer == [{"n": 0}]
