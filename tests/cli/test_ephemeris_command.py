"""`tom-tui ephemeris` as an observer uses it: a moving target from Horizons' elements gives
Horizons' positions; a site shifts it by no more than the parallax; a star moves by its proper
motion; bad arguments are one sentence."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.cli import Run, json_of, run
from tests.support.horizons import elements_at_dates, horizons_observer_table

__all__ = ["run"]

CERES = elements_at_dates()[0]
TRUTH = horizons_observer_table()


@pytest.fixture
def ceres(run: Run) -> None:
    options = [f"--{key.replace('_', '-')}={value}" for key, value in CERES.items() if key != "scheme"]
    run("target", "add", "Ceres", "--scheme", "mpc_minor_planet", *options)


def test_geocentric_table_matches_horizons(run: Run, ceres: None) -> None:
    answer = json_of(
        run(
            "ephemeris",
            "Ceres",
            "--start",
            "2022-06-10",
            "--end",
            "2022-06-10T04:00",
            "--step",
            "2h",
            "--geocentric",
            "--json",
        )
    )
    assert answer["observer"] == "geocentre" and answer["moving"]
    assert [row["utc"] for row in answer["rows"]] == [
        "2022-06-10T00:00:00",
        "2022-06-10T02:00:00",
        "2022-06-10T04:00:00",
    ]
    first, truth = answer["rows"][0], TRUTH[0]
    assert first["ra"] == pytest.approx(truth["ra"], abs=1.0 / 3600)
    assert first["dec"] == pytest.approx(truth["dec"], abs=1.0 / 3600)
    assert first["delta"] == pytest.approx(truth["delta"], abs=1e-5)
    # Two hours later it has moved by its rate.
    moved = (answer["rows"][1]["ra"] - first["ra"]) * np.cos(np.radians(first["dec"])) * 3600
    assert moved == pytest.approx(2 * truth["ra_rate"], rel=0.01)


def test_a_site_shifts_the_position_by_at_most_the_parallax(run: Run, ceres: None) -> None:
    at = ("--start", "59740", "--end", "59740")
    geocentre = json_of(run("ephemeris", "Ceres", *at, "--geocentric", "--json"))["rows"][0]
    site = json_of(run("ephemeris", "Ceres", *at, "--site", "Roque de los Muchachos", "--json"))
    topocentre = site["rows"][0]
    shift = np.hypot(
        (topocentre["ra"] - geocentre["ra"]) * np.cos(np.radians(geocentre["dec"])),
        topocentre["dec"] - geocentre["dec"],
    )
    assert 0.1 < shift * 3600 <= 8.794 / geocentre["delta"]
    assert site["observer"]["name"] == "Roque de los Muchachos"
    text = run("ephemeris", "Ceres", *at, "--geocentric").stdout.splitlines()
    assert text[0] == "Ceres from the geocentre (RA/Dec ICRS, astrometric; times UTC)"
    assert text[2].split()[:3] == ["2022-06-10T00:00:00", "06:46:56.02", "+26:47:07.9"]


def test_a_star_moves_by_its_proper_motion(run: Run) -> None:
    run(
        "target",
        "add",
        "Barnard",
        "--ra",
        "269.45207695",
        "--dec",
        "4.69336497",
        "--pm-ra",
        "-801.551",
        "--pm-dec",
        "10362.394",
    )
    rows = json_of(
        run(
            "ephemeris",
            "Barnard",
            "--start",
            "2000-01-01T12:00",
            "--end",
            "2026-01-01T12:00",
            "--step",
            "9497d",
            "--json",
        )
    )["rows"]
    assert rows[0]["dec"] == pytest.approx(4.69336497, abs=1e-9)
    assert (rows[1]["dec"] - rows[0]["dec"]) * 3600 == pytest.approx(10.362394 * 9497 / 365.25, rel=1e-6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--start", "yesterday"), "--start: 'yesterday' is not a time"),
        (("--step", "0h"), "--step: '0h' is not a step"),
        (("--start", "60000", "--end", "59000"), "--end is before --start"),
        (("--start", "60000", "--end", "61000", "--step", "1m"), "at most 10000"),
    ],
)
def test_bad_arguments_are_one_sentence(
    run: Run, ceres: None, arguments: tuple[str, ...], message: str
) -> None:
    assert message in run("ephemeris", "Ceres", *arguments, expect=1).stderr


def test_target_show_gives_a_moving_target_s_position_now(
    run: Run, ceres: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2022-06-10T00:00:00+00:00")
    shown = json_of(run("target", "show", "Ceres", "--json"))["now"]
    assert shown["geocentric"]["ra"] == pytest.approx(TRUTH[0]["ra"], abs=1.0 / 3600)
    assert shown["geocentric"]["delta"] == pytest.approx(TRUTH[0]["delta"], abs=1e-5)
    assert shown["site"] == "Roque de los Muchachos"
    text = run("target", "show", "Ceres").stdout
    assert "now (2022-06-10T00:00:00 UTC), geocentric: 06:46:56.02 +26:47:07.9" in text
    assert "distance 3.517316 AU" in text
