"""The broker service: the one door the CLI, the Alerts screen and jobs use for brokers."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import ValidationError
from tom_tui.services.alerts.brokers import BrokerService, broker_names
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")


def test_brokers_are_listed_with_their_declared_options() -> None:
    infos = {info.name: info for info in BrokerService().list_brokers()}
    assert set(broker_names()) == set(infos) and "simulated" in infos
    described = infos["simulated"].to_json()
    lookback = next(o for o in described["options"] if o["name"] == "lookback_days")
    assert (lookback["flag"], lookback["type"], lookback["default"]) == ("--lookback-days", "float", 3.0)


def test_a_dry_run_returns_the_request_and_checks_values_first(store: Store) -> None:
    service = BrokerService(store)
    assert service.request("alerce", {"oid": "ZTF18abcgqmz"})["url"].endswith("/objects/ZTF18abcgqmz")
    with pytest.raises(ValidationError, match="page_size: 'lots' is not a valid int"):
        service.request("alerce", {"page_size": "lots"})
    assert service.check_options("simulated", {"lookback_days": "2"})["lookback_days"] == 2.0


def test_query_then_import_only_the_chosen_results(store: Store) -> None:
    service = BrokerService(store)
    alerts = service.query("simulated", {"lookback_days": "2", "max_mag": None})
    assert len(alerts) >= 2
    with pytest.raises(ValidationError, match="--only: nope not among"):
        service.import_alerts("simulated", alerts, only=["nope"])
    report = service.import_alerts("simulated", alerts, only=[alerts[0].id], with_history=False)
    assert report.created == 1
    with store.read() as view:
        assert TargetRepository(view).find(alerts[0].name) is not None
