"""The contract every observation facility implements (shaped like TOM Toolkit's
``BaseObservationFacility``).

A facility declares its request options once, as the ``options`` attribute: a sequence of
:class:`~tom_tui.domain.options.Option` (the same declaration brokers use); ``tom-tui obs request``
turns each into a ``--flag`` and the TUI turns each into a form field. The service layer calls,
in order: :meth:`Facility.prepare` (coerce and validate: every problem at once), :meth:`submit`,
then repeatedly :meth:`update_status` until the status is one of :attr:`terminal_states`, then
:meth:`data_products` and :meth:`download` for each product.

Facilities are found through the ``tom_tui.facilities`` entry point group (see
:mod:`tom_tui.services.plugins`); built-in ones are registered there exactly as a third-party
package would register its own.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tom_tui.domain.errors import TomError
from tom_tui.domain.frames import observing_night
from tom_tui.domain.options import Option, convert_options
from tom_tui.domain.sites import Site
from tom_tui.domain.target import Target


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
        return observing_night(self.date_obs)


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
    @property
    @abstractmethod
    def options(self) -> Sequence[Option]:
        """The request options, in the order a form shows them.

        Read as an attribute, like a broker's ``options``; a property here because a default
        may come from the settings (LCO's proposal).
        """

    @abstractmethod
    def sites(self) -> list[Site]:
        """The sites this facility observes from."""

    # -- request life cycle --
    def prepare(self, target: Target, raw: Mapping[str, Any]) -> tuple[ObservationRequest, list[str]]:
        """Coerce raw option values and validate the result; returns every problem at once."""
        values, problems = convert_options(self.options, raw, "this facility")
        request = ObservationRequest(target=target, parameters=values)
        if not problems:
            problems.extend(self.validate(request))
        return request, problems

    @abstractmethod
    def validate(self, request: ObservationRequest) -> list[str]:
        """Every problem with a request whose options are already typed (empty list: fine).

        Each problem is one line ``field: what is wrong; what was expected``. Must not submit.
        """

    def describe_request(self, request: ObservationRequest) -> dict[str, Any]:
        """What :meth:`submit` would send for a valid request, as JSON-ready data; sends nothing.

        Facilities with a remote API return the body they would send.
        """
        parameters = {
            key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in request.parameters.items()
        }
        return {"target": request.target.name, "parameters": parameters}

    @abstractmethod
    def submit(self, request: ObservationRequest) -> str:
        """Submit a valid request; returns the facility's id for it.

        A request must never be sent twice: when the answer is lost after the request may have
        arrived, look for what it created, or raise an error telling the user to check.
        """

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

    def option(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)
