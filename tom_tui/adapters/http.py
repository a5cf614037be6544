"""The one HTTP request layer every remote adapter goes through.

It gives each adapter the same behaviour: a ``tom-tui/<version>`` user agent, a timeout on every
request, retries with exponential backoff on connection errors, 429 and 5xx (honouring
``Retry-After``), a per-host rate limit, and credentials that never reach a log, an error message
or a dry-run description.

A request that changes something (a POST, unless marked ``repeatable``) is never sent twice once
it may have reached the service: after a timeout or a 5xx it fails with
:class:`AmbiguousRequestError`, and only a refused connection or a 429 is retried. Every call has
an overall deadline (retries and a trickling answer included) and a size limit on its answer.
Quoted answers in error messages are short, with known secrets and control characters removed.

Credentials come from the environment first (``TOM_TUI_<SERVICE>_<KEY>``, e.g.
``TOM_TUI_TNS_API_KEY``), then from ``<store>/credentials.toml``::

    [tns]
    bot_id = "12345"
    bot_name = "my_bot"
    api_key = "..."

    [lasair]
    token = "..."

The file must be readable by its owner only (``chmod 600``); a file others can read is refused.
Surrounding whitespace (the newline ``echo`` leaves) is stripped from every value; a value with
whitespace or control characters inside is refused without being shown. Child processes get an
environment without these variables (:func:`without_secrets`).
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3

from tom_tui import __version__
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.text import escape_control, has_control

USER_AGENT = f"tom-tui/{__version__}"
CREDENTIALS_FILE = "credentials.toml"
REDACTED = "***"
# Shorter values are not hidden inside quoted text: "abc" would blank out ordinary words.
MIN_SECRET_CHARS = 4
# Parameter and header names whose values are secrets wherever they appear.
SECRET_NAMES = frozenset({"api_key", "apikey", "token", "password", "authorization", "key", "secret"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Methods that may be sent twice without doing twice what they ask (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# A whole call (retries and a slowly trickling answer included) ends after this long.
DEFAULT_DEADLINE_SECONDS = 120.0
# Answers read into memory (JSON, catalogue pages) stop here; files streamed to disk at the second.
DEFAULT_MAX_BODY_BYTES = 50_000_000
DEFAULT_MAX_DOWNLOAD_BYTES = 4_000_000_000
BODY_CHUNK_BYTES = 1 << 16
# How much of a server's answer an error message may quote.
REPLY_EXCERPT_CHARS = 120

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
    # Files sent with ``data`` as a multipart form: field name -> (file name, content, content type).
    files: dict[str, tuple[str, bytes, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # extra field names to redact when describing
    # A POST whose repetition does no more than the first (a search form, a TAP query, a cancel)
    # may be retried like a GET.
    repeatable: bool = False

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

    @property
    def idempotent(self) -> bool:
        """True when sending this request twice does no more than sending it once."""
        return self.repeatable or self.method.upper() in IDEMPOTENT_METHODS

    def secret_values(self) -> set[str]:
        """The secret values this request carries (so a server's echo of them can be hidden)."""
        hidden = SECRET_NAMES | {name.lower() for name in self.secrets}
        values: set[str] = set()
        for mapping in (self.params, self.data or {}, self.headers):
            for key, value in mapping.items():
                if key.lower() in hidden and value:
                    # "Token abc" and "Bearer abc": the scheme is no secret, the credential is.
                    values.update({str(value), str(value).split()[-1]})
        return {value for value in values if len(value) >= MIN_SECRET_CHARS}


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


class AmbiguousRequestError(AdapterError):
    """A request that changes something failed after it may have reached the service.

    It is never sent again automatically: the service may have acted on it (for a telescope
    portal, created a request group), so the caller must look before trying again.
    """


def _never_reached_server(error: requests.RequestException) -> bool:
    """True when the failure proves no byte of the request reached the service."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


@dataclass
class _RetryLater:
    """One failed attempt that may be tried again after ``delay`` seconds."""

    why: str
    delay: float


class HttpClient:
    """A ``requests.Session`` wrapper: timeouts, retries with backoff, rate limits, user agent.

    ``timeout`` bounds each wait for the network; ``deadline`` bounds a whole call, retries and
    a slowly trickling answer included; ``max_body_bytes`` bounds an answer read into memory
    (``max_download_bytes`` one streamed to a file). Methods that only read or that can be
    repeated safely (GET, HEAD, PUT, DELETE, OPTIONS) are retried on any transient failure; any
    other method (POST) only when it provably never reached the service.

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
        deadline: float = DEFAULT_DEADLINE_SECONDS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.rate_limiter = rate_limiter or RateLimiter()
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.max_download_bytes = max_download_bytes
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
        for an adapter that explains its service's errors itself. With ``stream=True`` the body is
        left unread: write it to a file with :meth:`save_body`. A request that is not idempotent
        and failed after it may have been received raises :class:`AmbiguousRequestError`.
        """
        host = urlsplit(request.url).netloc
        started = time.monotonic()
        attempt = 0
        while True:
            self.rate_limiter.wait(host, self.sleep)
            outcome = self._attempt(request, started, attempt, stream=stream)
            if isinstance(outcome, requests.Response):
                if check_status and outcome.status_code >= 400:
                    raise AdapterError(
                        f"{request.method} {request.display_url()}: HTTP {outcome.status_code} "
                        f"{outcome.reason or ''}".rstrip()
                        + quoted_reply(outcome, request)
                    )
                return outcome
            delay = min(outcome.delay, self._time_left(started))
            log.info(
                "%s %s: %s, retrying in %.1fs", request.method, request.display_url(), outcome.why, delay
            )
            self.sleep(delay)
            attempt += 1

    def _attempt(
        self, request: HttpRequest, started: float, attempt: int, *, stream: bool
    ) -> requests.Response | _RetryLater:
        """One try: the answer (its body read unless streaming), or why and when to try again."""
        self._check_deadline(request, started)
        try:
            response = self.session.request(
                request.method,
                request.url,
                params=request.params or None,
                data=request.data,
                json=request.json,
                files=request.files,
                headers=request.headers or None,
                timeout=(self.timeout, max(0.001, min(self.timeout, self._time_left(started)))),
                stream=True,
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            return self._after_failure(request, error, started, attempt)
        except requests.RequestException as error:  # a bad URL or a broken answer: retrying won't help
            raise AdapterError(
                f"{request.method} {request.display_url()}: {type(error).__name__}; "
                "check the service's base URL"
            ) from None
        if not stream:
            response._content = self._read_body(request, response, started)
        if response.status_code in RETRY_STATUSES:
            retry = self._after_error_status(request, response, attempt)
            if retry is not None:
                response.close()
                return retry
        return response

    def _after_failure(
        self, request: HttpRequest, error: requests.RequestException, started: float, attempt: int
    ) -> _RetryLater:
        what = type(error).__name__
        if not request.idempotent and not _never_reached_server(error):
            raise AmbiguousRequestError(
                f"{request.method} {request.display_url()}: {what} after the request was sent; "
                "the service may have acted on it, so it was not sent again"
            ) from None
        if attempt >= self.retries or self._time_left(started) <= 0:
            raise AdapterError(
                f"{request.method} {request.display_url()}: no answer after {attempt + 1} attempt(s) "
                f"({what}); check the network or the service's base URL"
            ) from None
        return _RetryLater(what, self._backoff_delay(attempt))

    def _after_error_status(
        self, request: HttpRequest, response: requests.Response, attempt: int
    ) -> _RetryLater | None:
        """A retry after a transient error status; an ambiguous failure of a POST is raised."""
        if not request.idempotent and response.status_code != 429:
            # Only "too many requests" proves the service refused to act; a 5xx (a gateway
            # timeout above all) may come after the request was carried out.
            raise AmbiguousRequestError(
                f"{request.method} {request.display_url()}: HTTP {response.status_code}"
                f"{quoted_reply(response, request)}; the service may have acted on it, "
                "so it was not sent again"
            )
        if attempt >= self.retries:
            return None
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        delay = self._backoff_delay(attempt) if asked is None else asked
        return _RetryLater(f"HTTP {response.status_code}", min(delay, self.max_backoff))

    # -- limits on time and size --
    def _time_left(self, started: float) -> float:
        return max(0.0, started + self.deadline - time.monotonic())

    def _check_deadline(self, request: HttpRequest, started: float) -> None:
        if self._time_left(started) <= 0:
            raise AdapterError(
                f"{request.method} {request.display_url()}: no complete answer within the "
                f"{self.deadline:g} s deadline; the service is too slow or stalled, try again later"
            )

    def _body_chunks(
        self, request: HttpRequest, response: requests.Response, started: float, limit: int
    ) -> Iterator[bytes]:
        """The body as it arrives, stopped at the deadline or past ``limit`` bytes."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise _too_large(request, limit)
        received = 0
        try:
            while received <= limit:
                self._check_deadline(request, started)
                # read1 returns what has arrived instead of waiting for a full chunk, so a
                # server trickling a byte at a time still meets the deadline check.
                chunk = response.raw.read1(BODY_CHUNK_BYTES)
                if not chunk:
                    return
                received += len(chunk)
                if received <= limit:
                    yield chunk
        except (urllib3.exceptions.HTTPError, OSError) as error:
            response.close()
            raise AdapterError(
                f"{request.method} {request.display_url()}: the answer broke off ({type(error).__name__}); "
                "try again later"
            ) from None
        response.close()
        raise _too_large(request, limit)

    def _read_body(self, request: HttpRequest, response: requests.Response, started: float) -> bytes:
        return b"".join(self._body_chunks(request, response, started, self.max_body_bytes))

    def save_body(self, request: HttpRequest, response: requests.Response, destination: Path) -> None:
        """Write a streamed answer to ``destination``, within ``max_download_bytes`` and the deadline."""
        started = time.monotonic()
        with open(destination, "wb") as handle:
            for chunk in self._body_chunks(request, response, started, self.max_download_bytes):
                handle.write(chunk)

    def send_json(self, request: HttpRequest) -> Any:
        response = self.send(request)
        try:
            return response.json()
        except ValueError:
            raise AdapterError(
                f"{request.method} {request.display_url()}: expected JSON, got "
                f"{response.headers.get('Content-Type', 'an unknown content type')}"
                f"{quoted_reply(response, request)}"
            ) from None

    def _backoff_delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2**attempt)))


def _too_large(request: HttpRequest, limit: int) -> AdapterError:
    return AdapterError(
        f"{request.method} {request.display_url()}: the answer is larger than the "
        f"{limit / 1e6:g} MB limit; raise the limit in the service's settings if that is expected"
    )


def quoted_reply(response: requests.Response, request: HttpRequest) -> str:
    """``": <excerpt>"`` of an answer for an error message, secrets and control characters removed
    (empty when there is nothing to quote)."""
    if not isinstance(response._content, bytes):  # a streamed answer: not read, so not quoted
        return ""
    text = redact(response.text, request.secret_values()).strip()
    text = " ".join(escape_control(text).split())
    if len(text) > REPLY_EXCERPT_CHARS:
        text = text[:REPLY_EXCERPT_CHARS] + "…"
    return f": {text}" if text else ""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret value replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


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


# Settings read from the environment that are not credentials; every other TOM_TUI_* variable
# follows the TOM_TUI_<SERVICE>_<KEY> credential convention and is treated as a secret.
NON_SECRET_VARIABLES = frozenset(
    {"TOM_TUI_STORE", "TOM_TUI_NOW", "TOM_TUI_LOW_BANDWIDTH", "TOM_TUI_PAINT_PROBE"}
)
OTHER_SECRET_VARIABLES = frozenset({"LCO_API_TOKEN"})


def is_secret_variable(name: str) -> bool:
    """True for an environment variable that holds a tom-tui credential."""
    return name in OTHER_SECRET_VARIABLES or (
        name.startswith("TOM_TUI_") and name not in NON_SECRET_VARIABLES
    )


def without_secrets(environment: Mapping[str, str]) -> dict[str, str]:
    """An environment for a child process: the caller's, without tom-tui credentials."""
    return {name: value for name, value in environment.items() if not is_secret_variable(name)}


def known_secret_values(store_root: Path | None) -> set[str]:
    """Every credential value this process can see (environment and the store's credentials
    file), to hide them in text that is kept or shown, such as a job's log."""
    values = {value.strip() for name, value in os.environ.items() if is_secret_variable(name)}
    path = store_root / CREDENTIALS_FILE if store_root is not None else None
    if path is not None and path.exists():
        try:
            document = read_credentials_file(path)
        except (ValidationError, OSError):
            document = {}
        for section in document.values():
            if isinstance(section, dict):
                values.update(str(value).strip() for value in section.values())
    return {value for value in values if len(value) >= MIN_SECRET_CHARS}


def env_name(service: str, key: str) -> str:
    return f"TOM_TUI_{service.upper()}_{key.upper()}".replace("-", "_")


def check_private(path: Path, what: str) -> None:
    """Refuse a file holding secrets that someone other than its owner can read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValidationError(
            f"{path}: {what} is readable by others (mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`"
        )


def clean_secret(value: str, where: str) -> str:
    """A secret without the surrounding whitespace an editor or ``echo`` leaves (a final newline).

    A secret with whitespace or control characters inside is refused; the message names where it
    was set, never the value.
    """
    cleaned = value.strip()
    if has_control(cleaned) or any(character.isspace() for character in cleaned):
        raise ValidationError(
            f"{where}: the value contains spaces or control characters, which no token or key has; "
            "set it again without them"
        )
    return cleaned


def read_credentials_file(path: Path) -> dict[str, Any]:
    """Parse a credentials file after checking nobody but its owner can read it."""
    if not path.exists():
        return {}
    check_private(path, "credentials file")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        # The parser's message quotes no values, only positions, so it is safe to show.
        raise ValidationError(f"{path}: not valid TOML ({error})") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def load_credentials(service: str, store_root: Path | None, keys: tuple[str, ...] = ()) -> Credentials:
    """Credentials of ``service``: environment variables override the store's credentials file."""
    values: dict[str, str] = {}
    if store_root is not None:
        path = store_root / CREDENTIALS_FILE
        section = read_credentials_file(path).get(service, {})
        if isinstance(section, dict):
            values.update(
                {str(k): clean_secret(str(v), f"{path}: [{service}] {k}") for k, v in section.items()}
            )
    prefix = env_name(service, "")
    for name, value in os.environ.items():
        if name.startswith(prefix) and value:
            values[name[len(prefix) :].lower()] = clean_secret(value, f"environment variable {name}")
    for key in keys:
        values.setdefault(key, "")
    return Credentials(service, {k: v for k, v in values.items() if v})
