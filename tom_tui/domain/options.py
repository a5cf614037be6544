"""One option type: a parameter declared once, from which the CLI flag, the config key and the form
field are all derived.

Brokers, facilities and the data upload declare their parameters as :class:`Option` s. The CLI
(``tom_tui.cli.options``) turns a list of them into click options, the TUI
(``tom_tui.screens.options_form``) into form fields, and a job's ``options`` table in
``tom-tui.toml`` uses the same names. Every route reads values back through :meth:`Option.convert`,
so a value is checked the same way wherever it came from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from tom_tui.domain.errors import ValidationError

OptionType = Literal["str", "int", "float", "bool", "choice", "datetime"]
OPTION_TYPES: tuple[str, ...] = get_args(OptionType)
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def parse_utc(raw: Any) -> dt.datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (``Z`` and spaces accepted).

    Raises ValueError naming the expected form.
    """
    if isinstance(raw, dt.datetime):
        moment = raw
    else:
        try:
            moment = dt.datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{raw!r} is not an ISO 8601 time (2026-11-22T03:00:00)") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class Option:
    """One parameter, declared once.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``) or
    ``datetime`` (ISO 8601, UTC when no zone is given). ``choices`` may also limit a ``str``;
    ``minimum``/``maximum`` bound numbers. A ``default`` of ``None`` with ``required=True`` means
    the user must give a value. ``multiple`` options take a list of values (a repeatable flag).
    ``flag_name`` overrides the flag derived from the name (``data_type`` shown as ``--type``);
    ``metavar`` is the placeholder shown in help (``FIELD=COLUMN``).
    """

    name: str
    type: OptionType = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    multiple: bool = False
    flag_name: str | None = None
    metavar: str | None = None

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(
                f"option {self.name}: type {self.type!r} is not one of {', '.join(OPTION_TYPES)}"
            )
        if self.type == "choice" and not self.choices:
            raise ValueError(f"option {self.name}: a choice option needs choices")

    @property
    def flag(self) -> str:
        """The CLI flag (``exposure_time`` → ``--exposure-time``)."""
        return "--" + (self.flag_name or self.name.replace("_", "-"))

    @property
    def label(self) -> str:
        """The form label (``exposure_time`` → ``exposure time``)."""
        return self.name.replace("_", " ")

    def convert(self, raw: Any) -> Any:
        """The typed value of raw input (a CLI string, a TOML value, a form field).

        Empty input gives the default (an empty list for ``multiple``). A bad value raises
        :class:`ValidationError` whose message starts with the option's name and says what was
        expected: ``count: '2.5' is not a whole number``.
        """
        if self.multiple:
            values = [] if raw is None else [raw] if isinstance(raw, str) else list(raw)
            converted = [self._one(value) for value in values if not _is_empty(value)]
            return converted or list(self.default or [])
        if _is_empty(raw):
            return self.default
        return self._one(raw)

    def coerce(self, raw: Any) -> Any:
        """Like :meth:`convert`, but empty input gives None (so a caller can tell "not given")."""
        return None if _is_empty(raw) else self.convert(raw)

    def _one(self, raw: Any) -> Any:
        try:
            value = self._typed(raw)
        except ValueError as error:
            raise ValidationError(f"{self.name}: {error}") from None
        problem = self._out_of_bounds(raw, value)
        if problem:
            raise ValidationError(f"{self.name}: {problem}")
        return value

    def _typed(self, raw: Any) -> Any:
        if self.type == "int":
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{raw!r} is not a valid int; expected a whole number") from None
            if not number.is_integer():
                raise ValueError(f"{raw!r} is not a whole number")
            return int(number)
        if self.type == "float":
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{raw!r} is not a valid float; expected a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{raw!r} is not a finite number")
            return value
        if self.type == "bool":
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS or word in FALSE_WORDS:
                return word in TRUE_WORDS
            raise ValueError(f"{raw!r} is not a valid bool; expected true or false")
        if self.type == "datetime":
            return parse_utc(raw)
        return str(raw).strip()

    def _out_of_bounds(self, raw: Any, value: Any) -> str:
        if self.choices and str(value) not in self.choices:
            return f"{raw!r} is not one of {', '.join(self.choices)}"
        if self.minimum is not None and value < self.minimum:
            return f"{raw!r} is below the minimum {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"{raw!r} is above the maximum {self.maximum:g}"
        return ""

    def describe(self) -> dict[str, Any]:
        """The declaration as JSON (for ``--json`` listings and third-party forms)."""
        default = self.default.isoformat() if isinstance(self.default, dt.datetime) else self.default
        return {
            "name": self.name,
            "flag": self.flag,
            "type": self.type,
            "default": default,
            "help": self.help,
            "choices": list(self.choices),
            "required": self.required,
            "multiple": self.multiple,
        }


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def convert_options(
    options: Sequence[Option], raw: Mapping[str, Any], owner: str = "this"
) -> tuple[dict[str, Any], list[str]]:
    """Typed values for every declared option (defaults filled in) and every problem found.

    ``owner`` names what the options belong to in the message about an unknown name.
    """
    known = {option.name: option for option in options}
    problems = [
        f"{name}: not an option of {owner}; expected one of {', '.join(known) or 'none'}"
        for name in raw
        if name not in known
    ]
    values: dict[str, Any] = {}
    for option in options:
        try:
            value = option.convert(raw.get(option.name))
        except ValidationError as error:
            problems.append(str(error))
            continue
        if (value is None or value == []) and option.required:
            problems.append(f"{option.name}: missing; {option.help or 'a value is required'}")
        values[option.name] = value
    return values, problems


def resolve_options(options: Sequence[Option], raw: Mapping[str, Any], owner: str = "this") -> dict[str, Any]:
    """Like :func:`convert_options`, raising one :class:`ValidationError` listing every problem."""
    values, problems = convert_options(options, raw, owner)
    if problems:
        raise ValidationError(problems[0], problems)
    return values


def describe_options(options: Iterable[Option]) -> list[dict[str, Any]]:
    """The option declarations as JSON."""
    return [option.describe() for option in options]


def parse_pairs(pairs: Iterable[str], flag: str, shape: str) -> dict[str, str]:
    """``KEY=VALUE`` pairs → a dict; ``flag`` and ``shape`` name them in the error."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise ValidationError(f"{flag} {pair!r}: expected {shape}")
        parsed[key.strip()] = value
    return parsed
