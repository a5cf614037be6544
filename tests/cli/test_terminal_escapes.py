"""No command lets a stored or given string drive the terminal: text output shows control
characters as escapes, JSON output escapes them itself."""

from __future__ import annotations

import json

from tests.support.cli import Run, run
from tom_tui.domain.target import Target
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

__all__ = ["run"]

CLIPBOARD = "\x1b]52;c;aGk=\x07"
TITLE = "\x1b]0;pwned\x07"


def test_names_given_with_escape_sequences_are_stored_without_them(run: Run) -> None:
    run("target", "add", f"SN{TITLE} 2026x", "--ra", "10", "--dec", "20", "--tag", f"a{CLIPBOARD}")
    listed = run("target", "list").stdout
    assert "\x1b" not in listed and "\x07" not in listed and "SN]0;pwned 2026x" in listed


def test_a_target_stored_with_escape_sequences_is_shown_escaped(store: Store, run: Run) -> None:
    # Written straight into the store, as a file from an older version or another tool could be.
    with store.transaction() as tx:
        TargetRepository(tx).insert_many(
            [Target(name=f"Old{TITLE}", ra=10.0, dec=20.0, tags=[CLIPBOARD], extra={"n": CLIPBOARD})]
        )
    for command in (("target", "list"), ("target", "show", "#1")):
        text = run(*command).stdout
        assert "\x1b]" not in text and "\x07" not in text
        assert "\\x1b]0;pwned\\x07" in text or "\\x1b]52;c;aGk=\\x07" in text
    shown = json.loads(run("target", "show", "#1", "--json").stdout)
    assert shown["name"] == f"Old{TITLE}"  # JSON keeps the value, escaped by the encoder
    assert "\x1b" not in run("target", "show", "#1", "--json").stdout
