"""`tom-tui photometry TARGET --json`, built a column at a time: the same bytes as the list of
dicts it was built from before, for NaNs, limits, negative subtractions, extras and old files."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pyarrow as pa
import pytest
from click.testing import CliRunner

from tests.support.paths import ALERTS
from tom_tui.cli.main import cli
from tom_tui.domain.photometry import STORED_SCHEMA
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.photometry import reads
from tom_tui.services.photometry.reads import photometry_of, points_json_pieces, points_to_json
from tom_tui.store.store import Store

OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
# In this Fink transfer, ZTF26aamcamo's points are negative subtractions (isdiffpos 'f').
FINK_ZTF = ALERTS / "fink_datatransfer_ztf_part-3-305711_nocutouts.avro"


def before(table: pa.Table) -> bytes:
    """The output as it was built before: one dict per point, dumped whole."""
    return orjson.dumps(points_to_json(table), option=OPTIONS) + b"\n"


def test_nan_null_limits_flags_and_extras_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    nan = math.nan
    columns = {
        "target_id": [7, 7, 7, 7, 7],
        "mjd": [60000.1, 60000.2, 60000.3, 60000.4, 60000.5],
        "filter": ["ztfg", "ztfr", None, "ñ band", "ztfg"],
        "mag": [18.5, None, nan, None, 19.25],
        "magerr": [0.05, None, nan, None, 0.1],
        "limit": [None, 20.5, 21.0, 20.0, None],
        "flux": [144.5, -12.0, nan, 3.0, None],
        "fluxerr": [2.0, 3.0, nan, 1.5, None],
        "magsys": ["ab", "ab", None, "vega", "ab"],
        "telescope": ["P48", "P48", None, 'quote " tel', "P48"],
        "instrument": ["ZTF", None, None, "cam\tera", "ZTF"],
        "source": ["ztf-alert", "ztf-alert", "file", "file", "file"],
        "extra": [None, "", '{"seeing": 1.2, "note": "ñ", "nested": {"a": [1, {}]}}', "{}", None],
        "negative_subtraction": [False, True, None, False, None],
        "upload_id": [1, 1, None, 2, 3],
        "product_id": [None, None, 4, 5, None],
    }
    table = pa.table(columns, schema=STORED_SCHEMA)
    text = b"".join(points_json_pieces(table))
    assert text == before(table)
    monkeypatch.setattr(reads, "JSON_BATCH_ROWS", 2)  # pieces of two points: the joins between them
    assert b"".join(points_json_pieces(table)) == text
    points = orjson.loads(text)
    assert points[2]["mag"] is None and points[2]["detection"] is True  # a NaN magnitude, as before
    assert points[1]["negative_subtraction"] is True and points[1]["flux"] == -12.0
    assert "extra" not in points[1] and points[3]["extra"] == {}


def test_files_without_later_columns_read_as_before() -> None:
    table = pa.table({"mjd": [1.0, 2.0], "mag": [None, 17.0], "extra": pa.nulls(2, pa.string())})
    assert b"".join(points_json_pieces(table)) == before(table)
    empty = pa.table({"mjd": pa.array([], pa.float64())})
    assert b"".join(points_json_pieces(empty)) == before(empty) == b"[]\n"


def test_the_command_prints_real_alert_points_as_before(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    ingest_alert_files(store, [FINK_ZTF])
    _, table = photometry_of(store, "ZTF26aamcamo")
    result = CliRunner().invoke(cli, ["--store", str(store.root), "photometry", "ZTF26aamcamo", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == before(table)
    points = orjson.loads(result.stdout_bytes)
    assert any(p["negative_subtraction"] and p["mag"] is None for p in points)
    assert any(not p["detection"] and p["limit"] is not None for p in points)
