"""Read-only SQL over the store: answers checked against the files themselves, and every way of
writing through a query refused by DuckDB."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.paths import PHOTOMETRY
from tests.support.stores import empty_store, photometry_store, snapshot
from tom_tui.services.data import products as data_service
from tom_tui.services.sql import SqlError, describe_views, resolve_query, run_query
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

store = photometry_store
__all__ = ["empty_store"]
LIGHT_CURVE = PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv"


def file_counts() -> Counter[str]:
    with LIGHT_CURVE.open() as handle:
        return Counter(row["filter"] for row in csv.DictReader(handle))


def test_points_per_filter_match_the_uploaded_file(store: Store) -> None:
    data_service.upload_data_product(store, "ZTF21aaqjmps", LIGHT_CURVE, "photometry")
    answer = run_query(
        store,
        "SELECT filter, count(*) AS n FROM photometry p JOIN targets t ON p.target_id = t.id "
        "WHERE t.name = 'ZTF21aaqjmps' GROUP BY filter ORDER BY filter",
    )
    assert answer.columns == ["filter", "n"]
    assert {row["filter"]: row["n"] for row in answer.rows()} == dict(file_counts())


def test_aliases_lists_and_extras_are_queryable(store: Store) -> None:
    TargetService(store).add(
        {"name": "SN 2026x", "ra": 1.0, "dec": 2.0, "lists": ["tonight"], "extra": {"redshift": 0.031}}
    )
    aliases = run_query(store, "SELECT target_name, alias FROM target_aliases").rows()
    assert aliases == [{"target_name": "SN 2024abc", "alias": "ATLAS24xyz"}]
    lists = run_query(store, "SELECT target_name FROM target_lists WHERE list = 'tonight'").rows()
    assert lists == [{"target_name": "SN 2026x"}]
    extras = run_query(
        store,
        "SELECT t.name, CAST(e.value AS DOUBLE) AS z "
        "FROM target_extras e JOIN targets t ON t.id = e.target_id",
    ).rows()
    assert extras == [{"name": "SN 2026x", "z": 0.031}]


def test_empty_kinds_are_empty_tables_with_their_columns(store: Store) -> None:
    answer = run_query(store, "SELECT target_id, mjd, filter FROM photometry")
    assert answer.table.num_rows == 0
    assert answer.columns == ["target_id", "mjd", "filter"]
    assert run_query(store, "SELECT count(*) AS n FROM frames").rows() == [{"n": 0}]
    assert run_query(store, "SELECT count(*) AS n FROM observations").rows() == [{"n": 0}]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("DELETE FROM targets", "only SELECT"),
        ("CREATE TABLE x AS SELECT 1", "only SELECT"),
        ("SELECT 1; SELECT 2", "one statement"),
        ("COPY (SELECT * FROM targets) TO '{outside}'", "only SELECT"),
        ("SELECT * FROM read_csv('/etc/passwd')", "Permission"),
        ("SELECT * FROM read_parquet('{store}/../elsewhere.parquet')", "Permission"),
        ("SELECT * FROM 'db/targets_000.json'", "Permission"),
        ("SELECT name FROM targets WHERE", "syntax error"),
        ("", "empty"),
    ],
)
def test_nothing_writes_or_reads_outside_the_store(
    store: Store, tmp_path: Path, query: str, expected: str
) -> None:
    before = snapshot(store)
    outside = tmp_path / "out.csv"
    pq.write_table(pa.table({"secret": [1]}), tmp_path / "elsewhere.parquet")
    with pytest.raises(SqlError, match=expected):
        run_query(store, query.format(outside=outside, store=store.root))
    assert not outside.exists()
    assert snapshot(store) == before


def test_a_syntax_error_shows_where(store: Store) -> None:
    with pytest.raises(SqlError) as raised:
        run_query(store, "SELECT name FROM targets WHERE")
    assert "LINE 1" in str(raised.value)


def test_saved_queries_come_from_the_config(store: Store) -> None:
    store.config_path.write_text(
        store.config_path.read_text() + '\n[sql.queries]\nsouth = "SELECT name FROM targets WHERE dec < 0"\n'
    )
    query = resolve_query(store, "south")
    assert sorted(row["name"] for row in run_query(store, query).rows()) == ["AT2017gfo", "SN 2024abc"]
    assert resolve_query(store, "SELECT 1") == "SELECT 1"


def test_every_view_answers_on_an_empty_store(empty_store: Store) -> None:
    for view in describe_views():
        answer = run_query(empty_store, f"SELECT * FROM {view['name']}")
        assert answer.table.num_rows == 0, view["name"]
