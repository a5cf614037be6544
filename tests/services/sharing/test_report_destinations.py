"""Hermes and TNS destinations: public addresses by default, their keys checked with the rest of
tom-tui.toml, and a report to the wrong kind of destination refused in one sentence."""

from __future__ import annotations

from tests.support.cli import Run, append_config
from tom_tui.services.config import config_problems
from tom_tui.services.sharing.destinations import destination
from tom_tui.store.store import Store


def test_hermes_and_tns_need_no_base_url_and_their_keys_are_checked() -> None:
    assert config_problems({"sharing": {"h": {"kind": "hermes"}, "t": {"kind": "tns", "bot_id": 7}}}) == []
    config = {
        "sharing": {
            "h": {"kind": "hermes", "topic": 5, "bot_id": 1},
            "t": {"kind": "tns", "bot_id": "seven", "filter_ids": {"ztfg": "g"}, "reporter": " "},
        }
    }
    problems = config_problems(config)
    # The keys a Hermes table takes are listed after this; other kinds' keys are not among them.
    assert problems[0].startswith("tom-tui.toml: [sharing.h]: unknown key 'bot_id'; expected one of ")
    assert "submitter" in problems[0] and "group_id" not in problems[0]
    assert problems[1:] == [
        "tom-tui.toml: [sharing.h] topic = 5; expected text in quotes",
        "tom-tui.toml: [sharing.t] reporter = ' '; expected text in quotes",
        "tom-tui.toml: [sharing.t] bot_id = 'seven'; expected a whole number (a TNS id)",
        'tom-tui.toml: [sharing.t] filter_ids must be a table of names and TNS ids, e.g. { "ztfr" = 111 }',
    ]


def test_default_addresses_and_kind_mismatch(store: Store, run: Run) -> None:
    append_config(store, '[sharing.hermes]\nkind = "hermes"\n[sharing.tns]\nkind = "tns"')
    assert destination(store, "hermes").base_url == "https://hermes.lco.global"
    assert destination(store, "tns").base_url == "https://www.wis-tns.org"
    run("target", "add", "SN 2026abc", "--ra", "10", "--dec", "5")
    wrong = run("report", "tns-at", "SN 2026abc", "--to", "hermes", "--dry-run", expect=1)
    assert wrong.stderr.strip() == (
        "Error: destination 'hermes' is a hermes destination; this report needs a [sharing.NAME] table "
        'with kind = "tns"'
    )
    no_topic = run("report", "hermes", "SN 2026abc", "--to", "hermes", "--dry-run", expect=1)
    assert no_topic.stderr.strip() == "Error: [sharing.hermes] has no topic; add topic = ... to the table"
