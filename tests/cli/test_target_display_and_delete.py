"""`target list|show` print positions as astropy would, and `target delete` through an alias asks."""

from __future__ import annotations

import json
from pathlib import Path

import astropy.units as u
import pytest
from astropy.coordinates import Angle
from click.testing import CliRunner, Result

from tom_tui.cli.main import cli

# Each of these once printed 60 in a seconds field.
POSITIONS = [
    ("ra-30.5", 30.5, 10.0),
    ("ra-61", 61.0, -5.0),
    ("ra-110", 110.0, 0.0),
    ("pole", 12.0, 89.99999999),
]


def invoke(store_path: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store_path), *args], input=input)


@pytest.mark.parametrize(("name", "ra", "dec"), POSITIONS)
def test_list_and_show_print_the_position_astropy_prints(
    store_path: Path, name: str, ra: float, dec: float
) -> None:
    assert invoke(store_path, "target", "add", name, "--ra", repr(ra), "--dec", repr(dec)).exit_code == 0
    ra_text = Angle(ra, u.deg).to_string(unit=u.hour, sep=":", precision=2, pad=True)
    dec_text = Angle(dec, u.deg).to_string(unit=u.deg, sep=":", precision=1, pad=True, alwayssign=True)
    shown = invoke(store_path, "target", "show", name).stdout
    assert f"({ra_text})" in shown and f"({dec_text})" in shown
    listed = invoke(store_path, "target", "list").stdout
    assert ra_text in listed and dec_text in listed
    assert ":60" not in shown + listed


@pytest.fixture
def merged(store_path: Path) -> Path:
    """The README's example: AT 2026xyz merged into SN 2026abc, so its name is now an alias."""
    invoke(store_path, "target", "add", "SN 2026abc", "--ra", "150.1", "--dec", "25.3")
    invoke(store_path, "target", "add", "AT 2026xyz", "--ra", "45.5", "--dec", "-12.25")
    assert invoke(store_path, "target", "merge", "SN 2026abc", "AT 2026xyz").exit_code == 0
    return store_path


def names(store_path: Path) -> list[str]:
    return [row["name"] for row in json.loads(invoke(store_path, "target", "list", "--json").stdout)]


def test_delete_through_an_alias_says_whose_and_asks_even_with_yes(merged: Path) -> None:
    result = invoke(merged, "target", "delete", "AT 2026xyz", "--yes")  # no answer: nothing deleted
    assert result.exit_code == 1
    assert "'AT 2026xyz' is an alias of SN 2026abc (#1)" in result.stderr
    assert names(merged) == ["SN 2026abc"]
    declined = invoke(merged, "target", "delete", "AT 2026xyz", "--yes", input="n\n")
    assert declined.exit_code == 1 and names(merged) == ["SN 2026abc"]


def test_delete_through_an_alias_goes_ahead_when_confirmed_or_allowed(merged: Path) -> None:
    assert invoke(merged, "target", "delete", "AT 2026xyz", input="y\n").exit_code == 0
    assert names(merged) == []


def test_delete_by_alias_with_alias_ok_and_by_own_name_or_id_with_yes(merged: Path) -> None:
    assert invoke(merged, "target", "delete", "AT 2026xyz", "--yes", "--alias-ok").exit_code == 0
    invoke(merged, "target", "add", "SN 2026abd", "--ra", "1", "--dec", "1")
    invoke(merged, "target", "add", "SN 2026abe", "--ra", "2", "--dec", "2")
    by_name = invoke(merged, "target", "delete", "sn 2026abd", "--yes")
    assert by_name.exit_code == 0 and "alias" not in by_name.stderr
    target_id = json.loads(invoke(merged, "target", "show", "SN 2026abe", "--json").stdout)["id"]
    assert invoke(merged, "target", "delete", f"#{target_id}", "--yes").exit_code == 0
    assert names(merged) == []
