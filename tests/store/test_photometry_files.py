"""What a reader of the store without tom-tui gets from its photometry files (docs/store.md)."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import orjson
import pandas as pd
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from astropy.table import Table

from tests.support import stores
from tests.support.paths import DATA
from tom_tui.domain.photometry import STORED_SCHEMA, DedupPolicy, OnDuplicatePoint
from tom_tui.services.data import products as data_service
from tom_tui.store.store import MANIFEST_NAME, Store

store = stores.photometry_store

TOM_SAMPLE = DATA / "photometry" / "tom_base_photometry_sample.csv"
ATLAS = DATA / "photometry" / "tom_base_test_atlas_fp.csv"
SKYPORTAL = DATA / "photometry" / "skyportal_ZTF21aaqjmps_phot.csv"


def _fill(store: Store) -> int:
    """Three real files, one uploaded twice with `update` (so rows are kept for undo);
    returns the number of current points."""
    data_service.upload_data_product(store, "SN 2024abc", TOM_SAMPLE, "photometry")
    data_service.upload_data_product(
        store,
        "SN 2024abc",
        TOM_SAMPLE,
        "photometry",
        allow_same_file=True,
        dedup=DedupPolicy(OnDuplicatePoint.UPDATE),
    )
    data_service.upload_data_product(store, "SN 2024abc", ATLAS, "photometry")
    data_service.upload_data_product(store, "ZTF21aaqjmps", SKYPORTAL, "photometry")
    return sum(data_service.photometry_of(store, name)[1].num_rows for name in ("SN 2024abc", "ZTF21aaqjmps"))


def _photometry_files(root: Path) -> list[Path]:
    return sorted((root / "photometry").glob("**/*.parquet"))


def test_pandas_recipe_counts_only_current_points(store: Store) -> None:
    current = _fill(store)
    assert any((store.root / "undo" / "photometry").iterdir())  # rows are kept for undo...
    phot = pd.read_parquet(store.root / "photometry")  # ...but not where readers look
    assert len(phot) == current == 4 + 32 + len(pd.read_csv(SKYPORTAL))


def test_duckdb_recipe_counts_only_current_points(store: Store) -> None:
    duckdb = pytest.importorskip("duckdb")
    current = _fill(store)
    query = f"SELECT count(*) FROM '{store.root}/photometry/*/*.parquet'"
    assert duckdb.sql(query).fetchall() == [(current,)]
    per_filter = duckdb.sql(
        f"SELECT filter, count(*) FROM '{store.root}/photometry/**/*.parquet' GROUP BY filter"
    ).fetchall()
    assert sum(count for _filter, count in per_filter) == current


def test_astropy_reads_every_photometry_file_with_units(store: Store) -> None:
    _fill(store)
    files = _photometry_files(store.root) + sorted((store.root / "undo").glob("**/*.parquet"))
    assert len(files) >= 3
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no guessing of string lengths either
            table = Table.read(path)
        assert len(table) == pq.read_metadata(path).num_rows
        assert str(table["mjd"].unit) == "d" and table["mjd"].description.startswith("MJD, UTC")
        assert str(table["mag"].unit) == "mag" and "magsys" in table["mag"].description
        assert str(table["flux"].unit) == "uJy" and str(table["fluxerr"].unit) == "uJy"


def test_units_time_scale_and_magnitude_system_are_in_the_schema(store: Store) -> None:
    _fill(store)
    schema = pq.read_schema(_photometry_files(store.root)[0])
    meaning = {name: (schema.field(name).metadata or {}) for name in schema.names}
    assert meaning["mjd"][b"description"].startswith(b"MJD, UTC")
    assert meaning["mag"][b"description"].startswith(b"mag, system in magsys")
    assert meaning["limit"][b"unit"] == b"mag" and meaning["flux"][b"unit"] == b"uJy"


def _as_schema_1(root: Path) -> None:
    """Put a store back the way schema 1 kept it: undo rows under photometry/replaced/, files
    without column metadata."""
    undo = root / "undo" / "photometry"
    shutil.move(undo, root / "photometry" / "replaced")
    shutil.rmtree(root / "undo")
    for path in _photometry_files(root):
        pq.write_table(pq.read_table(path).cast(STORED_SCHEMA), path)
    manifest = orjson.loads((root / MANIFEST_NAME).read_bytes())
    manifest["schema_version"] = 1
    (root / MANIFEST_NAME).write_bytes(orjson.dumps(manifest))


def test_opening_a_schema_1_store_moves_undo_rows_out_and_undo_still_works(store: Store) -> None:
    current = _fill(store)
    _as_schema_1(store.root)
    assert len(pd.read_parquet(store.root / "photometry")) > current  # the old layout's miscount
    migrated = Store.open(store.root)
    assert migrated.manifest()["schema_version"] == 2
    assert not (store.root / "photometry" / "replaced").exists()
    assert len(pd.read_parquet(store.root / "photometry")) == current
    for path in _photometry_files(store.root):
        assert str(Table.read(path)["flux"].unit) == "uJy"
    data_service.undo_photometry_upload(migrated, 2)  # the `update` upload: its replaced rows return
    rows = data_service.photometry_of(migrated, "SN 2024abc")[1]
    assert set(rows.column("upload_id").to_pylist()) == {1, 3}


def test_target_recipes_read_the_index_and_the_documents(store: Store) -> None:
    targets = feather.read_table(store.root / "index" / "targets.arrow").to_pandas()
    assert set(targets["name"]) == {"SN 2024abc", "ZTF21aaqjmps", "AT2017gfo"}
    target_id = int(targets.loc[targets["name"] == "AT2017gfo", "id"].iloc[0])
    with open(store.root / "db" / "targets" / f"{target_id % 256:02x}.json") as handle:
        doc = json.load(handle)["targets"][str(target_id)]
    assert doc["name"] == "AT2017gfo" and doc["ra"] == pytest.approx(197.450375)
    duckdb = pytest.importorskip("duckdb")
    arrow_targets = feather.read_table(store.root / "index" / "targets.arrow")  # noqa: F841  (DuckDB finds it by name)
    assert duckdb.sql("SELECT count(*) FROM arrow_targets").fetchall() == [(3,)]
