"""Raw survey data shared by every project: ``surveys/raw/<survey>/ra_<bin>.parquet``.

Each RA bin of each survey has two files: ``ra_NNN.parquet`` with the measurements (the domain
photometry columns, plus the position asked for and, where the survey gave them, the measured
position and its quality flag) and ``ra_NNN.answers.parquet`` with one row per cone the survey
answered, empty answers included, so a cone is never asked twice. A cone is named by its
position and radius (``key``), not by any project's source numbers, so projects share answers.
Raw data carries no project version: it is what the survey said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.clock import now_iso
from tom_tui.domain.photometry import MEASUREMENT_FIELDS
from tom_tui.store.store import Store
from tom_tui.store.transaction import StoreView

RAW_FOLDER = "surveys/raw"
# Columns of a survey's own answer that carry the measured position and a per-point quality flag.
POSITION_COLUMNS = ("ra", "dec")
FLAG_COLUMNS = ("catflags", "flags", "flag", "infobits")

RAW_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("query_ra", pa.float64()),
        pa.field("query_dec", pa.float64()),
        *MEASUREMENT_FIELDS,
        pa.field("ra", pa.float64()),
        pa.field("dec", pa.float64()),
        pa.field("survey_flag", pa.int64()),
    ]
)
ANSWERS_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("ra", pa.float64()),
        pa.field("dec", pa.float64()),
        pa.field("radius_arcsec", pa.float64()),
        pa.field("rows", pa.int64()),
        pa.field("empty", pa.bool_()),
        pa.field("fetched", pa.string()),
    ]
)


@dataclass(frozen=True)
class Answer:
    """One cone's answer as kept: its key and position, and its rows in :data:`RAW_SCHEMA`."""

    key: str
    ra: float
    dec: float
    radius_arcsec: float
    rows: pa.Table


def position_key(ra: float, dec: float, radius_arcsec: float) -> str:
    """The name of a cone: position to 1e-6° (under 4 mas) and radius."""
    return f"{ra:010.6f}{dec:+010.6f}r{radius_arcsec:g}"


def bin_paths(survey: str, ra_bin: int) -> tuple[str, str]:
    """Store-relative paths of a bin's measurements and answers."""
    stem = f"{RAW_FOLDER}/{survey}/ra_{ra_bin:03d}"
    return f"{stem}.parquet", f"{stem}.answers.parquet"


def raw_rows(key: str, ra: float, dec: float, photometry: pa.Table, raw: pa.Table) -> pa.Table:
    """The measurements of one answer as :data:`RAW_SCHEMA` rows; position and flag come from
    the survey's own columns when it gave one row per measurement."""
    count = photometry.num_rows
    same_rows = raw.num_rows == count
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "key": pa.array([key] * count, pa.string()),
        "query_ra": pa.array(np.full(count, ra)),
        "query_dec": pa.array(np.full(count, dec)),
    }
    for measured in MEASUREMENT_FIELDS:
        columns[measured.name] = photometry.column(measured.name).cast(measured.type)
    for name in POSITION_COLUMNS:
        present = same_rows and name in raw.column_names
        columns[name] = raw.column(name).cast(pa.float64()) if present else pa.nulls(count, pa.float64())
    flag_name = next((name for name in FLAG_COLUMNS if same_rows and name in raw.column_names), None)
    columns["survey_flag"] = _flag_column(raw, flag_name, count)
    return pa.table(columns, schema=RAW_SCHEMA)


def _flag_column(raw: pa.Table, name: str | None, count: int) -> pa.Array:
    if name is None:
        return pa.nulls(count, pa.int64())
    try:
        values = pc.cast(raw.column(name), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # A text flag: any non-empty value other than "0" marks the point.
        text = pc.cast(raw.column(name), pa.string())
        values = pc.cast(
            pc.and_(pc.invert(pc.equal(text, "0")), pc.greater(pc.utf8_length(text), 0)), pa.int64()
        )
    return pa.array(values.to_numpy(zero_copy_only=False), pa.int64())


def _table_or_empty(view: StoreView, rel: str, schema: pa.Schema, **kwargs: Any) -> pa.Table:
    table = view.read_parquet(rel, **kwargs) if view.exists(rel) else None
    return schema.empty_table() if table is None else table


def answered(store: Store, survey: str, ra_bin: int) -> pd.DataFrame:
    """Every cone of a bin the survey has answered (:data:`ANSWERS_SCHEMA` columns)."""
    _, answers_rel = bin_paths(survey, ra_bin)
    with store.read() as view:
        table = _table_or_empty(view, answers_rel, ANSWERS_SCHEMA)
    frame: pd.DataFrame = table.to_pandas()
    return frame


def save_answers(store: Store, survey: str, ra_bin: int, answers: Sequence[Answer]) -> None:
    """Add answers to a bin in one transaction (re-reading the bin under the lock, so another
    project writing the same bin at the same time loses nothing)."""
    if not answers:
        return
    data_rel, answers_rel = bin_paths(survey, ra_bin)
    fetched = now_iso()
    new_answers = pa.table(
        {
            "key": [answer.key for answer in answers],
            "ra": [answer.ra for answer in answers],
            "dec": [answer.dec for answer in answers],
            "radius_arcsec": [answer.radius_arcsec for answer in answers],
            "rows": [answer.rows.num_rows for answer in answers],
            "empty": [answer.rows.num_rows == 0 for answer in answers],
            "fetched": [fetched] * len(answers),
        },
        schema=ANSWERS_SCHEMA,
    )
    new_keys = pa.array([answer.key for answer in answers], pa.string())
    with store.transaction() as tx:
        old_rows = _table_or_empty(tx, data_rel, RAW_SCHEMA)
        old_answers = _table_or_empty(tx, answers_rel, ANSWERS_SCHEMA)
        kept_rows = old_rows.filter(pc.invert(pc.is_in(old_rows.column("key"), value_set=new_keys)))
        kept_answers = old_answers.filter(pc.invert(pc.is_in(old_answers.column("key"), value_set=new_keys)))
        rows = pa.concat_tables([kept_rows.cast(RAW_SCHEMA), *(answer.rows for answer in answers)])
        tx.write_parquet(data_rel, rows.sort_by("key"))
        tx.write_parquet(answers_rel, pa.concat_tables([kept_answers.cast(ANSWERS_SCHEMA), new_answers]))


def read_rows(store: Store, survey: str, ra_bin: int, keys: Sequence[str]) -> pd.DataFrame:
    """The measurements of the given cones in one bin."""
    data_rel, _ = bin_paths(survey, ra_bin)
    with store.read() as view:
        table = _table_or_empty(
            view, data_rel, RAW_SCHEMA, filters=[("key", "in", list(keys))] if keys else None
        )
    frame: pd.DataFrame = table.to_pandas()
    return frame
