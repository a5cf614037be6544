"""The JSON photometry export, built a column at a time: what one dict per point gave before."""

from __future__ import annotations

import math
from pathlib import Path

import orjson
import pyarrow as pa

from tom_tui.domain.photometry import STORED_SCHEMA
from tom_tui.processing.photometry.export import EXPORT_COLUMNS, write_json


def before(table: pa.Table) -> bytes:
    """The export as it was written before: a dict per point, NaN made null, then ``detection``."""
    rows = table.select([c for c in EXPORT_COLUMNS if c in table.column_names]).to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
        row["detection"] = row.get("mag") is not None
    return orjson.dumps(rows, option=orjson.OPT_INDENT_2)


def test_points_of_several_targets_read_as_before(tmp_path: Path) -> None:
    stored = pa.table(
        {
            "target_id": [1, 1, 2, 2],
            "mjd": [60000.5, 60001.25, 59000.0, 59000.5],
            "filter": ["ztfg", "ztfr", "ñ", None],
            "mag": [18.5, math.nan, None, 20.0],
            "magerr": [0.1, math.nan, None, 0.2],
            "limit": [None, 20.5, 21.0, None],
            "flux": [144.5, -12.0, 3.0, None],
            "fluxerr": [2.0, 3.0, 1.5, None],
            "magsys": ["ab", "ab", "vega", "ab"],
            "telescope": ["P48", 'a "quoted"\\ one', None, "LT"],
            "instrument": ["ZTF", None, None, "IO:O"],
            "source": ["ztf-alert", "file", "file", "file"],
            "extra": [None, '{"a": 1}', None, None],
            "negative_subtraction": [False, True, None, False],
            "upload_id": [1, 1, None, 2],
            "product_id": [None, 3, 4, None],
        },
        schema=STORED_SCHEMA,
    )
    table = stored.append_column("target", pa.array(["SN 2026a", "SN 2026a", "AT ñ", "AT ñ"]))
    path = tmp_path / "points.json"
    write_json(table, path)
    assert path.read_bytes() == before(table) + b"\n"
    assert orjson.loads(path.read_bytes())[1]["detection"] is False  # a NaN magnitude is no detection
    write_json(table.slice(0, 0), path)
    assert orjson.loads(path.read_bytes()) == []
