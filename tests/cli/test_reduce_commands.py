"""`tom-tui reduce run|list|show`, as a user runs them: a simulated night end to end, bad
arguments refused with status 2 and the store untouched, real frames that lack calibration."""

from __future__ import annotations

from pathlib import Path

from tests.support import cli, reduction, stores
from tests.support.cli import Run, append_config, json_of
from tests.support.reduction import VARIABLE_NAME, NightFiles, raw_hashes
from tests.support.stores import snapshot
from tom_tui.store.store import Store

store = stores.empty_store
run = cli.run
night_files = reduction.night_files
RAW = Path(__file__).resolve().parents[1] / "data" / "images" / "raw"


def test_a_night_is_reduced_listed_and_shown(run: Run, store: Store, night_files: NightFiles) -> None:
    run("frames", "import", str(night_files.folder))
    variable = night_files.night.variable
    run("target", "add", VARIABLE_NAME, "--ra", str(variable.ra), "--dec", str(variable.dec))
    raw_before = raw_hashes(store)
    record = json_of(run("reduce", "run", "--catalog", str(night_files.catalog), "--workers", "1", "--json"))
    assert record["counts"]["done"] == 4 and record["failed"] is False
    assert {outcome["flag_names"] == [] for outcome in record["outcomes"]} == {True}
    text = run("reduce", "run", "--catalog", str(night_files.catalog), "--workers", "1").stdout
    assert "Run 2: 4 skipped" in text
    listed = json_of(run("reduce", "list", "--json"))
    assert [item["id"] for item in listed] == [2, 1] and "outcomes" not in listed[0]
    assert "4 done" in run("reduce", "list").stdout
    shown = run("reduce", "show", "1", "--log").stdout
    assert "Master bias built" in shown and "science0.fits" in shown and "Log:" in shown
    assert json_of(run("reduce", "show", "#1", "--json"))["masters"][0]["built"] is True
    points = json_of(run("photometry", VARIABLE_NAME, "--json"))
    rows = points["points"] if isinstance(points, dict) else points
    assert sum(1 for row in rows if row["source"] == "reduction") == 4
    assert raw_hashes(store) == raw_before
    assert "does not exist" in run("reduce", "show", "7", expect=1).stderr


def test_bad_arguments_exit_2_and_change_nothing(run: Run, store: Store) -> None:
    before = snapshot(store)
    for arguments in (
        ["--night", "tomorrow"],
        ["--from", "2026-02-01", "--to", "2026-01-01"],
        ["--night", "20260101", "--from", "20260101"],
        ["--scheduler", "localhost:8786"],
        ["--workers", "0"],
        ["--catalog", "no-such-file.ecsv"],
    ):
        result = run("reduce", "run", *arguments, expect=2)
        assert "Error" in result.stderr
    assert snapshot(store) == before


def test_real_frames_without_their_calibration_fail_saying_what_is_missing(run: Run, store: Store) -> None:
    append_config(store, "[reduction]\ngaia = false")  # no network in tests
    for name in (
        "ccdproc_a8280271.fits",
        "msumastro_maximdl_6_18_light_r.fit",
        "msumastro_maximdl_5_23_light_B.fit",
        "msumastro_biastest2.fit",
    ):
        run("frames", "import", str(RAW / name))
    result = run("reduce", "run", "--json", "--workers", "1", expect=1)
    record = json_of(result)
    assert record["counts"]["failed"] == 3 and record["failed"] is True
    for outcome in record["outcomes"]:
        assert "no_master" in outcome["flag_names"]
        assert any("frames of telescope" in reason and "expected" in reason for reason in outcome["reasons"])
    saao = next(o for o in record["outcomes"] if o["raw_path"].endswith("ccdproc_a8280271.fits"))
    assert any("no bias frames of telescope SAAO 1.0m" in reason for reason in saao["reasons"])
    assert "some frames failed" in result.stderr
