"""`tom-tui sql`: read-only SQL (DuckDB) over every kind of record in the store."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from tom_tui.cli.common import AppContext, app_command, emit_json, fail, json_flag
from tom_tui.domain.text import escape_control
from tom_tui.services.sql import describe_views, resolve_query, run_query, saved_queries

CELL_WIDTH = 40  # longer values are cut in the text table (use --json or --csv for everything)


@click.command("sql")
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.File("r"), help="Read the query from a file ('-': stdin).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the answer as CSV.")
@click.option("--views", "show_views", is_flag=True, help="List the tables a query can use.")
@click.option(
    "--saved", "show_saved", is_flag=True, help="List the saved queries of tom-tui.toml [sql.queries]."
)
@json_flag
@app_command
def sql_command(
    app: AppContext,
    query: str | None,
    query_file: Any,
    as_csv: bool,
    show_views: bool,
    show_saved: bool,
    as_json: bool,
) -> None:
    """Run one SELECT over the store (or a saved query by its name).

    Tables: targets, target_aliases, target_tags, target_lists, target_extras, photometry,
    photometry_summary, photometry_uploads, spectra, observations, data_products, frames,
    job_runs (`--views` describes them). Nothing can be written through a query.

    \b
    Examples:
      tom-tui sql "SELECT filter, count(*) FROM photometry GROUP BY filter"
      tom-tui sql --csv "SELECT t.name, max(p.mjd) AS last FROM photometry p
                         JOIN targets t ON t.id = p.target_id GROUP BY t.name"
    """
    if show_views:
        _print_listing(describe_views(), as_json)
        return
    if show_saved:
        queries = saved_queries(app.store.config)
        _print_listing([{"name": k, "description": v} for k, v in queries.items()], as_json)
        return
    text = query_file.read() if query_file is not None else query
    if not text:
        fail('give a query, e.g. tom-tui sql "SELECT name, ra, dec FROM targets" (or --views)')
        return
    result = run_query(app.store, resolve_query(app.store, text))
    if as_json:
        _emit_rows_json(result.rows())
    elif as_csv:
        _emit_csv(result.table)
    else:
        _print_table(result.columns, result.rows())
        count = result.table.num_rows
        click.echo(f"({count} row{'s' if count != 1 else ''}, {result.seconds:.3f} s)")


def _emit_rows_json(rows: list[dict[str, Any]]) -> None:
    # Dates, decimals and intervals from DuckDB are written as their text.
    sys.stdout.buffer.write(orjson.dumps(rows, default=str, option=orjson.OPT_INDENT_2))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def _emit_csv(table: Any) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_nested(column.type):  # CSV has no lists: write them as JSON text
            column = pa.array(
                [None if v is None else orjson.dumps(v, default=str).decode() for v in column.to_pylist()]
            )
        columns[name] = column
    pacsv.write_csv(pa.table(columns) if columns else table, sys.stdout.buffer)
    sys.stdout.flush()


def _print_listing(items: list[dict[str, str]], as_json: bool) -> None:
    if as_json:
        emit_json(items)
        return
    width = max((len(item["name"]) for item in items), default=0)
    for item in items:
        click.echo(f"{escape_control(item['name']).ljust(width)}  {escape_control(item['description'])}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.6e}"
    text = escape_control(str(value).replace("\n", " "))
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def _print_table(columns: list[str], rows: list[dict[str, Any]]) -> None:
    cells = [[_cell(row[name]) for name in columns] for row in rows]
    headers = [escape_control(name) for name in columns]
    widths = [max([len(header), *(len(line[i]) for line in cells)]) for i, header in enumerate(headers)]
    click.echo("  ".join(header.ljust(width) for header, width in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("─" * width for width in widths))
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


COMMANDS = (sql_command,)
