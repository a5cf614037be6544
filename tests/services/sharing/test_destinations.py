"""``[sharing.NAME]`` destinations: checked with the rest of tom-tui.toml, secrets kept apart."""

from __future__ import annotations

import pytest

from tests.support.cli import Run, append_config
from tom_tui.domain.errors import AdapterError, NotFoundError
from tom_tui.domain.target import Target
from tom_tui.services.config import config_problems
from tom_tui.services.sharing.destinations import destination, tomtoolkit_client
from tom_tui.services.sharing.pull import spectrum_from_datum
from tom_tui.services.sharing.share import point_datum, target_body
from tom_tui.store.store import Store


def test_every_problem_of_a_destination_is_named() -> None:
    config = {
        "sharing": {
            "colleagues": {"kind": "tomtolkit", "base_url": "tom.example.org", "timout": 5, "timeout": -1},
            "broken": "https://tom.example.org",
        }
    }
    problems = config_problems(config)
    assert problems == [
        "tom-tui.toml: [sharing.colleagues]: unknown key 'timout'; did you mean 'timeout'?",
        "tom-tui.toml: [sharing.colleagues] kind = 'tomtolkit'; expected one of tomtoolkit, hermes, tns",
        "tom-tui.toml: [sharing.colleagues] base_url = 'tom.example.org'; "
        "expected an http:// or https:// address",
        "tom-tui.toml: [sharing.colleagues] timeout = -1; expected a positive number",
        "tom-tui.toml: [sharing.broken] must be a table with kind and base_url",
    ]
    assert config_problems({"sharing": {"ok": {"kind": "tomtoolkit", "base_url": "https://t.org"}}}) == []


def test_unknown_destination_and_missing_secret(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        NotFoundError, match=r"no destination 'nope' in .*\(configured: none yet\); add a \[sharing.nope\]"
    ):
        destination(store, "nope")
    append_config(store, '[sharing.colleagues]\nkind = "tomtoolkit"\nbase_url = "https://tom.example.org"')
    monkeypatch.delenv("TOM_TUI_COLLEAGUES_TOKEN", raising=False)
    with pytest.raises(
        AdapterError, match=r"colleagues: missing credential\(s\) token; set TOM_TUI_COLLEAGUES_TOKEN"
    ):
        tomtoolkit_client(store, destination(store, "colleagues"))
    monkeypatch.setenv("TOM_TUI_COLLEAGUES_TOKEN", "abcd1234abcd")
    assert tomtoolkit_client(store, destination(store, "colleagues")).headers == {
        "Authorization": "Token abcd1234abcd"
    }


def test_a_bad_destination_stops_the_command_with_one_sentence(store: Store, run: Run) -> None:
    append_config(store, '[sharing.colleagues]\nkind = "tomtoolkit"\nbase_url = "ftp://x"')
    result = run("share", "X", "--to", "colleagues", expect=1)
    assert (
        "[sharing.colleagues] base_url = 'ftp://x'; expected an http:// or https:// address" in result.stderr
    )


def test_what_a_tom_is_sent_for_a_target_and_a_point() -> None:
    target = Target(
        name="SN 2026abc",
        id=3,
        ra=150.1,
        dec=2.2,
        aliases=["ZTF26aaaaaa"],
        tags=["SN Ia"],
        lists=["Follow"],
        extra={"redshift": 0.05, "note": "bright"},
    )
    assert target_body(target) == {
        "name": "SN 2026abc", "type": "SIDEREAL", "ra": 150.1, "dec": 2.2,
        "aliases": [{"name": "ZTF26aaaaaa"}],
        "targetextra_set": [
            {"key": "redshift", "value": "0.05"},
            {"key": "note", "value": "bright"},
            {"key": "tags", "value": "SN Ia"},
        ],
        "target_lists": [{"name": "Follow"}],
    }  # fmt: skip
    row = {"mjd": 60000.5, "filter": "ztfr", "mag": 18.2, "magerr": 0.05, "limit": 20.1, "magsys": "AB",
           "telescope": "P48", "instrument": None, "source": "ZTF"}  # fmt: skip
    assert point_datum(7, row) == {
        "target": 7, "data_type": "photometry", "source_name": "ZTF",
        "timestamp": "2023-02-25T12:00:00.000000+00:00",
        "value": {"filter": "ztfr", "magnitude": 18.2, "error": 0.05, "unit": "AB", "telescope": "P48"},
    }  # fmt: skip
    assert point_datum(7, {**row, "mag": None})["value"]["limit"] == 20.1  # type: ignore[index]
    assert point_datum(7, {**row, "mag": None, "limit": None}) is None


def test_a_spectroscopy_datum_read_back() -> None:
    datum = {
        "data_type": "spectroscopy",
        "timestamp": "2021-09-18T10:33:36Z",
        "value": {"wavelength": [4000.0, 4001.0], "flux": [1.5e-16, 1.6e-16], "error": [],
                  "telescope": "UH88", "wavelength_unit": "Angstrom", "flux_unit": "erg / (Angstrom s cm2)",
                  "instrument": ""},
    }  # fmt: skip
    spectrum = spectrum_from_datum(datum)
    assert spectrum is not None and list(spectrum.flux) == [1.5e-16, 1.6e-16] and spectrum.flux_error is None
    assert spectrum.mjd == pytest.approx(59475.44, abs=1e-9) and (
        spectrum.telescope,
        spectrum.instrument,
    ) == ("UH88", None)
    assert spectrum_from_datum({**datum, "value": {**datum["value"], "flux": [1.0]}}) is None  # type: ignore[dict-item]


def test_a_tom_is_asked_at_most_requests_per_second(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    append_config(
        store, '[sharing.fast]\nkind = "tomtoolkit"\nbase_url = "https://t.org"\nrequests_per_second = 50'
    )
    append_config(store, '[sharing.plain]\nkind = "tomtoolkit"\nbase_url = "https://t.org"')
    monkeypatch.setenv("TOM_TUI_FAST_TOKEN", "abcd1234abcd")
    monkeypatch.setenv("TOM_TUI_PLAIN_TOKEN", "abcd1234abcd")
    assert tomtoolkit_client(store, destination(store, "fast")).http.rate_limiter.default_per_second == 50
    assert tomtoolkit_client(store, destination(store, "plain")).http.rate_limiter.default_per_second == 20
