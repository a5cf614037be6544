"""Photometry in the store: Parquet files bucketed by target id, plus a per-target summary table.

Layout (see docs/store.md, "Photometry and spectra")::

    photometry/b042/main.parquet                 compacted rows of targets with id % 256 == 42,
                                                 sorted by (target_id, mjd), small row groups
    photometry/b042/d-00000017-t1066.parquet     rows added by upload 17 for target 1066
    undo/photometry/u00000017.parquet            stored rows that upload 17 replaced (for undo)
    index/photometry_summary.parquet             one summary row per target

The rows kept for undo live outside ``photometry/`` so that whoever reads ``photometry/**`` with
pandas, DuckDB or astropy gets exactly the current points. Every file carries its units, time
scale and magnitude system in the Parquet field metadata, and the string lengths astropy's
Parquet reader needs (``table::len::<column>``), so ``astropy.table.Table.read`` works on it.

An upload writes one small file per target, so ingest costs one Parquet write of the new rows
(an upload that touches many targets of one bucket rewrites that bucket once instead).
Reading a target opens its bucket's main file, reads only the row groups whose target_id
statistics include it, and the delta files named after it. A bucket is compacted (all its files
rewritten as one sorted main file) when it collects too many delta files or rows are removed.

Callers speak targets and uploads (:func:`add_points`, :func:`replace_points`,
:func:`keep_replaced`, :func:`remove_upload`...); buckets, delta files and the replaced-rows files
stay inside this module. Summaries are computed by the caller and stored with
:func:`write_summaries`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tom_tui.domain.photometry import MEASUREMENT_COLUMNS, STORED_SCHEMA, SUMMARY_SCHEMA, empty_stored
from tom_tui.store.transaction import StoreView, Transaction

ROOT = "photometry"
UNDO_ROOT = "undo/photometry"
# Where schema version 1 kept the replaced rows (inside the photometry tree, where readers of the
# store counted them as points).
_UNDO_ROOT_BEFORE_V2 = f"{ROOT}/replaced"
BUCKETS = 256
SUMMARY_PATH = "index/photometry_summary.parquet"
COMPACT_AFTER_DELTAS = 8
ROW_GROUP_ROWS = 16_384
DICTIONARY_COLUMNS = ["filter", "magsys", "telescope", "instrument", "source", "upload_id", "product_id"]
_DELTA_NAME = re.compile(r"d-(\d+)-t(\d+)\.parquet$")

# What each stored column means, written into every file's schema as field metadata (``unit``
# in astropy's spelling, ``description`` in words) for readers of the store without tom-tui.
COLUMN_MEANINGS: dict[str, tuple[str, str]] = {
    "target_id": ("", "tom-tui target id"),
    "mjd": ("d", "MJD, UTC (mid-exposure)"),
    "filter": ("", "band as the source names it"),
    "mag": ("mag", "mag, system in magsys; null for a non-detection"),
    "magerr": ("mag", "mag, 1-sigma error of mag"),
    "limit": ("mag", "mag, limiting magnitude (5 sigma) of a non-detection, system in magsys"),
    "flux": ("uJy", "uJy, flux density (AB: mag = 23.9 - 2.5 log10 flux)"),
    "fluxerr": ("uJy", "uJy, 1-sigma error of flux"),
    "magsys": ("", "magnitude system of mag and limit (AB unless the file said otherwise)"),
    "telescope": ("", "telescope"),
    "instrument": ("", "instrument"),
    "source": ("", "where the point came from (upload, ztf-alert, alerce, yse...)"),
    "extra": ("", "other columns of the original file, one JSON object per row"),
    "negative_subtraction": ("", "true: source fainter than the reference; flux signed, mag null"),
    "upload_id": ("", "upload that added the row (tom-tui data undo ID)"),
    "product_id": ("", "data product (uploaded file) the row came from; null if none"),
}


def _described_field(field: pa.Field) -> pa.Field:
    unit, description = COLUMN_MEANINGS[field.name]
    metadata = {"description": description, **({"unit": unit} if unit else {})}
    return field.with_metadata(metadata)


DISK_SCHEMA = pa.schema([_described_field(field) for field in STORED_SCHEMA])


def _astropy_header() -> str:
    """The column header astropy's Parquet reader turns into units and descriptions."""
    lines = ["datatype:"]
    for field in STORED_SCHEMA:
        unit, description = COLUMN_MEANINGS[field.name]
        datatype = (
            "string" if pa.types.is_string(field.type) else str(field.type).replace("double", "float64")
        )
        column = {"name": field.name, "datatype": datatype, "description": description}
        if unit:
            column["unit"] = unit
        lines.append(f"- {json.dumps(column)}")  # JSON is YAML, and needs no YAML writer here
    return "\n".join(lines)


_ASTROPY_HEADER = _astropy_header()
_STRING_COLUMNS = [field.name for field in STORED_SCHEMA if pa.types.is_string(field.type)]


def _for_disk(table: pa.Table) -> pa.Table:
    """Stored rows with the described schema and the per-file string lengths astropy needs
    (without them its reader measures the strings itself and fails on a null)."""
    table = _conform(table).cast(DISK_SCHEMA)
    metadata = {"table_meta_yaml": _ASTROPY_HEADER}
    for name in _STRING_COLUMNS:
        column = table.column(name)
        longest = pc.max(pc.utf8_length(column)).as_py() if table.num_rows else None
        # astropy turns a null into the text "None"; room for all of it rather than a cut "N".
        room_for_null = len("None") if column.null_count else 1
        metadata[f"table::len::{name}"] = str(max(room_for_null, longest or 0))
    return table.replace_schema_metadata(metadata)


def _write(tx: Transaction, rel: str, table: pa.Table, **options: object) -> None:
    tx.write_parquet(rel, _for_disk(table), **options)


def _bucket_of(target_id: int) -> int:
    return target_id % BUCKETS


def _bucket_dir(bucket: int) -> str:
    return f"{ROOT}/b{bucket:03d}"


def _main_path(bucket: int) -> str:
    return f"{_bucket_dir(bucket)}/main.parquet"


def _replaced_path(upload_id: int) -> str:
    return f"{UNDO_ROOT}/u{upload_id:08d}.parquet"


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([("target_id", "ascending"), ("mjd", "ascending")])


def _by_time(table: pa.Table) -> pa.Table:
    """One target's rows in time order (skipping the sort when they already are, as files often are)."""
    mjd = np.asarray(table.column("mjd").to_numpy(), dtype=np.float64)
    if len(mjd) < 2 or np.all(mjd[1:] >= mjd[:-1]):
        return table
    return table.take(pa.array(np.argsort(mjd, kind="stable")))


def _conform(table: pa.Table) -> pa.Table:
    return _complete(table, None).cast(STORED_SCHEMA)


def _complete(table: pa.Table, columns: list[str] | None) -> pa.Table:
    """``columns`` (all stored columns when None) of rows read from a file, in schema order; a
    column the file's writer did not know yet (a file older than the column) reads as null."""
    wanted = STORED_SCHEMA.names if columns is None else columns
    for name in wanted:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, STORED_SCHEMA.field(name).type))
    return table.select(wanted)


def _read_file(path: str | os.PathLike[str], columns: list[str] | None) -> pa.Table:
    present = pq.read_schema(path).names
    read = None if columns is None else [name for name in columns if name in present]
    return _complete(pq.read_table(path, columns=read), columns)


def _deltas(view: StoreView, bucket: int) -> list[tuple[str, int, int]]:
    """(path, upload id, target id) of each delta file of a bucket."""
    found = []
    for rel in view.list_dir(_bucket_dir(bucket)):
        match = _DELTA_NAME.search(rel)
        if match and view.exists(rel):
            found.append((rel, int(match.group(1)), int(match.group(2))))
    return found


def _read_main_for(view: StoreView, bucket: int, target_ids: set[int], columns: list[str] | None) -> pa.Table:
    rel = _main_path(bucket)
    if not view.exists(rel):
        return _select(empty_stored(), columns)
    parquet = pq.ParquetFile(view.path(rel))
    low, high = min(target_ids), max(target_ids)
    groups = []
    metadata = parquet.metadata
    for index in range(metadata.num_row_groups):
        statistics = metadata.row_group(index).column(0).statistics
        if (
            statistics is None
            or not statistics.has_min_max
            or (statistics.max >= low and statistics.min <= high)
        ):
            groups.append(index)
    read_columns = None if columns is None else sorted({"target_id", *columns}, key=STORED_SCHEMA.names.index)
    if not groups:
        return _select(empty_stored(), columns)
    present = parquet.schema_arrow.names
    table = parquet.read_row_groups(
        groups, columns=None if read_columns is None else [c for c in read_columns if c in present]
    )
    table = _complete(table, read_columns)
    mask = pc.is_in(table.column("target_id"), pa.array(sorted(target_ids), type=pa.int64()))
    return _select(table.filter(mask), columns)


def _select(table: pa.Table, columns: list[str] | None) -> pa.Table:
    return table if columns is None else table.select(columns)


def read_points(view: StoreView, target_id: int, columns: list[str] | None = None) -> pa.Table:
    """All stored points of one target, sorted by MJD."""
    return read_points_many(view, [target_id], columns)


def read_points_many(
    view: StoreView, target_ids: Iterable[int], columns: list[str] | None = None
) -> pa.Table:
    """Stored points of several targets, sorted by target then MJD."""
    wanted = set(target_ids)
    by_bucket: dict[int, set[int]] = {}
    for target_id in wanted:
        by_bucket.setdefault(_bucket_of(target_id), set()).add(target_id)
    parts: list[pa.Table] = []
    read_columns = (
        None if columns is None else sorted({"target_id", "mjd", *columns}, key=STORED_SCHEMA.names.index)
    )
    for bucket, ids in sorted(by_bucket.items()):
        parts.append(_read_main_for(view, bucket, ids, read_columns))
        for rel, _upload, delta_target in _deltas(view, bucket):
            if delta_target in ids:
                table = _read_file(view.path(rel), read_columns)
                parts.append(table)
    if not parts:
        return _select(empty_stored(), columns)
    table = pa.concat_tables(parts)
    if len(wanted) > 1:
        table = table.sort_by([("target_id", "ascending"), ("mjd", "ascending")])
    elif len(parts) > 1:
        table = _by_time(table)
    return _select(table, columns)


def _read_bucket(view: StoreView, bucket: int) -> pa.Table:
    parts = []
    if view.exists(_main_path(bucket)):
        parts.append(_read_file(view.path(_main_path(bucket)), None))
    parts.extend(_read_file(view.path(rel), None) for rel, _u, _t in _deltas(view, bucket))
    return pa.concat_tables(parts) if parts else empty_stored()


def _write_bucket(tx: Transaction, bucket: int, table: pa.Table) -> None:
    """Replace everything of a bucket with ``table`` (compaction)."""
    for rel, _upload, _target in _deltas(tx, bucket):
        tx.delete(rel)
    if table.num_rows == 0:
        if tx.exists(_main_path(bucket)):
            tx.delete(_main_path(bucket))
        return
    _write(
        tx, _main_path(bucket), _sorted(_conform(table)), compression="zstd", row_group_size=ROW_GROUP_ROWS
    )


def _append_delta(tx: Transaction, target_id: int, upload_id: int, rows: pa.Table) -> None:
    """Add rows (stored schema, all of ``target_id``) as the delta file of this upload."""
    if rows.num_rows == 0:
        return
    bucket = _bucket_of(target_id)
    rel = f"{_bucket_dir(bucket)}/d-{upload_id:08d}-t{target_id}.parquet"
    if tx.exists(rel):
        rows = pa.concat_tables([_conform(pq.read_table(tx.path(rel))), _conform(rows)])
    _write(
        tx,
        rel,
        _by_time(_conform(rows)),
        compression="snappy",
        row_group_size=1 << 20,
        # Dictionaries help only the repetitive columns; statistics serve only the readers' pruning.
        use_dictionary=DICTIONARY_COLUMNS,
        write_statistics=["target_id", "mjd"],
    )
    if len(_deltas(tx, bucket)) > COMPACT_AFTER_DELTAS:
        _write_bucket(tx, bucket, _read_bucket(tx, bucket))


def _stored_rows(rows: pa.Table, upload_id: int, product_id: int | None) -> pa.Table:
    """Rows with ``target_id`` and measurement columns as stored rows of an upload."""
    count = rows.num_rows
    columns = {"target_id": rows.column("target_id").cast(pa.int64())}
    for name in MEASUREMENT_COLUMNS:
        field = STORED_SCHEMA.field(name)
        columns[name] = (
            rows.column(name).cast(field.type) if name in rows.column_names else pa.nulls(count, field.type)
        )
    columns["upload_id"] = pa.array(np.full(count, upload_id, dtype=np.int64))
    columns["product_id"] = (
        pa.nulls(count, pa.int64())
        if product_id is None
        else pa.array(np.full(count, product_id, dtype=np.int64))
    )
    return pa.table(columns, schema=STORED_SCHEMA)


# A bucket touched by at most this many targets of one upload gets delta files; more, and
# rewriting the bucket once is cheaper than many small files (and compacts it on the way).
_DELTA_TARGETS_PER_BUCKET = 2


def add_points(tx: Transaction, upload_id: int, rows: pa.Table, product_id: int | None = None) -> None:
    """Store new rows (``target_id`` and measurement columns, any number of targets) of an upload."""
    if rows.num_rows == 0:
        return
    stored = _stored_rows(rows, upload_id, product_id)
    ids = np.asarray(stored.column("target_id").to_numpy(), dtype=np.int64)
    if ids[0] == ids[-1] and (ids == ids[0]).all():
        # One target, as a file upload is: its delta file, without grouping a million rows.
        _append_delta(tx, int(ids[0]), upload_id, stored)
        return
    buckets = ids % BUCKETS
    for bucket in np.unique(buckets):
        in_bucket = stored.filter(pa.array(buckets == bucket))
        bucket_ids = np.unique(ids[buckets == bucket])
        if len(bucket_ids) <= _DELTA_TARGETS_PER_BUCKET:
            for target_id in bucket_ids:
                of_target = (
                    in_bucket
                    if len(bucket_ids) == 1
                    else in_bucket.filter(pc.equal(in_bucket.column("target_id"), target_id))
                )
                _append_delta(tx, int(target_id), upload_id, of_target)
        else:
            current = _read_bucket(tx, int(bucket))
            _write_bucket(tx, int(bucket), pa.concat_tables([current, in_bucket]))


def replace_points(tx: Transaction, target_ids: Iterable[int], rows: pa.Table) -> None:
    """Make ``rows`` (stored schema) the only stored points of ``target_ids``."""
    ids = sorted(set(target_ids))
    wanted = pa.array(ids, type=pa.int64())
    row_ids = np.asarray(rows.column("target_id").to_numpy(), dtype=np.int64)
    for bucket in sorted({_bucket_of(t) for t in ids}):
        current = _read_bucket(tx, bucket)
        others = current.filter(pc.invert(pc.is_in(current.column("target_id"), wanted)))
        mine = rows.filter(pa.array(row_ids % BUCKETS == bucket))
        _write_bucket(tx, bucket, pa.concat_tables([others, _conform(mine)]))


def keep_replaced(tx: Transaction, upload_id: int, rows: pa.Table) -> None:
    """Keep stored rows that ``upload_id`` replaced, so that undoing it puts them back."""
    if rows.num_rows == 0:
        return
    rel = _replaced_path(upload_id)
    previous = tx.read_parquet(rel)
    _write(
        tx,
        rel,
        _conform(rows) if previous is None else pa.concat_tables([_conform(previous), _conform(rows)]),
    )


def remove_upload(tx: Transaction, upload_id: int, target_ids: Iterable[int]) -> int:
    """Undo an upload among ``target_ids``: its rows go, the rows it replaced come back.

    Its rows also leave the kept-for-undo rows of later uploads, so undoing one of those never
    brings them back. Returns the number of rows removed.
    """
    removed = 0
    for bucket in sorted({_bucket_of(t) for t in target_ids}):
        table = _read_bucket(tx, bucket)
        kept = table.filter(pc.not_equal(table.column("upload_id"), upload_id))
        removed += table.num_rows - kept.num_rows
        _write_bucket(tx, bucket, kept)
    rel = _replaced_path(upload_id)
    restored = tx.read_parquet(rel)
    if restored is not None:
        target = np.asarray(restored.column("target_id").to_numpy(), dtype=np.int64)
        for bucket in sorted({_bucket_of(int(t)) for t in np.unique(target)}):
            in_bucket = restored.filter(pa.array(target % BUCKETS == bucket))
            current = _read_bucket(tx, bucket)
            _write_bucket(tx, bucket, pa.concat_tables([current, _conform(in_bucket)]))
        tx.delete(rel)
    _rewrite_replaced(tx, lambda rows: rows.filter(pc.not_equal(rows.column("upload_id"), upload_id)))
    return removed


def delete_target_points(tx: Transaction, target_id: int) -> None:
    bucket = _bucket_of(target_id)
    table = _read_bucket(tx, bucket)
    kept = table.filter(pc.not_equal(table.column("target_id"), target_id))
    if kept.num_rows != table.num_rows:
        _write_bucket(tx, bucket, kept)
    _rewrite_replaced(tx, lambda rows: rows.filter(pc.not_equal(rows.column("target_id"), target_id)))


def move_target_points(tx: Transaction, from_id: int, to_id: int) -> None:
    moved = read_points(tx, from_id)
    if moved.num_rows == 0:
        return
    delete_target_points(tx, from_id)
    moved = moved.set_column(0, "target_id", pa.array(np.full(moved.num_rows, to_id), type=pa.int64()))
    to_bucket = _bucket_of(to_id)
    existing = _read_bucket(tx, to_bucket)
    _write_bucket(tx, to_bucket, pa.concat_tables([existing, _conform(moved)]))

    def retarget(rows: pa.Table) -> pa.Table:
        ids = np.asarray(rows.column("target_id").to_numpy(), dtype=np.int64)
        return rows.set_column(
            0, "target_id", pa.array(np.where(ids == from_id, to_id, ids), type=pa.int64())
        )

    _rewrite_replaced(tx, retarget)


def _rewrite_replaced(tx: Transaction, change: Callable[[pa.Table], pa.Table]) -> None:
    """Apply ``change`` to the kept-for-undo rows of every upload (after undo, delete, merge),
    so that a later undo never brings back rows of a removed upload or target."""
    for rel in tx.list_dir(UNDO_ROOT):
        table = tx.read_parquet(rel)
        if table is None:
            continue
        changed = change(table)
        if changed.num_rows == 0:
            tx.delete(rel)
        elif not changed.equals(table):
            _write(tx, rel, changed)


def migrate_to_schema_2(tx: Transaction) -> None:
    """Store schema 1 to 2: the rows kept for undo leave the photometry tree (``photometry/replaced/``
    to ``undo/photometry/``), and every photometry file is rewritten with its column metadata."""
    moved = tx.list_dir(_UNDO_ROOT_BEFORE_V2)
    for rel in moved:
        table = tx.read_parquet(rel)
        if table is not None:
            _write(tx, f"{UNDO_ROOT}/{rel.rsplit('/', 1)[1]}", table)
    if moved or tx.exists(_UNDO_ROOT_BEFORE_V2):
        tx.delete(_UNDO_ROOT_BEFORE_V2)
    for rel in tx.list_dir(ROOT):
        name = rel.rsplit("/", 1)[1]
        if re.fullmatch(r"b\d{3}", name):
            bucket = int(name[1:])
            _write_bucket(tx, bucket, _read_bucket(tx, bucket))


# -- summaries --
def read_summary(view: StoreView) -> pa.Table:
    table = view.read_parquet(SUMMARY_PATH)
    return SUMMARY_SCHEMA.empty_table() if table is None else table


def write_summaries(tx: Transaction, target_ids: Iterable[int], summaries: pa.Table) -> None:
    """Make ``summaries`` (summary schema) the summary rows of ``target_ids``; a target of
    ``target_ids`` missing from ``summaries`` (it has no points left) loses its row."""
    ids = sorted(set(target_ids))
    if not ids:
        return
    current = read_summary(tx)
    kept = current.filter(pc.invert(pc.is_in(current.column("target_id"), pa.array(ids, type=pa.int64()))))
    merged = pa.concat_tables([kept, summaries.cast(SUMMARY_SCHEMA)]).sort_by("target_id")
    tx.write_parquet(SUMMARY_PATH, merged)
