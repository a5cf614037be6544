"""The contract every alert broker adapter fulfils (shaped like TOM Toolkit's ``GenericBroker``).

A broker adapter is a subclass of :class:`Broker` registered in the ``tom_tui.brokers`` entry point
group (``name = "package.module:Class"``). It declares:

- ``name`` (the entry point name), ``label`` (shown to users), ``default_base_url``;
- ``options``: the :class:`~tom_tui.domain.options.Option` s its query takes, read as an attribute
  of an instance (a class attribute here; a facility declares its request options the same way).
  The CLI derives ``--flags`` and the TUI derives form fields from them; a job's ``options`` table
  uses the same names;
- ``credential_keys``: the secrets it needs (read through :func:`tom_tui.adapters.http.load_credentials`).

and implements:

- :meth:`Broker.build_query` — the :class:`HttpRequest` a query with these options sends. It never
  touches the network: ``query(dry_run=True, ...)`` returns exactly this request.
- :meth:`Broker.parse_query` — the decoded response → raw result dicts (one per object/alert).
- :meth:`Broker.to_generic_alert` — one raw result → :class:`GenericAlert`.
- :meth:`Broker.history_request` / :meth:`Broker.parse_history` — the request for an object's
  light curve and its conversion to a photometry table (:class:`tom_tui.domain.photometry.PhotometryColumns`).
  ``photometry_history`` sends one and applies the other.
- :meth:`Broker.to_target` — the target fields for a generic alert (default: name, position,
  broker and class as extras); ingest turns them into targets through duplicate protection.

Errors: a bad option value raises :class:`~tom_tui.domain.errors.ValidationError` naming the option;
anything the service does wrong (HTTP error, unexpected payload) raises
:class:`~tom_tui.domain.errors.AdapterError` naming the URL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, overload

import pyarrow as pa

from tom_tui.adapters.http import Credentials, HttpClient, HttpRequest, load_credentials
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option, resolve_options
from tom_tui.domain.photometry import empty_alert_photometry
from tom_tui.domain.text import strip_control, strip_control_in


@dataclass
class GenericAlert:
    """What every broker's result looks like once converted (TOM Toolkit's GenericAlert)."""

    broker: str
    id: str  # the broker's identifier of the object or alert
    name: str  # the name to give a target (survey object id)
    ra: float | None
    dec: float | None
    mjd: float | None = None  # time of the latest detection
    mag: float | None = None  # latest magnitude
    filter: str | None = None
    classification: str | None = None
    score: float | None = None
    url: str | None = None
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # A broker's answer is outside text: no control character of it may reach a terminal.
        self.id, self.name = strip_control(str(self.id)), strip_control(str(self.name))
        self.aliases = [strip_control(str(alias)) for alias in self.aliases]
        self.filter, self.classification, self.url = (
            None if value is None else strip_control(str(value))
            for value in (self.filter, self.classification, self.url)
        )
        self.extra = strip_control_in(self.extra)

    def to_json(self, include_raw: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not include_raw:
            data.pop("raw")
        return data


class Broker(ABC):
    """Base class of alert broker adapters; see the module docstring for the contract."""

    name: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str]
    options: ClassVar[Sequence[Option]] = ()
    credential_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        base_url: str | None = None,
        client: HttpClient | None = None,
        credentials: Credentials | None = None,
        store_root: Path | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = dict(settings or {})
        self.base_url = (base_url or self.settings.get("base_url") or self.default_base_url).rstrip("/")
        self.client = client or HttpClient()
        self._credentials = credentials
        self._store_root = store_root

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            self._credentials = load_credentials(self.name, self._store_root, self.credential_keys)
        return self._credentials

    # -- options --
    def resolve_options(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Declared options with defaults filled in; unknown or missing required ones are errors."""
        known = [option.name for option in self.options]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValidationError(
                f"{self.name}: unknown option(s) {', '.join(unknown)}; expected {', '.join(known) or 'none'}"
            )
        return resolve_options(self.options, raw, self.name)

    # -- query --
    @abstractmethod
    def build_query(self, options: Mapping[str, Any]) -> HttpRequest:
        """The request a query with these (resolved) options sends."""

    @abstractmethod
    def parse_query(self, payload: Any) -> list[dict[str, Any]]:
        """The decoded response → one raw dict per result."""

    @overload
    def query(self, *, dry_run: Literal[False] = False, **options: Any) -> list[GenericAlert]: ...

    @overload
    def query(self, *, dry_run: Literal[True], **options: Any) -> HttpRequest: ...

    def query(self, *, dry_run: bool = False, **options: Any) -> list[GenericAlert] | HttpRequest:
        """Run a query, or with ``dry_run`` return the request it would send (no network)."""
        request = self.build_query(self.resolve_options(options))
        if dry_run:
            return request
        payload = self.fetch(request)
        try:
            return [self.to_generic_alert(raw) for raw in self.parse_query(payload)]
        except (KeyError, TypeError, ValueError) as error:
            raise AdapterError(
                f"{self.label}: unexpected answer from {request.display_url()} "
                f"({type(error).__name__}: {error})"
            ) from None

    def fetch(self, request: HttpRequest) -> Any:
        """Send a request and decode its JSON answer (an offline adapter answers it itself)."""
        return self.client.send_json(request)

    @abstractmethod
    def to_generic_alert(self, raw: dict[str, Any]) -> GenericAlert:
        """One raw result → a generic alert."""

    # -- import --
    def to_target(self, alert: GenericAlert) -> dict[str, Any]:
        """Target fields (for :func:`tom_tui.domain.target.build_target`) of an alert's object."""
        extra: dict[str, Any] = {"broker": self.name}
        if alert.classification:
            extra["classification"] = alert.classification
        if alert.score is not None:
            extra["classification_score"] = alert.score
        extra.update({k: v for k, v in alert.extra.items() if isinstance(v, (str, int, float, bool))})
        return {
            "name": alert.name,
            "ra": alert.ra,
            "dec": alert.dec,
            "aliases": list(alert.aliases),
            "extra": extra,
        }

    def complete(self, alert: GenericAlert) -> GenericAlert:
        """Fill in what a listing lacks (e.g. a position) before import; default: nothing to do."""
        return alert

    def history_request(self, alert: GenericAlert) -> HttpRequest | None:
        """The request for an object's light curve, or None when the broker has none."""
        return None

    def parse_history(self, alert: GenericAlert, payload: Any) -> pa.Table:
        """The decoded light-curve response → photometry table."""
        return empty_alert_photometry()

    def photometry_history(self, alert: GenericAlert) -> pa.Table:
        request = self.history_request(alert)
        if request is None:
            return empty_alert_photometry()
        payload = self.fetch(request)
        try:
            return self.parse_history(alert, payload)
        except (KeyError, TypeError, ValueError) as error:
            raise AdapterError(
                f"{self.label}: unexpected light curve from {request.display_url()} "
                f"({type(error).__name__}: {error})"
            ) from None


def cone_options(default_radius: float, radius_help: str = "cone radius, arcsec") -> tuple[Option, ...]:
    """The ``ra``, ``dec`` and ``radius`` options of a broker's cone search (degrees, arcsec)."""
    return (
        Option("ra", "float", None, "cone centre RA, degrees"),
        Option("dec", "float", None, "cone centre Dec, degrees"),
        Option("radius", "float", default_radius, radius_help),
    )


@dataclass(frozen=True)
class Cone:
    """A cone search: centre in degrees, radius in arcseconds."""

    ra: float
    dec: float
    radius: float

    def fields(self) -> dict[str, float]:
        """``ra``, ``dec`` and ``radius``, as most brokers name them in a query."""
        return {"ra": self.ra, "dec": self.dec, "radius": self.radius}


def cone_search(options: Mapping[str, Any]) -> Cone | None:
    """The cone the resolved options of :func:`cone_options` ask for, or None when they ask for none.

    Raises ValidationError for half a centre, a centre off the sky or a radius that is not positive.
    """
    ra, dec, radius = options["ra"], options["dec"], options["radius"]
    if (ra is None) != (dec is None):
        raise ValidationError("ra, dec: a cone search needs both (degrees)")
    if ra is None:
        return None
    if not 0.0 <= ra < 360.0 or not -90.0 <= dec <= 90.0:
        raise ValidationError(f"ra, dec: ({ra}, {dec}) is not a position on the sky")
    if radius is None or radius <= 0:
        raise ValidationError(f"radius: {radius!r} must be a positive number of arcseconds")
    return Cone(float(ra), float(dec), float(radius))


def require_keys(payload: Any, keys: Sequence[str], where: str) -> None:
    if not isinstance(payload, dict) or any(key not in payload for key in keys):
        raise AdapterError(f"{where}: expected a JSON object with {', '.join(keys)}")
