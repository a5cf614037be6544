"""One option type: every conversion problem names the option and what was expected."""

from __future__ import annotations

import datetime as dt

import pytest

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.options import Option, convert_options, describe_options, resolve_options


@pytest.mark.parametrize(
    ("option", "raw", "message"),
    [
        (Option("count", "int"), "many", "count: 'many' is not a valid int; expected a whole number"),
        (Option("count", "int"), "2.5", "count: '2.5' is not a whole number"),
        (Option("max_mag", "float"), "bright", "max_mag: 'bright' is not a valid float; expected a number"),
        (Option("max_mag", "float"), "nan", "max_mag: 'nan' is not a finite number"),
        (
            Option("history", "bool"),
            "perhaps",
            "history: 'perhaps' is not a valid bool; expected true or false",
        ),
        (
            Option("survey", "choice", choices=("ztf", "lsst")),
            "atlas",
            "survey: 'atlas' is not one of ztf, lsst",
        ),
        (Option("start", "datetime"), "tomorrow", "start: 'tomorrow' is not an ISO 8601 time"),
        (Option("airmass", "float", minimum=1.0), "0.5", "airmass: '0.5' is below the minimum 1"),
        (Option("n", "int", maximum=50), "51", "n: '51' is above the maximum 50"),
    ],
)
def test_a_bad_value_names_the_option_and_what_was_expected(option: Option, raw: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        option.convert(raw)
    assert str(caught.value).startswith(message)


def test_values_are_typed_and_empty_means_the_default() -> None:
    assert Option("n", "int", 10).convert("3.0") == 3
    assert Option("n", "int", 10).convert("  ") == 10
    assert Option("n", "int", 10).coerce("") is None
    assert Option("flag", "bool").convert("Yes") is True
    assert Option("ra", "float").convert(" 12.5 ") == 12.5
    assert Option("when", "datetime").convert("2026-11-22T03:00:00Z") == dt.datetime(
        2026, 11, 22, 3, tzinfo=dt.UTC
    )
    assert Option("name", "str").convert("  SN 2026abc ") == "SN 2026abc"


def test_a_multiple_option_converts_each_value() -> None:
    groups = Option("groups", "str", multiple=True)
    assert groups.convert(("a", "b")) == ["a", "b"] and groups.convert(None) == []
    counts = Option("counts", "int", multiple=True)
    with pytest.raises(ValidationError, match="counts: 'x' is not a valid int"):
        counts.convert(["1", "x"])


def test_a_declaration_is_checked_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="type 'colour' is not one of"):
        Option("tint", "colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a choice option needs choices"):
        Option("survey", "choice")


def test_flag_label_and_description_come_from_the_name() -> None:
    option = Option("data_type", "str", None, "Data type.", required=True, flag_name="type")
    assert (option.flag, option.label) == ("--type", "data type")
    assert Option("exposure_time", "float").flag == "--exposure-time"
    [described] = describe_options([option])
    assert described["flag"] == "--type" and described["required"] is True


def test_every_problem_of_a_set_of_values_is_reported_at_once() -> None:
    options = [Option("count", "int", 1, minimum=1), Option("target", "str", required=True, help="a name")]
    values, problems = convert_options(options, {"count": "0", "colour": "red"}, "this broker")
    assert problems == [
        "colour: not an option of this broker; expected one of count, target",
        "count: '0' is below the minimum 1",
        "target: missing; a name",
    ]
    assert values == {"target": None}
    with pytest.raises(ValidationError) as caught:
        resolve_options(options, {"count": "x"})
    assert caught.value.problems[0].startswith("count: 'x' is not a valid int")
    assert resolve_options(options, {"target": "M31"}) == {"count": 1, "target": "M31"}
