"""Where targets are shared: ``[sharing.NAME]`` tables of ``tom-tui.toml``.

::

    [sharing.colleagues]
    kind = "tomtoolkit"
    base_url = "https://tom.example.org"
    timeout = 30                  # seconds for each request (optional)
    match_radius_arcsec = 2.0     # a target there within this is the same target (optional)
    requests_per_second = 20      # at most this many requests a second (optional)

The secret is never in ``tom-tui.toml``: it is the ``[colleagues]`` section of the store's
``credentials.toml`` (``token = "..."``, or ``username`` and ``password`` for HTTP Basic), or the
environment variables ``TOM_TUI_COLLEAGUES_TOKEN`` and so on.

Hermes and TNS destinations (``tom-tui report``) have a default ``base_url``::

    [sharing.hermes]
    kind = "hermes"
    topic = "hermes.test"
    submitter = "A. Observer"
    authors = "A. Observer, B. Colleague (Example University)"

    [sharing.tns]
    kind = "tns"                   # base_url = "https://sandbox.wis-tns.org" to try things out
    bot_id = 12345
    bot_name = "my_bot"
    group_id = 0                   # the reporting group (0: none)
    data_source_id = 0             # the discovery data source group
    reporter = "A. Observer (Example University)"
    filter_ids = { ztfg = 110, ztfr = 111 }       # band -> TNS filter id
    instrument_ids = { ZTF = 196 }                 # instrument -> TNS instrument id

Their secrets: ``token`` (Hermes API token) and ``api_key`` (the TNS bot's key) in the
destination's section of ``credentials.toml``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tom_tui.adapters.http import HttpClient, RateLimiter, load_credentials
from tom_tui.adapters.sharing.tomtoolkit import TomToolkitClient
from tom_tui.domain.config import CONFIG_NAME
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.store.store import Store

SHARING_SECTION = "sharing"
DESTINATION_KINDS = ("tomtoolkit", "hermes", "tns")
# Hermes and TNS have one public address each; a TOM Toolkit's must be given.
DEFAULT_BASE_URLS = {"hermes": "https://hermes.lco.global", "tns": "https://www.wis-tns.org"}
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MATCH_RADIUS_ARCSEC = 2.0
# One datum is one request: a light curve of a thousand points at the HTTP layer's default five a
# second would take minutes, while a TOM answers a datum in tens of milliseconds.
DEFAULT_REQUESTS_PER_SECOND = 20.0
DESTINATION_KEYS = ("kind", "base_url", "timeout", "match_radius_arcsec", "requests_per_second")
# Keys only a Hermes or TNS destination takes (their secrets stay in the credentials file).
TEXT_KEYS = ("topic", "submitter", "authors", "bot_name", "reporter")
ID_KEYS = ("bot_id", "group_id", "data_source_id", "at_type")
ID_TABLE_KEYS = ("filter_ids", "instrument_ids")
KIND_KEYS = {
    "hermes": ("topic", "submitter", "authors"),
    "tns": ("bot_id", "bot_name", "group_id", "data_source_id", "reporter", "at_type", *ID_TABLE_KEYS),
}


@dataclass(frozen=True)
class Destination:
    """One configured place to share with."""

    name: str
    kind: str
    base_url: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    match_radius_arcsec: float = DEFAULT_MATCH_RADIUS_ARCSEC
    requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND
    settings: Mapping[str, Any] = field(default_factory=dict)  # the whole table, kind-specific keys too


def _positive(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


def destination_problems(table: Mapping[str, Any], config_name: str = CONFIG_NAME) -> list[str]:
    """Every problem of the ``[sharing]`` tables, one sentence each naming the table and key."""
    from tom_tui.services.config import unknown_name

    problems: list[str] = []
    for name, settings in table.items():
        where = f"{config_name}: [{SHARING_SECTION}.{name}]"
        if not isinstance(settings, dict):
            problems.append(f"{where} must be a table with kind and base_url")
            continue
        allowed = (*DESTINATION_KEYS, *KIND_KEYS.get(str(settings.get("kind")), ()))
        problems.extend(unknown_name(where, key, allowed) for key in settings if key not in allowed)
        if settings.get("kind") not in DESTINATION_KINDS:
            problems.append(
                f"{where} kind = {settings.get('kind')!r}; expected one of {', '.join(DESTINATION_KINDS)}"
            )
        base_url = settings.get("base_url", DEFAULT_BASE_URLS.get(str(settings.get("kind"))))
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            problems.append(f"{where} base_url = {base_url!r}; expected an http:// or https:// address")
        problems.extend(
            f"{where} {key} = {settings[key]!r}; expected a positive number"
            for key in ("timeout", "match_radius_arcsec", "requests_per_second")
            if key in settings and not _positive(settings[key])
        )
        problems.extend(_report_setting_problems(where, settings))
    return problems


def _is_id(value: Any) -> bool:
    """TNS ids are whole numbers, written as numbers or as digit strings."""
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value >= 0) or (isinstance(value, str) and value.strip().isdigit())


def _report_setting_problems(where: str, settings: Mapping[str, Any]) -> list[str]:
    """Problems of the Hermes and TNS keys: texts, whole-number ids, and tables of ids."""
    problems = [
        f"{where} {key} = {settings[key]!r}; expected text in quotes"
        for key in TEXT_KEYS
        if key in settings and (not isinstance(settings[key], str) or not settings[key].strip())
    ]
    problems.extend(
        f"{where} {key} = {settings[key]!r}; expected a whole number (a TNS id)"
        for key in ID_KEYS
        if key in settings and not _is_id(settings[key])
    )
    for key in ID_TABLE_KEYS:
        table = settings.get(key, {})
        if not isinstance(table, dict) or not all(_is_id(value) for value in table.values()):
            problems.append(f'{where} {key} must be a table of names and TNS ids, e.g. {{ "ztfr" = 111 }}')
    return problems


def destinations(store: Store) -> dict[str, Destination]:
    """Every configured destination by name."""
    table = store.config.get(SHARING_SECTION, {})
    problems = destination_problems(table, str(store.config_path)) if isinstance(table, dict) else []
    if problems or not isinstance(table, dict):
        raise ValidationError(
            problems[0] if problems else f"{store.config_path}: [sharing] must be a table", problems
        )
    return {
        name: Destination(
            name=name,
            kind=str(settings["kind"]),
            base_url=str(settings.get("base_url", DEFAULT_BASE_URLS.get(str(settings["kind"])))),
            timeout=float(settings.get("timeout", DEFAULT_TIMEOUT_SECONDS)),
            match_radius_arcsec=float(settings.get("match_radius_arcsec", DEFAULT_MATCH_RADIUS_ARCSEC)),
            requests_per_second=float(settings.get("requests_per_second", DEFAULT_REQUESTS_PER_SECOND)),
            settings=dict(settings),
        )
        for name, settings in table.items()
    }


def destination(store: Store, name: str) -> Destination:
    known = destinations(store)
    if name not in known:
        listed = ", ".join(sorted(known)) or "none yet"
        raise NotFoundError(
            f"no destination {name!r} in {store.config_path} (configured: {listed}); add a "
            f'[sharing.{name}] table with kind = "tomtoolkit" and base_url'
        )
    return known[name]


def tomtoolkit_client(store: Store, where: Destination, http: HttpClient | None = None) -> TomToolkitClient:
    """A client of the destination's TOM with its credentials (environment, then credentials file)."""
    credentials = load_credentials(where.name, store.root)
    limiter = RateLimiter(default_per_second=where.requests_per_second)
    return TomToolkitClient(
        where.base_url, credentials, http or HttpClient(timeout=where.timeout, rate_limiter=limiter)
    )
