"""Every installed facility honours the contract the service and the forms rely on."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.options import Option, convert_options
from tom_tui.services.plugins import FACILITIES, load_facility, plugin_names


def test_the_built_in_facilities_are_found_through_their_entry_points() -> None:
    assert {"lco", "manual", "simulated"} <= set(plugin_names(FACILITIES))
    with pytest.raises(NotFoundError, match=r"installed: .*simulated"):
        load_facility("hubble")


@pytest.mark.parametrize("name", ["lco", "manual", "simulated"])
def test_declared_options_are_well_formed_and_failures_are_terminal(name: str) -> None:
    facility = load_facility(name)
    options = facility.options
    assert len({option.name for option in options}) == len(options)
    for option in options:
        assert option.flag == "--" + option.name.replace("_", "-") and option.help
        if option.default not in (None, ""):
            assert option.coerce(option.default) == option.default
    assert facility.failed_states <= facility.terminal_states
    assert facility.completed_state in facility.terminal_states
    assert facility.completed_state not in facility.failed_states


def test_option_coercion_names_every_problem() -> None:
    options = [
        Option("count", "int", 1, "how many", minimum=1),
        Option("mode", "str", "a", "mode", choices=("a", "b")),
        Option("when", "datetime", None, "when", required=True),
        Option("flag", "bool", False, "flag"),
    ]
    values, problems = convert_options(
        options, {"count": "2.5", "mode": "c", "flag": "yes", "extra": 1}, "this facility"
    )
    assert values["flag"] is True
    assert problems == [
        "extra: not an option of this facility; expected one of count, mode, when, flag",
        "count: '2.5' is not a whole number",
        "mode: 'c' is not one of a, b",
        "when: missing; when",
    ]
    values, problems = convert_options(
        options, {"count": "3", "when": "2026-11-22T03:00:00"}, "this facility"
    )
    assert problems == [] and values["count"] == 3 and values["when"].tzinfo is not None
