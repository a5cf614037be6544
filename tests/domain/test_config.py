"""Arrays of tables in tom-tui.toml: every problem is collected and reported at once."""

from __future__ import annotations

import pytest

from tom_tui.domain.config import ConfigTables
from tom_tui.domain.errors import ValidationError


def test_tables_are_yielded_with_their_place_and_other_entries_are_problems() -> None:
    config = {"jobs": [{"name": "a"}, "not a table", {"name": "b"}]}
    tables = ConfigTables(config, "jobs")
    assert list(tables) == [
        ("tom-tui.toml: jobs[1]", {"name": "a"}),
        ("tom-tui.toml: jobs[3]", {"name": "b"}),
    ]
    assert tables.problems == ["tom-tui.toml: jobs[2]: expected a table"]
    with pytest.raises(ValidationError) as raised:
        tables.raise_problems()
    assert raised.value.problems == ["tom-tui.toml: jobs[2]: expected a table"]


def test_the_caller_s_problems_are_reported_together_with_the_tables() -> None:
    tables = ConfigTables({"followup": [1, {}]}, "followup", where_format="{config}: [[{key}]] #{number}")
    for where, _table in tables:
        tables.problems.append(f"{where}: name missing")
    with pytest.raises(ValidationError) as raised:
        tables.raise_problems()
    assert raised.value.problems == [
        "tom-tui.toml: [[followup]] #1: expected a table",
        "tom-tui.toml: [[followup]] #2: name missing",
    ]


def test_no_array_means_no_tables_and_anything_else_is_refused() -> None:
    tables = ConfigTables({}, "alert_rules", "store.toml")
    assert list(tables) == [] and tables.problems == []
    tables.raise_problems()
    with pytest.raises(
        ValidationError, match=r"store.toml: alert_rules must be an array of tables \(\[\[alert_rules\]\]\)"
    ):
        ConfigTables({"alert_rules": {"name": "x"}}, "alert_rules", "store.toml")
