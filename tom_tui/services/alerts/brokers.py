"""The broker service: the one door to alert brokers for the CLI, the TUI and scheduled jobs.

It lists the installed brokers with their declared options, checks option values, runs a query
(or, as a dry run, returns the request it would send and touches no network) and imports chosen
results as targets with their light curves through the alert ingest service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tom_tui.adapters.brokers.base import Broker, GenericAlert
from tom_tui.adapters.http import HttpClient
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.options import Option
from tom_tui.services import plugins
from tom_tui.services.alerts.ingest import IngestReport, ingest_broker_alerts
from tom_tui.store.store import Store

__all__ = ["Broker", "BrokerInfo", "BrokerService", "GenericAlert", "IngestReport", "broker_names"]


def broker_names() -> tuple[str, ...]:
    """Names of the installed brokers, without importing any of them."""
    return plugins.plugin_names(plugins.BROKERS)


@dataclass(frozen=True)
class BrokerInfo:
    """What a user needs to know about one broker to query it."""

    name: str
    label: str
    base_url: str
    credentials: tuple[str, ...]
    options: tuple[Option, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "base_url": self.base_url,
            "credentials": list(self.credentials),
            "options": [option.describe() for option in self.options],
        }


class BrokerService:
    """Brokers configured from a store's ``[brokers.<name>]`` settings (or defaults without a store)."""

    def __init__(self, store: Store | None = None, client: HttpClient | None = None) -> None:
        self.store = store
        self.client = client
        self._brokers: dict[str, Broker] = {}

    def broker(self, name: str) -> Broker:
        """The configured adapter of broker ``name`` (one instance per service)."""
        if name not in self._brokers:
            config = self.store.config if self.store is not None else None
            root = self.store.root if self.store is not None else None
            self._brokers[name] = plugins.make_broker(name, config, root, self.client)
        return self._brokers[name]

    def names(self) -> tuple[str, ...]:
        return broker_names()

    def describe(self, name: str) -> BrokerInfo:
        broker = self.broker(name)
        return BrokerInfo(
            name=name,
            label=broker.label,
            base_url=broker.base_url,
            credentials=tuple(broker.credential_keys),
            options=tuple(broker.options),
        )

    def list_brokers(self) -> list[BrokerInfo]:
        return [self.describe(name) for name in self.names()]

    def options(self, name: str) -> tuple[Option, ...]:
        return tuple(self.broker(name).options)

    def check_options(self, name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Typed option values with defaults filled in; raises ValidationError naming each problem."""
        return self.broker(name).resolve_options(raw)

    def request(self, name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The request a query would send (method, URL, parameters), without sending it."""
        return self.broker(name).query(dry_run=True, **_given(raw)).describe()

    def query(self, name: str, raw: Mapping[str, Any]) -> list[GenericAlert]:
        """Run a query; results are converted to generic alerts."""
        alerts: list[GenericAlert] = self.broker(name).query(**_given(raw))
        return alerts

    def import_alerts(
        self,
        name: str,
        alerts: Sequence[GenericAlert],
        *,
        only: Sequence[str] = (),
        with_history: bool = True,
        rules_only: bool = False,
        lists: Sequence[str] = (),
    ) -> IngestReport:
        """Import results (all, or the ids in ``only``) as targets with their light curves."""
        if self.store is None:
            raise ValidationError("importing broker results needs a store; give --store DIR")
        chosen = list(alerts)
        if only:
            missing = sorted(set(only) - {alert.id for alert in chosen})
            if missing:
                raise ValidationError(f"--only: {', '.join(missing)} not among the {len(chosen)} result(s)")
            chosen = [alert for alert in chosen if alert.id in only]
        return ingest_broker_alerts(
            self.store,
            self.broker(name),
            chosen,
            with_history=with_history,
            rules_only=rules_only,
            lists=lists,
        )


def _given(raw: Mapping[str, Any]) -> dict[str, Any]:
    # A value left empty means "the default", whichever face it came from.
    return {key: value for key, value in raw.items() if value is not None}
