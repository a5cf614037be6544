"""JSON text built a column at a time from Arrow data, laid out exactly as orjson's two-space
indent writes a list of objects.

Turning 100k rows into Python dicts costs ~10 µs a row; encoding whole columns with orjson and
splicing the pieces with list slice assignments keeps the per-row work in C. The result is byte
for byte what ``orjson.dumps(list_of_dicts, option=orjson.OPT_INDENT_2)`` gives, so scripts see
no difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import orjson
import pyarrow as pa

INDENT = orjson.OPT_INDENT_2
# Rows encoded at a time: bounds the memory of a table of millions of rows.
JSON_BATCH_ROWS = 65_536
# How deep a member of an object inside a top-level array is indented.
_MEMBER_INDENT = b"\n    "
NULL = b"null"


def nested_json(value: object) -> bytes:
    """A nested value (object or list) as a member of an object in a top-level array: indented
    two levels deeper. JSON strings never hold a raw newline, so shifting lines is safe."""
    return orjson.dumps(value, option=INDENT).replace(b"\n", _MEMBER_INDENT)


def _split_array_text(text: bytes) -> list[bytes]:
    """The items of orjson's compact text of a list of numbers or booleans (no commas inside)."""
    inner = text[1:-1]
    return inner.split(b",") if inner else []


def json_values(column: pa.Array | pa.ChunkedArray) -> list[bytes]:
    """Each value of a column as JSON text: null for nulls and NaN (as orjson writes NaN)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_null(kind):
        return [NULL] * len(array)
    if pa.types.is_floating(kind):
        values = array.fill_null(np.nan).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        return _split_array_text(orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY))
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        filled = array.fill_null(False if pa.types.is_boolean(kind) else 0)
        texts = _split_array_text(
            orjson.dumps(filled.to_numpy(zero_copy_only=False), option=orjson.OPT_SERIALIZE_NUMPY)
        )
        return _with_nulls(texts, array)
    if _is_text(kind):
        return _distinct_texts(array.dictionary_encode(), b"")
    return [orjson.dumps(value) for value in array.to_pylist()]


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _distinct_texts(encoded: pa.DictionaryArray, prefix: bytes) -> list[bytes]:
    """Each row's ``prefix`` and value, each distinct value encoded once (bands, telescopes)."""
    distinct = [prefix + orjson.dumps(value) for value in encoded.dictionary.to_pylist()]
    indices = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    return np.array([*distinct, prefix + NULL], dtype=object)[indices].tolist()  # type: ignore[no-any-return]


class Member(NamedTuple):
    """One member of every object: its key and each row's JSON text. ``labelled`` values already
    start with the member's separator and key, so a row takes one piece for it instead of two."""

    key: str
    values: Sequence[bytes]
    labelled: bool = False


def json_member(key: str, column: pa.Array | pa.ChunkedArray, first: bool = False) -> Member:
    """A column as a member of every row. Text, and integers or flags with few distinct values
    (an upload id, a detection flag), come labelled, unless the member opens the object."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    countable = pa.types.is_integer(kind) or pa.types.is_boolean(kind)
    if first or not (_is_text(kind) or countable):
        return Member(key, json_values(array))
    encoded = array.dictionary_encode()
    if countable and len(encoded.dictionary) * 8 > len(array):
        return Member(key, json_values(array))
    return Member(key, _distinct_texts(encoded, b"," + _MEMBER_INDENT + orjson.dumps(key) + b": "), True)


def _with_nulls(texts: list[bytes], array: pa.Array) -> list[bytes]:
    if not array.null_count:
        return texts
    values = np.array(texts, dtype=object)
    values[~array.is_valid().to_numpy(zero_copy_only=False)] = NULL
    return values.tolist()  # type: ignore[no-any-return]


def object_rows(
    members: Sequence[Member | tuple[str, Sequence[bytes]]],
    rows: int,
    trailing: Sequence[bytes] | None = None,
) -> bytes:
    """``rows`` objects as items of an indented top-level array, separated by ``,\n``.

    ``members`` are (key, JSON text of each row's value) or :class:`Member`s, in output order
    (the first never labelled); ``trailing`` holds, per row, text placed after the last member
    (``b""`` or more members, each starting ``,``).
    """
    if rows == 0:
        return b""
    laid_out = [Member(*member) for member in members]
    if laid_out and laid_out[0].labelled:
        raise ValueError("the member that opens each object cannot come labelled")
    stride = sum(1 if member.labelled else 2 for member in laid_out) + 1
    parts: list[bytes] = [b""] * (rows * stride)
    slot = 0
    for member in laid_out:
        if not member.labelled:
            label = orjson.dumps(member.key) + b": "
            parts[slot::stride] = [(b",\n  {" if slot == 0 else b",") + _MEMBER_INDENT + label] * rows
            if slot == 0:
                parts[0] = b"  {" + _MEMBER_INDENT + label
            slot += 1
        parts[slot::stride] = member.values
        slot += 1
    closing = b"\n  }"
    parts[stride - 1 :: stride] = (
        [closing] * rows if trailing is None else [text + closing for text in trailing]
    )
    return b"".join(parts)


def json_array_pieces(bodies: Iterator[bytes]) -> Iterator[bytes]:
    """A whole indented JSON array from the bodies of :func:`object_rows` (empty ones skipped),
    piece by piece, ending with a newline; ``[]`` when there are none."""
    first = True
    for body in bodies:
        if not body:
            continue
        yield b"[\n" if first else b",\n"  # on its own: a body of megabytes is never copied
        yield body
        first = False
    yield b"[]\n" if first else b"\n]\n"


def table_json_pieces(
    table: pa.Table, body: Callable[[pa.Table], bytes], batch_rows: int = JSON_BATCH_ROWS
) -> Iterator[bytes]:
    """A table as one indented JSON array, ``batch_rows`` rows at a time; ``body`` turns a slice
    of the table into :func:`object_rows` text."""
    return json_array_pieces(
        body(table.slice(start, batch_rows)) for start in range(0, table.num_rows, batch_rows)
    )
