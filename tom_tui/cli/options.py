"""Declared options (:class:`~tom_tui.domain.options.Option`) as click options, and back.

Every flag takes text and is checked by :meth:`Option.convert` (through the service that uses
it), so the CLI, the TUI form and a job's TOML table report a bad value with the same words.
Choices are offered as a click choice (for shell completion); booleans as ``--x/--no-x``;
``multiple`` options as repeatable flags. A flag left out is left out of the values, so the
service fills in the default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import click

from tom_tui.domain.options import Option

Command = TypeVar("Command", bound=Callable[..., Any])
# What a flag's value looks like in help, in click's own words (a choice lists its choices).
METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "datetime": "ISO-TIME"}


def option_help(option: Option, extra: str = "") -> str:
    """The help text of a flag: the option's help and its default."""
    text = option.help + extra
    if option.default not in (None, "", (), []):
        text += f" (default: {option.default})"
    return text


def _declaration(
    option: Option, dest: str, help_text: str, required: bool = False
) -> tuple[list[str], dict[str, Any]]:
    if option.type == "bool" and not option.multiple:
        negative = option.flag.replace("--", "--no-", 1)
        return [f"{option.flag}/{negative}", dest], {"default": None, "help": help_text}
    kind: Any = click.Choice(option.choices) if option.type == "choice" else str
    metavar = option.metavar or METAVARS.get(option.type)
    settings = {
        "type": kind,
        "default": None,
        "multiple": option.multiple,
        "metavar": metavar,
        "help": help_text,
        "required": required,
    }
    return [option.flag, dest], settings


def click_option(option: Option, dest: str | None = None, help_text: str | None = None) -> click.Option:
    """One click option for ``option``; its value arrives under ``dest`` (default: the option's name)."""
    declarations, settings = _declaration(
        option, dest or option.name, option_help(option) if help_text is None else help_text
    )
    return click.Option(declarations, **settings)


def click_options(options: Iterable[Option], prefix: str = "") -> list[click.Option]:
    """Click options for every declared option; ``prefix`` keeps their values apart from others."""
    return [click_option(option, prefix + option.name) for option in options]


def add_click_options(options: Sequence[Option]) -> Callable[[Command], Command]:
    """A decorator adding ``options`` to a click command, in declaration order.

    Here a required option is a required flag (click reports it missing before anything runs);
    flags built one by one are never required, since they may serve several owners.
    """

    def decorate(function: Command) -> Command:
        for option in reversed(options):
            declarations, settings = _declaration(option, option.name, option_help(option), option.required)
            function = click.option(*declarations, **settings)(function)
        return function

    return decorate


def given_values(params: Mapping[str, Any], names: Iterable[str], prefix: str = "") -> dict[str, Any]:
    """The values of the flags a user gave, by option name (left-out flags are absent)."""
    values: dict[str, Any] = {}
    for name in names:
        value = params.get(prefix + name)
        if value is None or (isinstance(value, tuple) and not value):
            continue
        values[name] = list(value) if isinstance(value, tuple) else value
    return values


def option_values(options: Iterable[Option], params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The values of the flags a user gave for ``options`` (see :func:`given_values`)."""
    return given_values(params, [option.name for option in options], prefix)
