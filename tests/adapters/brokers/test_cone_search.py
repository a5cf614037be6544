"""Every broker with a cone search takes the same three options and checks them the same way
before any request is built (dry runs: no network)."""

from __future__ import annotations

import pytest

from tom_tui.adapters.brokers.alerce import AlerceBroker
from tom_tui.adapters.brokers.antares import AntaresBroker
from tom_tui.adapters.brokers.base import Broker, Cone, cone_search
from tom_tui.adapters.brokers.fink import FinkBroker
from tom_tui.adapters.brokers.lasair import LasairBroker
from tom_tui.adapters.brokers.tns import TnsBroker
from tom_tui.adapters.http import Credentials
from tom_tui.domain.errors import ValidationError

BROKERS: list[Broker] = [
    AlerceBroker(),
    AntaresBroker(),
    FinkBroker(),
    LasairBroker(credentials=Credentials("lasair", {"token": "t0k"})),
    TnsBroker(credentials=Credentials("tns", {"bot_id": "1", "bot_name": "bot", "api_key": "k"})),
]


def test_a_cone_is_read_from_the_options_or_absent() -> None:
    assert cone_search({"ra": 10.5, "dec": -5, "radius": 3}) == Cone(10.5, -5.0, 3.0)
    assert Cone(10.5, -5.0, 3.0).fields() == {"ra": 10.5, "dec": -5.0, "radius": 3.0}
    assert cone_search({"ra": None, "dec": None, "radius": 10.0}) is None


@pytest.mark.parametrize("broker", BROKERS, ids=lambda broker: broker.name)
def test_every_broker_declares_the_same_cone_options(broker: Broker) -> None:
    declared = {option.name: option for option in broker.options}
    assert declared["ra"].type == declared["dec"].type == declared["radius"].type == "float"
    assert declared["ra"].default is None and declared["radius"].default > 0


@pytest.mark.parametrize("broker", BROKERS, ids=lambda broker: broker.name)
@pytest.mark.parametrize(
    ("cone", "message"),
    [
        ({"ra": 59.7}, "a cone search needs both"),
        ({"dec": 23.7}, "a cone search needs both"),
        ({"ra": 400.0, "dec": 0.0}, "is not a position on the sky"),
        ({"ra": 10.0, "dec": -91.0}, "is not a position on the sky"),
        ({"ra": 10.0, "dec": 0.0, "radius": 0.0}, "must be a positive number of arcseconds"),
    ],
)
def test_a_bad_cone_is_refused_before_a_request_is_built(
    broker: Broker, cone: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        broker.query(dry_run=True, **cone)


@pytest.mark.parametrize("broker", BROKERS, ids=lambda broker: broker.name)
def test_a_good_cone_reaches_the_request(broker: Broker) -> None:
    request = broker.query(dry_run=True, ra=59.7257, dec=23.7619, radius=5.0)
    sent = str({**request.params, **(request.json or {}), **(request.data or {})})
    assert "59.7257" in sent and "23.7619" in sent
