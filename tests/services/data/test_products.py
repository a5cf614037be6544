"""Photometry and data products in the store: upload, dedup, undo, summaries, atomicity, hooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.support.paths import PHOTOMETRY
from tests.support.stores import snapshot
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint, with_target_ids
from tom_tui.processing.dataproducts import ProcessOptions
from tom_tui.processing.photometry import ReadOptions, read_photometry
from tom_tui.processing.photometry.timeformat import TimeFormat
from tom_tui.services.data import products as data_service
from tom_tui.services.photometry.ingest import ingest, ingest_points
from tom_tui.services.photometry.reads import photometry_summary, target_photometry
from tom_tui.services.targets.operations import TargetService
from tom_tui.store import photometry as photometry_store
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

ATLAS = PHOTOMETRY / "tom_base_test_atlas_fp.csv"
TOM_SAMPLE = PHOTOMETRY / "tom_base_photometry_sample.csv"


def upload(store: Store, target: str, path: Path, **kwargs: object) -> data_service.UploadOutcome:
    return data_service.upload_data_product(store, target, path, "photometry", **kwargs)  # type: ignore[arg-type]


def points(store: Store, target: str) -> pa.Table:
    return data_service.photometry_of(store, target)[1]


def summary_of(store: Store, target: str) -> dict[str, object]:
    with store.read() as view:
        target_id = TargetRepository(view).resolve(target).id
        rows = [row for row in photometry_summary(view).to_pylist() if row["target_id"] == target_id]
    return rows[0] if rows else {}


def test_upload_copies_file_and_stores_points(store: Store) -> None:
    outcome = upload(store, "ATLAS24xyz", ATLAS)  # resolved through the alias
    product = outcome.product
    assert product.type == "photometry" and product.original_name == ATLAS.name
    stored_file = store.root / product.path
    assert stored_file.read_bytes() == ATLAS.read_bytes()
    assert product.path.startswith("data/1/") and product.upload_id == outcome.ingest.upload_id  # type: ignore[union-attr]
    table = points(store, "SN 2024abc")
    expected = read_photometry(ATLAS).table
    assert table.num_rows == 32
    assert table.column("mjd").to_pylist() == sorted(expected.column("mjd").to_pylist())
    assert set(table.column("upload_id").to_pylist()) == {outcome.ingest.upload_id}  # type: ignore[union-attr]


def test_summary_matches_the_file(store: Store) -> None:
    upload(store, "SN 2024abc", ATLAS)
    expected = read_photometry(ATLAS).table
    mjd = np.asarray(expected.column("mjd").to_numpy())
    mag = np.asarray(expected.column("mag").to_numpy(zero_copy_only=False), dtype=float)
    detected = ~np.isnan(mag)
    summary = summary_of(store, "SN 2024abc")
    assert summary["n_points"] == 32 and summary["n_detections"] == int(detected.sum())
    assert summary["first_det_mjd"] == mjd[detected].min()
    assert summary["last_det_mjd"] == mjd[detected].max()
    assert summary["peak_mag"] == pytest.approx(np.nanmin(mag))
    assert summary["last_det_mag"] == pytest.approx(mag[detected][np.argmax(mjd[detected])])
    assert summary["filters"][0]["filter"] == "atlaso"  # type: ignore[index]


def test_summary_per_filter_and_limits_only(store: Store) -> None:
    upload(store, "SN 2024abc", TOM_SAMPLE)
    summary = summary_of(store, "SN 2024abc")
    per_filter = {row["filter"]: row for row in summary["filters"]}  # type: ignore[union-attr]
    assert per_filter["B"]["n_points"] == 2 and per_filter["B"]["n_detections"] == 1
    assert per_filter["r"]["peak_mag"] == 15.582
    assert summary["peak_mag"] == 15.582 and summary["peak_filter"] == "r"


def test_duplicate_points_error_leaves_store_unchanged(store: Store) -> None:
    upload(store, "SN 2024abc", TOM_SAMPLE)
    before = snapshot(store)
    with pytest.raises(
        ValidationError, match=r"line 2: point at MJD 55959.06999999983 in filter r is already stored"
    ):
        upload(store, "SN 2024abc", TOM_SAMPLE, allow_same_file=True)
    assert snapshot(store) == before


def test_same_file_twice_is_refused(store: Store) -> None:
    upload(store, "SN 2024abc", TOM_SAMPLE)
    with pytest.raises(ValidationError, match="already uploaded to SN 2024abc as data product 1"):
        upload(store, "SN 2024abc", TOM_SAMPLE)


def test_ignore_and_update_policies_then_undo_restores(store: Store) -> None:
    first = upload(store, "SN 2024abc", TOM_SAMPLE)
    ignored = upload(
        store, "SN 2024abc", TOM_SAMPLE, allow_same_file=True, dedup=DedupPolicy(OnDuplicatePoint.IGNORE)
    )
    assert ignored.ingest is not None and ignored.ingest.added == 0 and ignored.ingest.duplicates_skipped == 4
    updated = upload(
        store, "SN 2024abc", TOM_SAMPLE, allow_same_file=True, dedup=DedupPolicy(OnDuplicatePoint.UPDATE)
    )
    assert updated.ingest is not None and updated.ingest.replaced == 4
    table = points(store, "SN 2024abc")
    assert table.num_rows == 4 and set(table.column("upload_id").to_pylist()) == {updated.ingest.upload_id}
    data_service.undo_photometry_upload(store, updated.ingest.upload_id)
    table = points(store, "SN 2024abc")
    assert table.num_rows == 4 and set(table.column("upload_id").to_pylist()) == {first.ingest.upload_id}  # type: ignore[union-attr]


def test_mjd_match_skips_or_clobbers(store: Store, tmp_path: Path) -> None:
    upload(store, "SN 2024abc", TOM_SAMPLE)
    near = tmp_path / "near.csv"
    near.write_text(
        "time,filter,magnitude,error,source\n55959.0705,r,15.9,0.01,ZTF\n55970.0,r,16.2,0.01,ZTF\n"
    )
    skipped = upload(store, "SN 2024abc", near, dedup=DedupPolicy(mjd_match_days=0.01))
    assert skipped.ingest is not None and (skipped.ingest.added, skipped.ingest.duplicates_skipped) == (1, 1)
    data_service.undo_photometry_upload(store, skipped.ingest.upload_id)
    clobbered = upload(
        store, "SN 2024abc", near, allow_same_file=True, dedup=DedupPolicy(mjd_match_days=0.01, clobber=True)
    )
    assert clobbered.ingest is not None and clobbered.ingest.replaced == 1
    r_band = [row for row in points(store, "SN 2024abc").to_pylist() if row["filter"] == "r"]
    assert [row["mag"] for row in r_band] == [15.9, 16.2]


def test_undo_removes_exactly_one_upload(store: Store) -> None:
    first = upload(store, "SN 2024abc", ATLAS)
    second = upload(store, "SN 2024abc", TOM_SAMPLE)
    assert points(store, "SN 2024abc").num_rows == 36
    data_service.undo_photometry_upload(store, second.ingest.upload_id)  # type: ignore[union-attr]
    table = points(store, "SN 2024abc")
    assert table.num_rows == 32 and set(table.column("upload_id").to_pylist()) == {first.ingest.upload_id}  # type: ignore[union-attr]
    assert summary_of(store, "SN 2024abc")["n_points"] == 32
    with pytest.raises(NotFoundError, match="upload 2 does not exist"):
        data_service.undo_photometry_upload(store, 2)
    data_service.undo_photometry_upload(store, first.ingest.upload_id)  # type: ignore[union-attr]
    assert points(store, "SN 2024abc").num_rows == 0 and summary_of(store, "SN 2024abc") == {}


def test_bad_file_stores_nothing(store: Store, tmp_path: Path) -> None:
    upload(store, "SN 2024abc", ATLAS)
    before = snapshot(store)
    bad = tmp_path / "bad.csv"
    shutil.copy(TOM_SAMPLE, bad)
    with open(bad, "a") as handle:
        handle.write("2459960.5,g,17.0,0.1,,Me\n")
    with pytest.raises(ValidationError, match=r"bad.csv: line 6: time: 2459960.5 is not an MJD"):
        upload(store, "SN 2024abc", bad)
    assert snapshot(store) == before


def test_failure_after_copy_rolls_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash inside the transaction (after the file was staged) leaves no product and no rows."""
    before = snapshot(store)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(photometry_store, "write_summaries", explode)
    with pytest.raises(RuntimeError):
        upload(store, "SN 2024abc", ATLAS)
    assert snapshot(store) == before


def test_delete_product_removes_file_and_points(store: Store) -> None:
    keep = upload(store, "SN 2024abc", ATLAS)
    gone = upload(store, "SN 2024abc", TOM_SAMPLE)
    data_service.delete_product(store, gone.product.id)
    assert not (store.root / gone.product.path).exists()
    assert points(store, "SN 2024abc").num_rows == 32
    assert [p.id for p in data_service.list_products(store, "SN 2024abc")] == [keep.product.id]
    with pytest.raises(NotFoundError):
        data_service.get_product(store, gone.product.id)


def test_unknown_type_and_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="data type 'lightcurve' has no processor"):
        data_service.upload_data_product(store, "SN 2024abc", ATLAS, "lightcurve")
    with pytest.raises(ValidationError, match="no such file"):
        upload(store, "SN 2024abc", tmp_path / "missing.csv")
    with pytest.raises(NotFoundError, match="no target named 'SN 1987A'"):
        upload(store, "SN 1987A", ATLAS)


def test_safe_names_never_escape_the_store(store: Store, tmp_path: Path) -> None:
    weird = tmp_path / "..evil name;rm -rf.csv"
    shutil.copy(TOM_SAMPLE, weird)
    outcome = upload(store, "SN 2024abc", weird)
    assert outcome.product.path == "data/1/1-evil_name_rm_-rf.csv"
    assert outcome.product.original_name == "..evil name;rm -rf.csv"
    assert (store.root / outcome.product.path).resolve().is_relative_to(store.root)


def test_target_delete_and_merge_carry_the_data(store: Store) -> None:
    upload(store, "SN 2024abc", ATLAS)
    upload(store, "ZTF21aaqjmps", PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv")
    service = TargetService(store)
    service.merge("ZTF21aaqjmps", "SN 2024abc")
    merged = points(store, "ZTF21aaqjmps")
    assert merged.num_rows == 174 + 32 and set(merged.column("target_id").to_pylist()) == {2}
    assert summary_of(store, "ZTF21aaqjmps")["n_points"] == 206
    products = data_service.list_products(store, "ZTF21aaqjmps")
    assert len(products) == 2 and all((store.root / p.path).exists() for p in products)
    assert all(p.path.startswith("data/2/") for p in products)
    service.delete("ZTF21aaqjmps")
    with store.read() as view:
        assert photometry_store.read_points(view, 2).num_rows == 0
        assert photometry_summary(view).num_rows == 0
    assert data_service.list_products(store) == []
    assert not list((store.root / "data").rglob("*.csv"))


def test_many_uploads_compact_the_bucket(store: Store) -> None:
    table = read_photometry(ATLAS).table
    upload_ids = []
    with store.transaction() as tx:
        for index in range(12):
            shifted = table.set_column(0, "mjd", pa.array(table.column("mjd").to_numpy() + index))
            upload_ids.append(ingest_points(tx, 1, shifted, source=f"part{index}").upload_id)
    with store.read() as view:
        files = [rel.rsplit("/", 1)[1] for rel in view.list_dir("photometry/b001")]
        assert "main.parquet" in files and len(files) <= photometry_store.COMPACT_AFTER_DELTAS + 1
        stored = target_photometry(view, 1)
    assert stored.num_rows == 12 * 32
    assert stored.column("mjd").to_pylist() == sorted(stored.column("mjd").to_pylist())
    data_service.undo_photometry_upload(store, upload_ids[5])
    assert points(store, "SN 2024abc").num_rows == 11 * 32


def test_reading_one_target_among_many(store: Store) -> None:
    rng = np.random.default_rng(1)
    empty = read_photometry(ATLAS).table.slice(0, 0)
    batch = []
    for target_id in range(1, 600):
        rows = pa.table(
            {
                "mjd": pa.array(60000 + rng.random(5) * 100),
                "filter": pa.array(["g"] * 5),
                "mag": pa.array(18 + rng.random(5)),
            }
        )
        batch.append(with_target_ids(pa.concat_tables([empty, _fill(rows, empty.schema)]), target_id))
    with store.transaction() as tx:
        outcome = ingest(tx, pa.concat_tables(batch), policy=DedupPolicy(), source="synthetic")
    # One upload for all 599 targets.
    assert outcome.upload_id is not None and [t.target_id for t in outcome.targets] == list(range(1, 600))
    with store.read() as view:
        one = photometry_store.read_points(view, 300)
        several = photometry_store.read_points_many(view, [44, 300, 556])
        assert photometry_summary(view).num_rows == 599
    assert one.num_rows == 5 and set(one.column("target_id").to_pylist()) == {300}
    assert several.column("target_id").to_pylist() == [44] * 5 + [300] * 5 + [556] * 5
    data_service.undo_photometry_upload(store, outcome.upload_id)
    with store.read() as view:
        assert photometry_store.read_points_many(view, range(1, 600)).num_rows == 0


def _fill(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = {}
    for field in schema:
        columns[field.name] = (
            rows.column(field.name)
            if field.name in rows.column_names
            else pa.nulls(rows.num_rows, field.type)
        )
    return pa.table(columns, schema=schema)


def test_process_options_reach_the_reader(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("when,band,m\n2459000.5,V,14.2\n")
    options = ProcessOptions(
        photometry=ReadOptions(columns={"time": "when", "mag": "m", "filter": "band"}, time_format=None)
    )
    with pytest.raises(ValidationError, match="format of time column 'when' is unknown"):
        upload(store, "SN 2024abc", path, options=options)
    options.photometry.time_format = TimeFormat.JD
    outcome = upload(store, "SN 2024abc", path, options=options)
    assert outcome.ingest is not None and points(store, "SN 2024abc").column("mjd").to_pylist() == [59000.0]


def test_concurrent_uploads_from_several_processes(store: Store, tmp_path: Path) -> None:
    """Four `tom-tui data upload` processes at once on one target: every point of every file kept."""
    import subprocess
    import sys

    files = []
    for number in range(4):
        path = tmp_path / f"night{number}.csv"
        rows = "\n".join(
            f"{60000 + number + k / 100:.5f},g,{18 + k / 100:.3f},0.05,,cam{number}" for k in range(50)
        )
        path.write_text("time,filter,magnitude,error,limit,source\n" + rows + "\n")
        files.append(path)
    command = [sys.executable, "-m", "tom_tui.cli.main"]
    processes = [
        subprocess.Popen(
            [
                *command,
                "--store",
                str(store.root),
                "data",
                "upload",
                "SN 2024abc",
                str(path),
                "--type",
                "photometry",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in files
    ]
    for process in processes:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err.decode()
    table = points(store, "SN 2024abc")
    assert table.num_rows == 200
    assert sorted(set(table.column("upload_id").to_pylist())) == [1, 2, 3, 4]
    assert summary_of(store, "SN 2024abc")["n_points"] == 200


def test_processors_are_plugins_by_type(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tom_tui.processing.dataproducts import DataProcessor, ProcessedData
    from tom_tui.services import plugins

    names = set(plugins.plugin_names(plugins.PROCESSORS))
    assert {"photometry", "spectroscopy", "image_file", "other"} <= names

    class LineCounter(DataProcessor):
        def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
            return ProcessedData(details={"lines": len(path.read_text().splitlines())})

    monkeypatch.setitem(plugins.PROCESSORS.builtins, "log", LineCounter)
    log = tmp_path / "night.log"
    log.write_text("open dome\nexpose\nclose dome\n")
    outcome = data_service.upload_data_product(store, "SN 2024abc", log, "log")
    assert outcome.product.type == "log" and outcome.product.details == {"lines": 3}


def test_undo_in_any_order_never_resurrects_rows(store: Store) -> None:
    first = upload(store, "SN 2024abc", TOM_SAMPLE)
    second = upload(
        store, "SN 2024abc", TOM_SAMPLE, allow_same_file=True, dedup=DedupPolicy(OnDuplicatePoint.UPDATE)
    )
    assert first.ingest is not None and second.ingest is not None
    data_service.undo_photometry_upload(store, first.ingest.upload_id)  # its rows were replaced already
    assert points(store, "SN 2024abc").num_rows == 4
    data_service.undo_photometry_upload(store, second.ingest.upload_id)
    # The first upload was undone: undoing the second must not bring its rows back.
    assert points(store, "SN 2024abc").num_rows == 0
    assert not (store.root / "undo" / "photometry").exists() or not any(
        (store.root / "undo" / "photometry").iterdir()
    )
