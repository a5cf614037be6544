"""Columnar JSON text: byte for byte what orjson writes for the same rows as dicts."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pyarrow as pa
import pytest

from tom_tui.processing.arrow_json import (
    json_array_pieces,
    json_member,
    json_values,
    nested_json,
    object_rows,
)

OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY


def whole(bodies: list[bytes]) -> bytes:
    return b"".join(json_array_pieces(iter(bodies)))


def test_each_type_of_column_reads_as_its_python_values() -> None:
    columns: dict[str, pa.Array] = {
        "float": pa.array([1.5, None, math.nan, -0.0, 1e-7, 2.0**60, 58000.123456789]),
        "int": pa.array([1, None, -3, 2**53, 0, 7, 8], pa.int64()),
        "bool": pa.array([True, False, None, True, False, None, True]),
        "text": pa.array(["g", None, 'quote " and \\ back', "ñ 🚀", "\x07bell\ttab\nline", "g", ""]),
        "nulls": pa.nulls(7),
        "float32": pa.array([1.25, None, 3.5, 0.0, -1.0, 2.0, 4.0], pa.float32()),
    }
    for name, array in columns.items():
        texts = json_values(pa.chunked_array([array.slice(0, 3), array.slice(3)]))
        expected = [None if isinstance(v, float) and math.isnan(v) else v for v in array.to_pylist()]
        assert [orjson.loads(text) for text in texts] == expected, name
        assert texts == [orjson.dumps(value) for value in expected], name


def test_rows_are_laid_out_as_orjson_indents_a_list_of_objects() -> None:
    rng = np.random.default_rng(3)
    count = 257
    table = pa.table(
        {
            "mjd": rng.random(count) * 1000 + 58000,
            "band": rng.choice(["g", "r", "ñ"], count),
            "count": rng.integers(-5, 5, count),
        }
    )
    rows = table.to_pylist()
    extra = [
        {"note": f"row {i}", "list": [i, {"deep": True}], "empty": {}} if i % 7 == 0 else None
        for i in range(count)
    ]
    for row, value in zip(rows, extra, strict=True):
        if value is not None:
            row["extra"] = value
    trailing = [b"" if value is None else b',\n    "extra": ' + nested_json(value) for value in extra]
    members = [(name, json_values(table.column(name))) for name in table.column_names]
    in_two = [
        object_rows([(k, v[:100]) for k, v in members], 100, trailing[:100]),
        b"",
        object_rows([(k, v[100:]) for k, v in members], count - 100, trailing[100:]),
    ]
    assert whole(in_two) == orjson.dumps(rows, option=OPTIONS) + b"\n"


def test_no_rows_make_an_empty_array() -> None:
    assert whole([]) == b"[]\n" == orjson.dumps([], option=OPTIONS) + b"\n"
    assert object_rows([("a", [])], 0) == b""
    assert orjson.loads(whole([object_rows([("a", [b"1"])], 1)])) == [{"a": 1}]


def test_a_nested_value_is_indented_as_a_member() -> None:
    value = {"a": [1, 2], "b": {}, "c": []}
    text = b'[\n  {\n    "x": ' + nested_json(value) + b"\n  }\n]"
    assert text == orjson.dumps([{"x": value}], option=OPTIONS)


def test_columns_of_few_values_come_labelled_and_read_the_same() -> None:
    count = 300
    table = pa.table(
        {
            "mjd": np.arange(count) + 0.5,
            "band": pa.array([None if i % 11 == 0 else "gr"[i % 2] for i in range(count)]),
            "upload": pa.array([None if i % 13 == 0 else i % 3 for i in range(count)], pa.int64()),
            "flag": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(count)]),
            "row": pa.array(range(count), pa.int64()),  # every value distinct: not labelled
        }
    )
    members = [
        json_member(name, table.column(name), first=i == 0) for i, name in enumerate(table.column_names)
    ]
    assert [member.labelled for member in members] == [False, True, True, True, False]
    assert whole([object_rows(members, count)]) == orjson.dumps(table.to_pylist(), option=OPTIONS) + b"\n"
    with pytest.raises(ValueError, match="opens each object"):
        object_rows(members[1:], count)
