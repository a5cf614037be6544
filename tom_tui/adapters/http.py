"""The one HTTP request layer every remote adapter goes through.

It gives each adapter the same behaviour: a ``tom-tui/<version>`` user agent, a timeout on every
request, retries with exponential backoff on connection errors, 429 and 5xx (honouring
``Retry-After``), a per-host rate limit, and credentials that never reach a log, an error message
or a dry-run description.

Credentials come from the environment first (``TOM_TUI_<SERVICE>_<KEY>``, e.g.
``TOM_TUI_TNS_API_KEY``), then from ``<store>/credentials.toml``::

    [tns]
    bot_id = "12345"
    bot_name = "my_bot"
    api_key = "..."

    [lasair]
    token = "..."

The file must be readable by its owner only (``chmod 600``); a file others can read is refused.
"""

from __future__ import annotations

import email.utils
import logging
import os
import re
import stat
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from tom_tui import __version__
from tom_tui.domain.errors import AdapterError, ValidationError

USER_AGENT = f"tom-tui/{__version__}"
CREDENTIALS_FILE = "credentials.toml"
REDACTED = "***"
# Parameter and header names whose values are secrets wherever they appear.
SECRET_NAMES = frozenset({"api_key", "apikey", "token", "password", "authorization", "key", "secret"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

log = logging.getLogger(__name__)
_SECRET_IN_URL = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_NAMES)) + r")=[^&\s\"']+")


class _RedactSecretsFilter(logging.Filter):
    """urllib3 logs every URL it opens at DEBUG; keep secrets in query strings out of those lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = _SECRET_IN_URL.sub(lambda m: f"{m.group(1)}={REDACTED}", str(record.msg))
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactSecretsFilter())


@dataclass
class HttpRequest:
    """A request an adapter wants to send; also what a dry run returns."""

    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None  # form-encoded body
    json: Any = None  # JSON body
    headers: dict[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # extra field names to redact when describing

    def _redact(self, mapping: Mapping[str, Any]) -> dict[str, Any]:
        hidden = SECRET_NAMES | {name.lower() for name in self.secrets}
        return {key: (REDACTED if key.lower() in hidden else value) for key, value in mapping.items()}

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description with every secret replaced by ``***``."""
        described: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.params:
            described["params"] = self._redact(self.params)
        if self.data is not None:
            described["data"] = self._redact(self.data)
        if self.json is not None:
            described["json"] = self._redact(self.json) if isinstance(self.json, Mapping) else self.json
        headers = {"User-Agent": USER_AGENT, **self.headers}
        described["headers"] = self._redact(headers)
        return described

    def display_url(self) -> str:
        """The URL with its query string, secrets redacted (for logs and error messages)."""
        if not self.params:
            return self.url
        return f"{self.url}?{urlencode(self._redact(self.params), doseq=True)}"


class RateLimiter:
    """At most ``per_second`` requests per host, shared by every thread of the process."""

    def __init__(
        self, per_second: Mapping[str, float] | None = None, default_per_second: float = 5.0
    ) -> None:
        self.per_second = dict(per_second or {})
        self.default_per_second = default_per_second
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, sleep: Callable[[float], None] = time.sleep) -> None:
        rate = self.per_second.get(host, self.default_per_second)
        if rate <= 0:
            return
        interval = 1.0 / rate
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + interval
        if slot > now:
            sleep(slot - now)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class HttpClient:
    """A ``requests.Session`` wrapper: timeouts, retries with backoff, rate limits, user agent.

    Each thread gets its own session (keep-alive connections per thread, since a
    ``requests.Session`` is not safe to share between threads), unless one ``session`` is given.
    """

    def __init__(
        self,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        rate_limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.rate_limiter = rate_limiter or RateLimiter()
        self._given_session = session
        if session is not None:
            session.headers["User-Agent"] = USER_AGENT
        self._local = threading.local()
        self.sleep = sleep

    @property
    def session(self) -> requests.Session:
        """This thread's session."""
        if self._given_session is not None:
            return self._given_session
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def send(
        self, request: HttpRequest, *, stream: bool = False, check_status: bool = True
    ) -> requests.Response:
        """Send with retries; raise :class:`AdapterError` naming the URL (never a secret) on failure.

        With ``check_status=False`` an error status (after the retries) is returned, not raised,
        for an adapter that explains its service's errors itself.
        """
        host = urlsplit(request.url).netloc
        attempt = 0
        while True:
            self.rate_limiter.wait(host, self.sleep)
            try:
                response = self.session.request(
                    request.method,
                    request.url,
                    params=request.params or None,
                    data=request.data,
                    json=request.json,
                    headers=request.headers or None,
                    timeout=self.timeout,
                    stream=stream,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt >= self.retries:
                    raise AdapterError(
                        f"{request.method} {request.display_url()}: no answer after {attempt + 1} "
                        f"attempt(s) ({type(error).__name__}); check the network or the service's base URL"
                    ) from None
                delay = self._backoff_delay(attempt)
                log.info(
                    "%s %s: %s, retrying in %.1fs",
                    request.method,
                    request.display_url(),
                    type(error).__name__,
                    delay,
                )
            except requests.RequestException as error:  # a bad URL or a broken answer: retrying won't help
                raise AdapterError(
                    f"{request.method} {request.display_url()}: {type(error).__name__}; "
                    "check the service's base URL"
                ) from None
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
                    if check_status and response.status_code >= 400:
                        raise AdapterError(
                            f"{request.method} {request.display_url()}: HTTP {response.status_code} "
                            f"{response.reason or ''}".rstrip()
                            + _short_body(response)
                        )
                    return response
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                delay = min(self._backoff_delay(attempt) if asked is None else asked, self.max_backoff)
                log.info(
                    "%s %s: HTTP %s, retrying in %.1fs",
                    request.method,
                    request.display_url(),
                    response.status_code,
                    delay,
                )
            self.sleep(delay)
            attempt += 1

    def send_json(self, request: HttpRequest) -> Any:
        response = self.send(request)
        try:
            return response.json()
        except ValueError:
            raise AdapterError(
                f"{request.method} {request.display_url()}: expected JSON, got "
                f"{response.headers.get('Content-Type', 'an unknown content type')}{_short_body(response)}"
            ) from None

    def _backoff_delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2**attempt)))


def _short_body(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f": {text[:200]}" if text else ""


class Credentials(Mapping[str, str]):
    """One service's secrets. Its repr and str show key names only, never values."""

    def __init__(self, service: str, values: Mapping[str, str]) -> None:
        self.service = service
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Credentials({self.service!r}, keys={sorted(self._values)})"

    __str__ = __repr__

    def require(self, *keys: str) -> None:
        missing = [key for key in keys if not self._values.get(key)]
        if missing:
            variables = ", ".join(env_name(self.service, key) for key in missing)
            raise AdapterError(
                f"{self.service}: missing credential(s) {', '.join(missing)}; set {variables} or add them "
                f"under [{self.service}] in {CREDENTIALS_FILE} in the store (chmod 600)"
            )


def env_name(service: str, key: str) -> str:
    return f"TOM_TUI_{service.upper()}_{key.upper()}".replace("-", "_")


def read_credentials_file(path: Path) -> dict[str, Any]:
    """Parse a credentials file after checking nobody but its owner can read it."""
    if not path.exists():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValidationError(
            f"{path}: credentials file is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        # The parser's message quotes no values, only positions, so it is safe to show.
        raise ValidationError(f"{path}: not valid TOML ({error})") from None


def load_credentials(service: str, store_root: Path | None, keys: tuple[str, ...] = ()) -> Credentials:
    """Credentials of ``service``: environment variables override the store's credentials file."""
    values: dict[str, str] = {}
    if store_root is not None:
        section = read_credentials_file(store_root / CREDENTIALS_FILE).get(service, {})
        if isinstance(section, dict):
            values.update({str(k): str(v) for k, v in section.items()})
    prefix = env_name(service, "")
    for name, value in os.environ.items():
        if name.startswith(prefix) and value:
            values[name[len(prefix) :].lower()] = value
    for key in keys:
        values.setdefault(key, "")
    return Credentials(service, {k: v for k, v in values.items() if v})
