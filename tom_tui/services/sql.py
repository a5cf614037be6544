"""Read-only SQL over the whole store, through DuckDB.

Every kind of record is a view: Parquet data (photometry, the frame archive) is read where it
lies; JSON documents (targets' extras, observations, data products...) become Arrow tables, built
only when a query names them. A query runs under the store's shared lock in an in-memory DuckDB
whose file access is confined to the store's Parquet folders and then switched off and locked, so
nothing can be written through it, not even a file outside the store (``COPY ... TO``, ``ATTACH``
and configuration changes are refused by DuckDB itself). Only one ``SELECT`` (or ``WITH ...
SELECT``) statement is accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import SUMMARY_SCHEMA
from tom_tui.store import tables
from tom_tui.store.frames import FRAME_SCHEMA
from tom_tui.store.photometry import DISK_SCHEMA
from tom_tui.store.photometry_flags import read_flags
from tom_tui.store.store import Store
from tom_tui.store.transaction import StoreView

# DuckDB's own defaults take 80 % of the memory and every core; a TOM shares its machine.
MEMORY_LIMIT = "4GB"
THREADS = 2


class SqlError(ValidationError):
    """A query DuckDB refused (its message and position), or one that is not a single SELECT."""


@dataclass(frozen=True)
class SqlView:
    """One table a query can name: Parquet files read in place, an Arrow table, or SQL over others."""

    name: str
    description: str
    files: str | None = None  # a glob relative to the store root
    empty_schema: pa.Schema | None = None  # the columns when no file exists yet
    table: Callable[[StoreView], pa.Table] | None = None
    sql: str | None = None
    needs: tuple[str, ...] = ()


def _unnest(column: str, as_name: str) -> str:
    return f"SELECT id AS target_id, name AS target_name, unnest({column}) AS {as_name} FROM targets"


VIEWS: tuple[SqlView, ...] = (
    SqlView(
        "targets",
        "one row per target: id, name, type, ra and dec (degrees, ICRS), scheme, aliases, tags, lists, "
        "created, modified",
        table=tables.targets_table,
    ),
    SqlView(
        "target_aliases", "target_id, target_name, alias", sql=_unnest("aliases", "alias"), needs=("targets",)
    ),
    SqlView("target_tags", "target_id, target_name, tag", sql=_unnest("tags", "tag"), needs=("targets",)),
    SqlView("target_lists", "target_id, target_name, list", sql=_unnest("lists", "list"), needs=("targets",)),
    SqlView(
        "target_extras",
        "target_id, key, value (as text), value_type (text, number, integer, boolean, json)",
        table=tables.target_extras_table,
    ),
    SqlView(
        "photometry",
        "every current measurement: target_id, mjd (UTC), filter, mag, magerr, limit, flux and fluxerr "
        "(µJy), magsys, telescope, instrument, source, upload_id, flags... (points flagged as bad "
        "included: see photometry_flags)",
        files=tables.PHOTOMETRY_FILES,
        empty_schema=DISK_SCHEMA,
    ),
    SqlView(
        "photometry_summary",
        "one row per target with photometry: counts, first, last and peak detection",
        files=tables.PHOTOMETRY_SUMMARY_FILE,
        empty_schema=SUMMARY_SCHEMA,
    ),
    SqlView(
        "photometry_flags",
        "points flagged as bad (left out of plots, summaries and exports): target_id, mjd, filter, "
        "telescope, instrument, source (the point, within a second), flagged_by, flagged_at (UTC), reason",
        table=read_flags,
    ),
    SqlView(
        "photometry_uploads",
        "one row per photometry import (file or broker)",
        table=tables.photometry_uploads_table,
    ),
    SqlView(
        "spectra",
        "one row per stored spectrum (its table is a Parquet file: path)",
        table=tables.spectra_table,
    ),
    SqlView(
        "observations", "one row per observation request and its status", table=tables.observations_table
    ),
    SqlView("data_products", "one row per data product file", table=tables.data_products_table),
    SqlView(
        "frames",
        "the raw-frame archive: one row per frame (type, filter, exposure, night, telescope...)",
        files=tables.FRAME_INDEX_FILES,
        empty_schema=FRAME_SCHEMA,
    ),
    SqlView(
        "job_runs",
        "one row per cron job run (job, started, finished, status, counts)",
        table=tables.job_runs_table,
    ),
)
VIEWS_BY_NAME: Mapping[str, SqlView] = {view.name: view for view in VIEWS}


@dataclass
class QueryResult:
    table: pa.Table
    seconds: float

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()  # type: ignore[no-any-return]


def saved_queries(config: Mapping[str, Any]) -> dict[str, str]:
    """The named queries of ``[sql.queries]`` in tom-tui.toml."""
    section = config.get("sql", {})
    queries = section.get("queries", {}) if isinstance(section, Mapping) else {}
    if not isinstance(queries, Mapping):
        raise ValidationError('tom-tui.toml: [sql.queries] must be a table of name = "SELECT ..."')
    bad = [name for name, text in queries.items() if not isinstance(text, str)]
    if bad:
        raise ValidationError(
            f'tom-tui.toml: [sql.queries] {bad[0]} must be a text, e.g. {bad[0]} = "SELECT ..."'
        )
    return dict(queries)


def resolve_query(store: Store, text: str) -> str:
    """The query itself, or the saved query of that name."""
    saved = saved_queries(store.config)
    return saved.get(text.strip(), text)


def run_query(store: Store, query: str) -> QueryResult:
    """The answer to one read-only SELECT over the store's views."""
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(":memory:", config={"threads": THREADS, "memory_limit": MEMORY_LIMIT}) as connection:
        names = _check(connection, query)
        with store.read() as view:
            _add_views(connection, view, store.root, names)
            _lock_down(connection, store.root)
            try:
                table = connection.sql(query).to_arrow_table()
            except duckdb.Error as error:
                raise SqlError(_positioned_message(connection, query, error)) from None
    return QueryResult(table, time.perf_counter() - started)


def rows_where(table: pa.Table, condition: str) -> np.ndarray:
    """Positions (sorted) of the rows of ``table`` where a SQL condition over its columns holds
    (``mag > 20 AND filter = 'ztfg'``), under the same read-only rules as a query."""
    import duckdb

    numbered = table.append_column("row_position__", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    query = f"SELECT row_position__ FROM points WHERE {condition}"
    with duckdb.connect(":memory:", config={"threads": THREADS, "memory_limit": MEMORY_LIMIT}) as connection:
        _check(connection, query)
        connection.register("points", numbered)
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
        try:
            found = connection.sql(query).to_arrow_table()
        except duckdb.Error as error:
            raise SqlError(_positioned_message(connection, query, error)) from None
    return np.sort(np.asarray(found.column(0).to_numpy(), dtype=np.int64))


def _check(connection: Any, query: str) -> set[str]:
    """The view names a single SELECT refers to; anything else is refused before it runs."""
    import duckdb

    if not query.strip():
        raise SqlError('the query is empty; e.g. tom-tui sql "SELECT name, ra, dec FROM targets"')
    try:
        statements = connection.extract_statements(query)
    except duckdb.Error as error:
        raise SqlError(_message(error)) from None
    if len(statements) != 1:
        raise SqlError(f"one statement at a time, please: the query holds {len(statements)}")
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name
        raise SqlError(f"only SELECT queries are run (the store is read-only here); this one is {kind}")
    try:
        referred = duckdb.get_table_names(query, qualified=False)
    except duckdb.Error as error:
        raise SqlError(_message(error)) from None
    return {name.lower() for name in referred}


def _add_views(connection: Any, view: StoreView, root: Path, referred: set[str]) -> None:
    wanted = [VIEWS_BY_NAME[name] for name in sorted(referred) if name in VIEWS_BY_NAME]
    for needed in {need for sql_view in wanted for need in sql_view.needs}:
        if needed not in referred:
            wanted.insert(0, VIEWS_BY_NAME[needed])
    for sql_view in wanted:
        if sql_view.table is not None:
            connection.register(f"{sql_view.name}__arrow", sql_view.table(view))
            connection.execute(f"CREATE VIEW {sql_view.name} AS SELECT * FROM {sql_view.name}__arrow")
        elif sql_view.files is not None:
            _add_file_view(connection, root, sql_view)
        elif sql_view.sql is not None:
            connection.execute(f"CREATE VIEW {sql_view.name} AS {sql_view.sql}")


def _add_file_view(connection: Any, root: Path, sql_view: SqlView) -> None:
    assert sql_view.files is not None
    if any(root.glob(sql_view.files)):
        pattern = (root / sql_view.files).as_posix().replace("'", "''")
        source = f"read_parquet('{pattern}', union_by_name = true)"
        connection.execute(f"CREATE VIEW {sql_view.name} AS SELECT * FROM {source}")
    else:
        empty = (sql_view.empty_schema or pa.schema([])).empty_table()
        connection.register(f"{sql_view.name}__arrow", empty)
        connection.execute(f"CREATE VIEW {sql_view.name} AS SELECT * FROM {sql_view.name}__arrow")


def _lock_down(connection: Any, root: Path) -> None:
    """Confine file reads to the store's Parquet folders, then forbid any other file access for good."""
    tops = sorted({Path(sql_view.files).parts[0] for sql_view in VIEWS if sql_view.files})
    folders = [(root / top).as_posix().replace("'", "''") + "/" for top in tops]
    listed = ", ".join(f"'{folder}'" for folder in folders)
    connection.execute(f"SET allowed_directories = [{listed}]")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def _positioned_message(connection: Any, query: str, error: Exception) -> str:
    """DuckDB's message with the line and place in the query (its relation API leaves them out;
    binding the query again as a statement, which fails the same way, gives them)."""
    import duckdb

    try:
        connection.execute(query)
    except duckdb.Error as again:
        return _message(again)
    return _message(error)


def _message(error: Exception) -> str:
    text = str(error).strip()
    return text if text else type(error).__name__


def describe_views() -> list[dict[str, str]]:
    """Name and description of every view, for `tom-tui sql --views` and the SQL screen."""
    return [{"name": view.name, "description": view.description} for view in VIEWS]
