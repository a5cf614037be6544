"""One plugin mechanism: entry points first, the built-ins when metadata is missing or broken."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from tom_tui.adapters.brokers.base import Broker
from tom_tui.adapters.facilities.base import Facility
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.processing.dataproducts import PhotometryProcessor
from tom_tui.services import plugins


@pytest.fixture(autouse=True)
def fresh_metadata() -> Iterator[None]:
    plugins.forget_installed()
    yield
    plugins.forget_installed()


def test_every_group_lists_its_built_ins_from_the_installed_metadata() -> None:
    for group in plugins.GROUPS:
        assert set(group.builtins) <= set(plugins.plugin_names(group)), group.name
    assert plugins.processor_for("photometry").__class__ is PhotometryProcessor
    assert issubclass(plugins.broker_class("simulated"), Broker)
    assert isinstance(plugins.load_facility("manual"), Facility)


def test_built_ins_are_found_without_entry_point_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    assert plugins.plugin_names(plugins.CATALOGS) == ("jpl_horizons", "mpc", "ned", "simbad", "tns")
    assert plugins.make_broker("simulated").name == "simulated"
    assert [holder.__name__ for holder in plugins.load_all(plugins.TARGET_DATA)] == [
        "TargetDataProducts",
        "ObservationTargetData",
        "PolarimetryTargetData",
    ]


def test_broken_metadata_falls_back_to_the_built_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(group: str) -> Any:
        raise OSError("METADATA unreadable")

    monkeypatch.setattr(plugins, "entry_points", broken)
    assert "lco" in plugins.plugin_names(plugins.FACILITIES)
    assert plugins.load_plugin(plugins.JOB_KINDS, "command").__name__ == "command"


def test_a_third_party_entry_point_is_listed_without_importing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    third_party = EntryPoint("hubble", "no_such_package.facility:HubbleFacility", "tom_tui.facilities")
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: [third_party] if group == "tom_tui.facilities" else []
    )
    assert "hubble" in plugins.plugin_names(plugins.FACILITIES)  # listed, never imported
    with pytest.raises(ModuleNotFoundError, match="no_such_package"):
        plugins.load_facility("hubble")


def test_an_unknown_name_names_the_group_and_what_is_installed() -> None:
    with pytest.raises(NotFoundError) as caught:
        plugins.load_facility("hubble")
    message = str(caught.value)
    assert "no facility named 'hubble'" in message and "tom_tui.facilities" in message
    assert "installed: lco, manual, simulated" in message
    with pytest.raises(
        ValidationError, match=r"data type 'lightcurve' has no processor .*installed: .*photometry"
    ):
        plugins.processor_for("lightcurve")


def test_a_plugin_of_the_wrong_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(plugins.FACILITIES.builtins, "not_a_facility", PhotometryProcessor)
    wrong_kind = r"'not_a_facility' of group tom_tui\.facilities is not a Facility"
    with pytest.raises(NotFoundError, match=wrong_kind):
        plugins.load_facility("not_a_facility")
