"""A client of a TOM Toolkit's REST API (``/api/targets/``, ``/api/reduceddatums/``).

What it relies on, read from TOM Toolkit 3.1.0's source and checked against a running 3.1.0:

- Authentication: ``Authorization: Token <key>`` (the key on the user's profile page) or HTTP
  Basic with a username and password; both are sent as a header, which the HTTP layer never shows.
- Lists are pages ``{"count", "next", "previous", "results"}`` (``LimitOffsetPagination``); a
  TOM whose settings turn pagination off (2.x sites often did) answers a plain list. Both are read.
- ``GET /api/targets/?name=A,B`` finds targets whose name or an alias *contains* a term, so the
  answers are compared here by simplified name; ``name_fuzzy`` is not used, as it misses targets
  that have aliases on some sites. ``cone_search=RA,DEC,RADIUS`` (degrees) finds by position.
- ``POST /api/targets/`` takes ``aliases``, ``targetextra_set`` and ``target_lists`` as lists of
  ``{"name"}`` / ``{"key", "value"}`` / ``{"name"}``; a name that exists is refused with 400.
- ``POST /api/reduceddatums/`` takes one datum; a photometry datum's ``value`` holds
  ``magnitude``, ``error``, ``filter``, ``limit``, ``unit``, ``telescope`` and ``instrument``.
  A datum it already holds comes back as 200 with ``already_exists`` (3.1) or as a 400 naming
  the duplicate (2.x); both count as already there. The list answer leaves ``limit`` out of
  ``value`` (3.1.0), so an upper limit cannot be read back through the API.

Every request goes through :class:`~tom_tui.adapters.http.HttpClient`: a timeout on each, and a
POST is never sent twice (a POST that may have reached the TOM and failed raises
:class:`~tom_tui.adapters.http.AmbiguousRequestError`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from tom_tui.adapters.http import Credentials, HttpClient, HttpRequest, quoted_reply
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.target import simplify_name

PAGE_SIZE = 100
# A TOM that keeps answering "next" would otherwise be read forever.
MAX_PAGES = 10_000
TOKEN_KEYS = ("token",)
BASIC_KEYS = ("username", "password")


@dataclass(frozen=True)
class RemoteTarget:
    """A target as a TOM Toolkit holds it."""

    id: int
    name: str
    type: str = "SIDEREAL"
    ra: float | None = None
    dec: float | None = None
    aliases: tuple[str, ...] = ()
    extras: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)  # every other field, as it answered

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @classmethod
    def from_answer(cls, item: Mapping[str, Any]) -> RemoteTarget:
        """One target of an answer; 2.x and 3.x write aliases as ``{"name": ...}`` objects, some
        sites as plain strings, and extras as ``targetextra_set`` or an ``extras`` mapping."""
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), int) or not item.get("name"):
            raise AdapterError(f"TOM Toolkit answered a target without an id or a name: {str(item)[:120]}")
        aliases = tuple(
            str(alias["name"] if isinstance(alias, Mapping) else alias) for alias in item.get("aliases") or []
        )
        extras = {
            str(extra["key"]): str(extra["value"])
            for extra in item.get("targetextra_set") or []
            if isinstance(extra, Mapping) and "key" in extra
        }
        if isinstance(item.get("extras"), Mapping):
            extras.update({str(k): str(v) for k, v in item["extras"].items()})
        skipped = {"id", "name", "type", "ra", "dec", "aliases", "targetextra_set", "extras"}
        return cls(
            id=int(item["id"]),
            name=str(item["name"]),
            type=str(item.get("type") or "SIDEREAL"),
            ra=_number(item.get("ra")),
            dec=_number(item.get("dec")),
            aliases=aliases,
            extras=extras,
            fields={key: value for key, value in item.items() if key not in skipped},
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def auth_header(credentials: Credentials) -> dict[str, str]:
    """The ``Authorization`` header: a token if one is given, else Basic with username and password."""
    if credentials.get("token"):
        return {"Authorization": f"Token {credentials['token']}"}
    if credentials.get("username") and credentials.get("password"):
        pair = f"{credentials['username']}:{credentials['password']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    credentials.require(*TOKEN_KEYS)  # raises, naming the variable and the file section
    return {}


class TomToolkitClient:
    """Targets and reduced data of one TOM Toolkit, found, created, sent and read."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        client: HttpClient | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url {base_url!r}: expected an http:// or https:// address")
        self.base_url = base_url.rstrip("/") + "/"
        self.headers = auth_header(credentials)
        self.http = client or HttpClient()
        self.page_size = page_size

    # -- requests --
    def _url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def _send(self, request: HttpRequest) -> requests.Response:
        response = self.http.send(request, check_status=False)
        if response.status_code in (401, 403):
            raise AdapterError(
                f"{request.method} {request.display_url()}: the TOM refused the credentials "
                f"(HTTP {response.status_code}{quoted_reply(response, request)}); check the token or "
                "username and password in the store's credentials file"
            )
        return response

    def _json(self, request: HttpRequest, response: requests.Response) -> Any:
        if response.status_code >= 400:
            raise AdapterError(
                f"{request.method} {request.display_url()}: HTTP {response.status_code}"
                f"{quoted_reply(response, request)}"
            )
        try:
            return response.json()
        except ValueError:
            raise AdapterError(
                f"{request.method} {request.display_url()}: expected JSON from the TOM's API, got "
                f"{response.headers.get('Content-Type', 'an unknown content type')}; check base_url"
            ) from None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        request = HttpRequest("GET", self._url(path), params=dict(params or {}), headers=self.headers)
        return self._json(request, self._send(request))

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``next`` links (or one plain list)."""
        answer = self.get(path, {"limit": self.page_size, **(params or {})})
        for _ in range(MAX_PAGES):
            items = answer.get("results") if isinstance(answer, Mapping) else answer
            if not isinstance(items, list):
                raise AdapterError(f"GET {self._url(path)}: expected a list or a page of results")
            yield from (item for item in items if isinstance(item, dict))
            following = answer.get("next") if isinstance(answer, Mapping) else None
            if not following:
                return
            request = HttpRequest("GET", str(following), headers=self.headers)
            answer = self._json(request, self._send(request))
        raise AdapterError(f"GET {self._url(path)}: more than {MAX_PAGES} pages; stopped")

    def post(self, path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        """POST once; the status and the answer (a 4xx answer is returned for the caller to explain)."""
        request = HttpRequest("POST", self._url(path), json=dict(body), headers=self.headers)
        response = self._send(request)
        if response.status_code >= 500:
            raise AdapterError(
                f"POST {request.display_url()}: HTTP {response.status_code}; the TOM failed on it"
            )
        try:
            answer = response.json()
        except ValueError:
            answer = response.text[:200]
        return response.status_code, answer

    # -- targets --
    def find_target(
        self, names: Sequence[str], ra: float | None, dec: float | None, radius_arcsec: float
    ) -> RemoteTarget | None:
        """The TOM's target with one of ``names`` as its name or an alias, else the nearest within
        ``radius_arcsec`` of the position; None when there is neither."""
        wanted = {simplify_name(name) for name in names if name}
        terms = ",".join(name.replace(",", " ") for name in names if name)
        if terms:
            for item in self.pages("api/targets/", {"name": terms}):
                found = RemoteTarget.from_answer(item)
                if wanted & {simplify_name(name) for name in found.names}:
                    return found
        if ra is None or dec is None:
            return None
        cone = f"{ra:.8f},{dec:.8f},{radius_arcsec / 3600.0:.8f}"
        hits = [RemoteTarget.from_answer(item) for item in self.pages("api/targets/", {"cone_search": cone})]
        return hits[0] if hits else None

    def targets(self, params: Mapping[str, Any] | None = None) -> Iterator[RemoteTarget]:
        for item in self.pages("api/targets/", params):
            yield RemoteTarget.from_answer(item)

    def create_target(self, body: Mapping[str, Any]) -> RemoteTarget:
        status, answer = self.post("api/targets/", body)
        if status >= 400:
            raise AdapterError(f"the TOM refused to create target {body.get('name')!r}: {_reason(answer)}")
        return RemoteTarget.from_answer(answer)

    # -- reduced data --
    def send_datum(self, datum: Mapping[str, Any]) -> bool:
        """Send one reduced datum; True if the TOM stored it, False if it already had it.

        Raises :class:`AdapterError` with the TOM's reason when it refuses the datum."""
        status, answer = self.post("api/reduceddatums/", datum)
        if status < 300:
            return not (isinstance(answer, Mapping) and answer.get("already_exists"))
        reason = _reason(answer)
        if "already exists" in reason.lower():  # 2.x: the duplicate check is a validation error
            return False
        raise AdapterError(f"the TOM refused a datum of {datum.get('timestamp')}: {reason}")

    def datums(self, target_id: int, data_type: str = "photometry") -> list[dict[str, Any]]:
        return list(self.pages("api/reduceddatums/", {"target__id": target_id, "data_type": data_type}))


def _reason(answer: Any) -> str:
    """A TOM's 400 answer (``{"field": ["why"]}`` or ``["why"]``) as one line."""
    if isinstance(answer, Mapping):
        parts = []
        for key, value in answer.items():
            text = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            parts.append(text if key in ("detail", "non_field_errors") else f"{key}: {text}")
        return "; ".join(parts)[:300]
    if isinstance(answer, list):
        return "; ".join(str(item) for item in answer)[:300]
    return str(answer)[:300]
