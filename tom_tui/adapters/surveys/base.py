"""The contract every survey data service fulfils: the photometry a survey holds at a position.

A survey service is a subclass of :class:`SurveyService` registered in the ``tom_tui.surveys``
entry point group (``name = "package.module:Class"``). It declares:

- ``name`` (the entry point name, also the ``[surveys.<name>]`` table of ``tom-tui.toml`` and the
  ``[<name>]`` section of the store's credentials file), ``label`` (shown to users),
  ``default_base_url`` (a ``base_url`` setting replaces it: a mirror or a local test server);
- ``settings_options``: the settings it reads, as :class:`~tom_tui.domain.options.Option` s (the
  defaults are shown by ``tom-tui survey list``);
- ``credential_keys``: the secrets it needs, read through
  :func:`tom_tui.adapters.http.load_credentials` (environment first, then the credentials file);
- ``default_radius_arcsec``: the match radius when the caller gives none;
- ``takes_new_data``: False for a closed data release, which a later fetch cannot add to;
- ``position_epoch_mjd``: the survey's typical epoch; the caller moves a target there by its
  proper motion before asking (None: positions are used as they are).

and implements :meth:`SurveyService.fetch`: one cone (degrees, arcseconds) → :class:`SurveyAnswer`,
with the service's own rows (``raw``, kept as they came for files of raw data) and the same
measurements in the domain photometry schema (``photometry``: UTC MJD, canonical bands, µJy
fluxes, the magnitude system the survey states, limits for non-detections). ``since_mjd`` asks
only for measurements from that date on, where the service can say so.

A service whose work is queued (ATLAS forced photometry) remembers its pending task through the
:class:`TaskMemory` it is given, so that a run killed after submitting polls the same task next
time instead of submitting again.

Errors: a bad setting raises :class:`~tom_tui.domain.errors.ValidationError` naming it; anything
the service does wrong (an HTTP error, an answer that cannot be read) raises
:class:`~tom_tui.domain.errors.AdapterError` naming the URL; a task that is not finished yet raises
:class:`SurveyPendingError`. Every request goes through :class:`tom_tui.adapters.http.HttpClient`
(timeouts, rate limits, 429 with ``Retry-After``, no repeated POST, secrets redacted).
"""

from __future__ import annotations

import csv
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pyarrow as pa

from tom_tui.adapters.http import Credentials, HttpClient, HttpRequest, load_credentials
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option, resolve_options
from tom_tui.domain.photometry import with_canonical_names, with_target_ids

# Measurements may be asked for from this date on (MJD 40587 = 1970-01-01): earlier is a typo.
EARLIEST_SINCE_MJD = 40_587.0


@dataclass(frozen=True)
class SurveyAnswer:
    """What one survey returned for one cone.

    ``raw`` holds the service's own columns as it sent them (for raw-data files); ``photometry``
    the same measurements in :data:`tom_tui.domain.photometry.MEASUREMENT_SCHEMA`. ``empty`` is
    true when the service answered and had nothing there (worth remembering, so a re-run skips
    the cone). ``note`` is a short remark for the user (e.g. rows left out and why).
    """

    survey: str
    ra: float
    dec: float
    radius_arcsec: float
    raw: pa.Table
    photometry: pa.Table
    empty: bool
    note: str = ""


class SurveyPendingError(AdapterError):
    """The service has queued the work and not finished it yet; ask again later (the task is
    remembered, so asking again polls it rather than submitting it twice)."""

    def __init__(self, message: str, task_url: str) -> None:
        super().__init__(message)
        self.task_url = task_url


class TaskMemory(Protocol):
    """Where a queued service keeps the URL of a task it submitted, by a key of its choosing.

    ``remember`` must be durable when it returns (the service calls it straight after the
    service accepted the task, before waiting for the result).
    """

    def recall(self, key: str) -> str | None: ...

    def remember(self, key: str, task_url: str) -> None: ...

    def forget(self, key: str) -> None: ...


class NoTaskMemory:
    """Remembers nothing beyond this object's life (a one-off fetch outside a store)."""

    def __init__(self) -> None:
        self._tasks: dict[str, str] = {}

    def recall(self, key: str) -> str | None:
        return self._tasks.get(key)

    def remember(self, key: str, task_url: str) -> None:
        self._tasks[key] = task_url

    def forget(self, key: str) -> None:
        self._tasks.pop(key, None)


class SurveyService(ABC):
    """Base class of survey data services; see the module docstring for the contract."""

    name: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str] = ""
    settings_options: ClassVar[Sequence[Option]] = ()
    credential_keys: ClassVar[tuple[str, ...]] = ()
    default_radius_arcsec: ClassVar[float] = 3.0
    # False for a closed archive (a data release): asking it again later finds nothing new.
    takes_new_data: ClassVar[bool] = True
    # The survey's typical epoch (MJD): a target's proper motion carries it there before asking.
    position_epoch_mjd: ClassVar[float | None] = None

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        credentials: Mapping[str, str] | None = None,
        client: HttpClient | None = None,
        store_root: Path | None = None,
    ) -> None:
        raw_settings = dict(settings or {})
        self.base_url = str(raw_settings.pop("base_url", "") or self.default_base_url).rstrip("/")
        self.settings = self._resolve_settings(raw_settings)
        self.client = client or HttpClient()
        self._credentials = None if credentials is None else Credentials(self.name, credentials)
        self._store_root = store_root

    @classmethod
    def _resolve_settings(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        known = [option.name for option in cls.settings_options]
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValidationError(
                f"[surveys.{cls.name}]: unknown setting(s) {', '.join(unknown)}; "
                f"expected base_url{''.join(', ' + name for name in known)}"
            )
        return resolve_options(cls.settings_options, raw, f"[surveys.{cls.name}]")

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            self._credentials = load_credentials(self.name, self._store_root, self.credential_keys)
        return self._credentials

    def radius(self, radius_arcsec: float | None) -> float:
        """The match radius to use: the caller's, else the ``radius_arcsec`` setting or the default."""
        chosen = radius_arcsec if radius_arcsec is not None else self.settings.get("radius_arcsec")
        radius = float(chosen if chosen is not None else self.default_radius_arcsec)
        if not radius > 0:
            raise ValidationError(f"radius: {radius:g} must be a positive number of arcseconds")
        return radius

    def fetch(
        self,
        ra: float,
        dec: float,
        *,
        radius_arcsec: float | None = None,
        name: str | None = None,
        since_mjd: float | None = None,
        tasks: TaskMemory | None = None,
    ) -> SurveyAnswer:
        """The survey's photometry within ``radius_arcsec`` of (``ra``, ``dec``) (degrees, ICRS).

        ``name`` is the target's name (for services that look objects up by name, and for
        messages); ``since_mjd`` limits the answer to measurements from then on where the
        service can; ``tasks`` keeps a queued service's pending task across runs. The position
        and radius are checked here, once for every service.
        """
        check_position(ra, dec, since_mjd)
        return self.search(ra, dec, self.radius(radius_arcsec), name=name, since_mjd=since_mjd, tasks=tasks)

    @abstractmethod
    def search(
        self,
        ra: float,
        dec: float,
        radius: float,
        *,
        name: str | None,
        since_mjd: float | None,
        tasks: TaskMemory | None,
    ) -> SurveyAnswer:
        """What the service answers for a checked position and radius (arcseconds)."""

    def describe(self) -> dict[str, Any]:
        """Name, label, base URL, settings and which credentials are needed (never their values)."""
        return {
            "name": self.name,
            "label": self.label,
            "base_url": self.base_url,
            "settings": dict(self.settings),
            "credentials": list(self.credential_keys),
            "default_radius_arcsec": self.default_radius_arcsec,
            "takes_new_data": self.takes_new_data,
            "position_epoch_mjd": self.position_epoch_mjd,
        }

    # -- for subclasses --
    def answer(
        self, ra: float, dec: float, radius_arcsec: float, raw: pa.Table, photometry: pa.Table, note: str = ""
    ) -> SurveyAnswer:
        """A :class:`SurveyAnswer` whose photometry has the measurement schema and canonical names."""
        measured = measurements_table(photometry)
        return SurveyAnswer(
            survey=self.name,
            ra=ra,
            dec=dec,
            radius_arcsec=radius_arcsec,
            raw=raw,
            photometry=with_canonical_names(measured),
            empty=measured.num_rows == 0 and raw.num_rows == 0,
            note=note,
        )

    @contextmanager
    def reading(self, request: HttpRequest, what: str = "answer") -> Iterator[None]:
        """Turn what a parser raises on a malformed answer into one AdapterError naming the URL."""
        try:
            yield
        except (KeyError, TypeError, ValueError, IndexError, csv.Error, zipfile.BadZipFile) as error:
            raise AdapterError(
                f"{self.label}: unexpected {what} from {request.display_url()} "
                f"({type(error).__name__}: {error})"
            ) from None


def check_position(ra: float, dec: float, since_mjd: float | None = None) -> None:
    """Refuse a position off the sky or a start date before 1970, naming the field."""
    if not (0.0 <= ra < 360.0 and -90.0 <= dec <= 90.0):
        raise ValidationError(f"ra, dec: ({ra}, {dec}) is not a position on the sky (degrees)")
    if since_mjd is not None and not since_mjd >= EARLIEST_SINCE_MJD:
        raise ValidationError(f"since: MJD {since_mjd:g} is before 1970; expected a later date")


def measurements_table(table: pa.Table) -> pa.Table:
    """``table`` as exactly the measurement schema (missing columns null, others dropped)."""
    return with_target_ids(table, 0).drop_columns(["target_id"])
