"""The contract every observation facility implements (shaped like TOM Toolkit's
``BaseObservationFacility``), plus the option declarations the CLI and the TUI form are built from.

A facility declares its request options once (:class:`RequestOption`); ``tom-tui obs request``
turns each into a ``--flag`` and the TUI turns each into a form field. The service layer calls,
in order: :meth:`Facility.prepare` (coerce and validate: every problem at once), :meth:`submit`,
then repeatedly :meth:`update_status` until the status is one of :attr:`terminal_states`, then
:meth:`data_products` and :meth:`download` for each product.

Facilities are found through the ``tom_tui.facilities`` entry point group; built-in ones are
registered there exactly as a third-party package would register its own.
"""

from __future__ import annotations

import datetime as dt
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, ClassVar

from tom_tui.domain.errors import NotFoundError, TomError
from tom_tui.domain.target import Target

ENTRY_POINT_GROUP = "tom_tui.facilities"
OPTION_TYPES = ("str", "int", "float", "bool", "datetime")


@dataclass(frozen=True)
class RequestOption:
    """One parameter of an observation request, declared once.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool``, ``datetime`` (ISO 8601, UTC when no
    zone is given). ``choices`` limits the accepted values; ``minimum``/``maximum`` bound numbers.
    A ``default`` of ``None`` with ``required=True`` means the user must give a value.
    """

    name: str
    type: str = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(f"option {self.name}: type {self.type!r} is not one of {OPTION_TYPES}")

    @property
    def flag(self) -> str:
        """The CLI flag derived from the name (``exposure_time`` → ``--exposure-time``)."""
        return "--" + self.name.replace("_", "-")

    def coerce(self, raw: Any) -> Any:
        """The typed value of raw input (a CLI string, a form string or a template value).

        Raises ValueError with a message naming what was expected.
        """
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        value: Any
        if self.type == "int":
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{raw!r} is not a whole number") from None
            if not number.is_integer():
                raise ValueError(f"{raw!r} is not a whole number")
            value = int(number)
        elif self.type == "float":
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{raw!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{raw!r} is not a finite number")
        elif self.type == "bool":
            if isinstance(raw, bool):
                value = raw
            elif str(raw).strip().lower() in {"1", "true", "yes", "on"}:
                value = True
            elif str(raw).strip().lower() in {"0", "false", "no", "off"}:
                value = False
            else:
                raise ValueError(f"{raw!r} is not true or false")
        elif self.type == "datetime":
            value = parse_utc(raw)
        else:
            value = str(raw).strip()
        if self.choices and str(value) not in self.choices:
            raise ValueError(f"{raw!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{raw!r} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{raw!r} is above the maximum {self.maximum:g}")
        return value


def parse_utc(raw: Any) -> dt.datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (``Z`` and spaces accepted)."""
    if isinstance(raw, dt.datetime):
        moment = raw
    else:
        try:
            moment = dt.datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{raw!r} is not an ISO 8601 time (2026-11-22T03:00:00)") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def coerce_options(
    options: Sequence[RequestOption], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Typed values for every declared option (defaults filled in) and every problem found."""
    known = {option.name: option for option in options}
    problems = [
        f"{name}: not an option of this facility; expected one of {', '.join(known)}"
        for name in raw
        if name not in known
    ]
    values: dict[str, Any] = {}
    for option in options:
        given = raw.get(option.name)
        try:
            value = option.coerce(given)
        except ValueError as error:
            problems.append(f"{option.name}: {error}")
            continue
        if value is None:
            value = option.default
        if value is None and option.required:
            problems.append(f"{option.name}: missing; {option.help or 'a value is required'}")
        values[option.name] = value
    return values, problems


@dataclass(frozen=True)
class Site:
    """Where a facility observes from (for visibility): geodetic latitude/longitude in degrees
    (east positive), height in metres."""

    name: str
    lat: float
    lon: float
    height: float


@dataclass
class ObservationRequest:
    """A validated request, ready to submit: the target and typed parameters."""

    target: Target
    parameters: dict[str, Any]
    name: str = ""


@dataclass
class SubmittedObservation:
    """What a facility is given back to follow a request it accepted."""

    facility_id: str
    target: Target
    parameters: dict[str, Any]
    submitted: dt.datetime
    status: str = ""


@dataclass
class StatusReport:
    """The facility's view of a request now. ``scheduled_*`` are None when not (yet) known."""

    status: str
    scheduled_start: dt.datetime | None = None
    scheduled_end: dt.datetime | None = None
    detail: str = ""


@dataclass
class DataProduct:
    """One file a completed observation produced (a raw frame, a calibration, a spectrum)."""

    product_id: str
    filename: str
    kind: str
    telescope: str
    date_obs: dt.datetime | None = None
    url: str | None = None
    instrument: str = ""
    filter: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def night(self) -> str:
        """The observing night as YYYYMMDD (the local date at dusk: UT noon-to-noon)."""
        if self.date_obs is None:
            return "unknown"
        return (self.date_obs - dt.timedelta(hours=12)).strftime("%Y%m%d")


class Facility(ABC):
    """An observatory that takes requests. Subclasses set the class attributes and implement the
    abstract methods; errors of the remote service are raised as :class:`~tom_tui.domain.errors.AdapterError`
    with a message naming the service, the operation and what went wrong.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: Statuses after which nothing will change any more.
    terminal_states: ClassVar[frozenset[str]] = frozenset()
    #: Terminal statuses that mean no data (a subset of ``terminal_states``).
    failed_states: ClassVar[frozenset[str]] = frozenset()
    #: The terminal status that means data can be fetched.
    completed_state: ClassVar[str] = "COMPLETED"
    #: False for facilities whose data arrive by hand (``data_products`` is always empty).
    delivers_data: ClassVar[bool] = True

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """``settings`` is the ``[facilities.<name>]`` table of the store's ``tom-tui.toml``."""
        self.settings: dict[str, Any] = dict(settings or {})

    # -- declaration --
    @abstractmethod
    def options(self) -> Sequence[RequestOption]:
        """The request options, in the order a form shows them."""

    @abstractmethod
    def sites(self) -> list[Site]:
        """The sites this facility observes from."""

    # -- request life cycle --
    def prepare(self, target: Target, raw: Mapping[str, Any]) -> tuple[ObservationRequest, list[str]]:
        """Coerce raw option values and validate the result; returns every problem at once."""
        values, problems = coerce_options(self.options(), raw)
        request = ObservationRequest(target=target, parameters=values)
        if not problems:
            problems.extend(self.validate(request))
        return request, problems

    @abstractmethod
    def validate(self, request: ObservationRequest) -> list[str]:
        """Every problem with a request whose options are already typed (empty list: fine).

        Each problem is one line ``field: what is wrong; what was expected``. Must not submit.
        """

    @abstractmethod
    def submit(self, request: ObservationRequest) -> str:
        """Submit a valid request; returns the facility's id for it."""

    @abstractmethod
    def cancel(self, observation: SubmittedObservation) -> str:
        """Cancel a request that is not terminal; returns the new status."""

    @abstractmethod
    def update_status(self, observation: SubmittedObservation) -> StatusReport:
        """The current status of one submitted request."""

    def update_statuses(
        self, observations: Sequence[SubmittedObservation], workers: int = 1
    ) -> list[StatusReport | TomError]:
        """Statuses of many requests, in order; a failure of one is returned in its place."""

        def one(observation: SubmittedObservation) -> StatusReport | TomError:
            try:
                return self.update_status(observation)
            except TomError as error:
                return error

        if workers <= 1 or len(observations) <= 1:
            return [one(observation) for observation in observations]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{self.name}-status") as pool:
            return list(pool.map(one, observations))

    @abstractmethod
    def data_products(self, observation: SubmittedObservation) -> list[DataProduct]:
        """The files a completed request produced (empty until there are any)."""

    @abstractmethod
    def download(self, observation: SubmittedObservation, product: DataProduct, destination: Path) -> None:
        """Write one product to ``destination`` (a path the caller chose; it stages it into the store)."""

    # -- helpers --
    def is_terminal(self, status: str) -> bool:
        return status in self.terminal_states

    def is_failed(self, status: str) -> bool:
        return status in self.failed_states

    def option(self, name: str) -> RequestOption:
        for option in self.options():
            if option.name == name:
                return option
        raise KeyError(name)


@cache
def _facility_entry_points() -> dict[str, EntryPoint]:
    return {entry_point.name: entry_point for entry_point in entry_points(group=ENTRY_POINT_GROUP)}


def facility_names() -> list[str]:
    """Names of every installed facility, without importing any of them."""
    return sorted(_facility_entry_points())


def load_facility(name: str, settings: Mapping[str, Any] | None = None) -> Facility:
    """An instance of the named facility configured with ``settings``."""
    entry_point = _facility_entry_points().get(name)
    if entry_point is None:
        raise NotFoundError(f"no facility named {name!r}; installed: {', '.join(facility_names()) or 'none'}")
    facility_class = entry_point.load()
    if not (isinstance(facility_class, type) and issubclass(facility_class, Facility)):
        raise TomError(f"facility entry point {name!r} does not name a Facility subclass")
    return facility_class(settings)


def describe_options(options: Iterable[RequestOption]) -> list[dict[str, Any]]:
    """The option declarations as JSON (for ``obs options`` and third-party forms)."""
    return [
        {
            "name": option.name,
            "flag": option.flag,
            "type": option.type,
            "default": option.default.isoformat()
            if isinstance(option.default, dt.datetime)
            else option.default,
            "help": option.help,
            "choices": list(option.choices),
            "required": option.required,
        }
        for option in options
    ]
