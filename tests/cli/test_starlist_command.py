"""`tom-tui starlist`: each format read back by its observatory's published rules (Keck: name in
columns 1-15, RA from column 17, "-00" for declinations between 0 and -1, pmra in seconds of time
per year; Lick coords: a name without spaces, pmra/pmdec in mas/yr from pmepoch; CSV)."""

from __future__ import annotations

import csv
import io
import math

import pytest

from tests.support.cli import Run, run, targets
from tests.support.horizons import elements_at_dates

__all__ = ["run", "targets"]

NIGHT = ("--night", "2026-11-22", "--site", "Roque de los Muchachos")


def hms_to_degrees(hours: str, minutes: str, seconds: str) -> float:
    return (int(hours) + int(minutes) / 60 + float(seconds) / 3600) * 15


def dms_to_degrees(degrees: str, minutes: str, seconds: str) -> float:
    value = abs(int(degrees)) + int(minutes) / 60 + float(seconds) / 3600
    return -value if degrees.startswith("-") else value


@pytest.fixture
def tonight(run: Run, targets: None) -> None:
    run(
        "target",
        "add",
        "Barnard's star",
        "--ra",
        "269.45207695",
        "--dec",
        "4.69336497",
        "--pm-ra",
        "-801.551",
        "--pm-dec",
        "10362.394",
    )
    run("target", "add", "Just south", "--ra", "60.0", "--dec", "-0.5")
    ceres = elements_at_dates()[0]
    options = [f"--{key.replace('_', '-')}={value}" for key, value in ceres.items() if key != "scheme"]
    run("target", "add", "Ceres", "--scheme", "mpc_minor_planet", *options)
    run("list", "create", "tonight")
    run("list", "add", "tonight", "SN 2026abc", "Southern", "Barnard's star", "Just south", "Ceres")


def test_keck_lines_follow_keck_s_columns(run: Run, tonight: None) -> None:
    result = run("starlist", "--list", "tonight", "--format", "keck", *NIGHT, "--all")
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    by_name = {line[:15].rstrip(): line for line in lines}
    assert set(by_name) == {"SN 2026abc", "Southern", "Barnard_s star", "Just south", "Ceres"}
    for line in lines:
        assert line[15] == " " and line[16] != " "  # the RA starts in column 17
    south = by_name["Just south"][16:].split()
    assert south[:7] == ["04", "00", "00.00", "-00", "30", "00.0", "2000.0"]
    star = by_name["Barnard_s star"][16:].split()
    assert hms_to_degrees(*star[:3]) == pytest.approx(269.45207695, abs=0.01 / 3600 * 15)
    assert dms_to_degrees(*star[3:6]) == pytest.approx(4.69336497, abs=0.1 / 3600)
    keywords = dict(field.split("=") for field in star[7:])
    cos_dec = math.cos(math.radians(4.69336497))
    assert float(keywords["pmra"]) == pytest.approx(-0.801551 / cos_dec / 15, abs=1e-5)  # s of time / yr
    assert float(keywords["pmdec"]) == pytest.approx(10.362394, abs=1e-4)  # arcsec / yr
    moving = dict(field.split("=") for field in by_name["Ceres"][16:].split()[7:])
    assert set(moving) == {"dra", "ddec"}  # tracking rates for a moving target
    assert "Left out" not in result.stderr


def test_lick_and_csv(run: Run, tonight: None) -> None:
    lick = run("starlist", "--list", "tonight", "--format", "lick", *NIGHT, "--all").stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lick if not line.startswith("#")}
    assert "Barnard_s_star" in rows and "SN_2026abc" in rows  # no spaces in a coords name
    star = dict(field.split("=") for field in rows["Barnard_s_star"][8:] if "=" in field)
    assert (float(star["pmra"]), float(star["pmdec"]), star["pmepoch"]) == (-801.551, 10362.394, "2000.0")
    table = list(
        csv.DictReader(
            io.StringIO(run("starlist", "--list", "tonight", "--format", "csv", *NIGHT, "--all").stdout)
        )
    )
    by_name = {row["name"]: row for row in table}
    barnard = by_name["Barnard's star"]
    years = (float(barnard["mjd_utc"]) - 51544.5) / 365.25
    assert float(barnard["dec_deg"]) == pytest.approx(4.69336497 + 10.362394 * years / 3600, abs=1e-7)
    assert by_name["Ceres"]["ra_rate_arcsec_h"] != ""


def test_only_what_is_observable_unless_asked(run: Run, tonight: None) -> None:
    result = run("starlist", "--list", "tonight", "--format", "keck", *NIGHT)
    names = [line[:15].rstrip() for line in result.stdout.splitlines() if not line.startswith("#")]
    assert "Southern" not in names and "SN 2026abc" in names
    assert "Left out (not observable that night): " in result.stderr and "Southern" in result.stderr
