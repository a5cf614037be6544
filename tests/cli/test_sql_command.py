"""`tom-tui sql` as a script uses it: JSON, CSV, the text table, saved queries, and refusals."""

from __future__ import annotations

import csv
import io

from tests.support.cli import Run, append_config, json_of, run, targets
from tests.support.stores import snapshot
from tom_tui.store.store import Store

__all__ = ["run", "targets"]


def test_json_csv_and_text_answers(run: Run, targets: None) -> None:
    query = "SELECT name, dec FROM targets ORDER BY name"
    assert json_of(run("sql", "--json", query)) == [
        {"name": "SN 2026abc", "dec": 25.3},
        {"name": "Southern", "dec": -80.0},
    ]
    rows = list(
        csv.DictReader(
            io.StringIO(run("sql", "--csv", "SELECT name, aliases FROM targets ORDER BY name").stdout)
        )
    )
    assert rows[0] == {"name": "SN 2026abc", "aliases": '["ZTF26aaaaaaa"]'}
    text = run("sql", query).stdout.splitlines()
    assert text[0].split() == ["name", "dec"]
    assert text[2].split() == ["SN", "2026abc", "25.3"]
    assert text[-1].startswith("(2 rows,")


def test_saved_queries_by_name(run: Run, targets: None, store: Store) -> None:
    append_config(store, '[sql.queries]\nsouth = "SELECT name FROM targets WHERE dec < 0"')
    assert json_of(run("sql", "--json", "south")) == [{"name": "Southern"}]
    assert json_of(run("sql", "--saved", "--json")) == [
        {"name": "south", "description": "SELECT name FROM targets WHERE dec < 0"}
    ]
    names = [view["name"] for view in json_of(run("sql", "--views", "--json"))]
    assert {"targets", "photometry", "observations", "frames", "target_extras"} <= set(names)


def test_a_refused_query_is_one_message_and_changes_nothing(run: Run, targets: None, store: Store) -> None:
    before = snapshot(store)
    refused = run("sql", "DROP VIEW targets", expect=1)
    assert refused.stderr.startswith("Error: only SELECT")
    bad = run("sql", "SELECT nme FROM targets", expect=1)
    assert "nme" in bad.stderr and "Traceback" not in bad.stderr
    assert snapshot(store) == before
