"""Automated follow-up rules: fire once per rule and target, on lists, tags and photometry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Run, append_config, json_of
from tom_tui.store.store import Store

RULES = """
[[followup]]
name = "candidates"
facility = "simulated"
list = "SN candidates"
options = { filters = "g,r", exposure_time = 90 }

[[followup]]
name = "bright-rising"
facility = "simulated"
alert_rule = "SN"
band = "r"
brighter_than = 18.0
rising_faster_than = 0.1
"""


def _photometry(tmp_path: Path, name: str, rows: list[tuple[float, str, float]]) -> str:
    path = tmp_path / name
    path.write_text("mjd,filter,mag,magerr\n" + "".join(f"{m},{f},{mag},0.05\n" for m, f, mag in rows))
    return str(path)


@pytest.mark.usefixtures("targets")
def test_rules_fire_once_per_target_and_record_the_rule(run: Run, store: Store, tmp_path: Path) -> None:
    append_config(store, RULES)
    run("target", "add", "SN 2026xyz", "--ra", "40.0", "--dec", "10.0", "--tag", "SN")
    run("target", "add", "SN 2026old", "--ra", "41.0", "--dec", "11.0", "--tag", "SN")
    run("list", "create", "SN candidates")
    run("list", "add", "SN candidates", "SN 2026abc")
    # Rising by 0.5 mag/day to 17.5 in r: qualifies. The other fades: does not.
    rising = _photometry(
        tmp_path, "rising.csv", [(61360.0, "r", 18.5), (61362.0, "r", 17.5), (61362.5, "g", 19.0)]
    )
    fading = _photometry(tmp_path, "fading.csv", [(61360.0, "r", 17.0), (61362.0, "r", 17.5)])
    run("data", "upload", "SN 2026xyz", rising, "--type", "photometry")
    run("data", "upload", "SN 2026old", fading, "--type", "photometry")

    preview = json_of(run("obs", "followup", "--dry-run", "--json"))
    assert {(f["rule"], f["target"]) for f in preview["fired"]} == {
        ("candidates", "SN 2026abc"),
        ("bright-rising", "SN 2026xyz"),
    }
    assert json_of(run("obs", "list", "--json")) == []  # a dry run submits nothing

    report = json_of(run("obs", "followup", "--json"))
    assert len(report["fired"]) == 2 and report["errors"] == []
    records = {r["target_name"]: r for r in json_of(run("obs", "list", "--json"))}
    assert records["SN 2026abc"]["rule"] == "candidates"
    assert records["SN 2026abc"]["parameters"]["exposure_time"] == 90
    assert records["SN 2026xyz"]["rule"] == "bright-rising"
    # Once per rule and target: a second run (here the cron job kind) fires nothing.
    append_config(store, '[[jobs]]\nname = "followup"\nkind = "followup"\nevery = "30m"')
    run("jobs", "run", "followup")
    assert len(json_of(run("obs", "list", "--json"))) == 2
    assert json_of(run("obs", "followup", "--json"))["fired"] == []


def test_bad_rules_are_reported_together(run: Run, store: Store) -> None:
    append_config(
        store, '[[followup]]\nname = "x"\nbrighter_than = "bright"\n\n[[followup]]\nfacility = "simulated"\n'
    )
    result = run("obs", "followup", expect=1)
    assert "needs facility or template" in result.stderr
    assert "brighter_than = 'bright' is not a number" in result.stderr
    assert "name missing" in result.stderr
