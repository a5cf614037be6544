"""Reading and writing TOM Toolkit target CSV files.

The format: one column per target field (``name``, ``type``, ``ra``, ``dec``, ``epoch``,
``scheme``, orbital elements...), ``name2``, ``name3``... for aliases; any other column is an
extra. tom-tui adds ``lists`` (target lists) and ``tags``, each a comma-separated cell in which
an item holding a comma is quoted the CSV way (``"Ia, peculiar", bright``). TOM Toolkit reads a
``groups`` column as permission groups, so tom-tui writes its lists as ``lists`` (an extra there)
and reads ``groups`` as lists only on the way in.

Files of 100k+ rows are common (survey exports), so numeric columns are checked a whole column
at a time; any row the column check cannot vouch for goes through :func:`build_target`, the one
place that decides validity and words the error messages.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.target import (
    NUMERIC_FIELDS,
    ORBITAL_FIELDS,
    SIDEREAL,
    SIDEREAL_FIELDS,
    Target,
    build_target,
    parse_extra_value,
    simplify_name,
)

_ALIAS_COLUMN = re.compile(r"^name\d+$")
_FIELD_COLUMNS = {"name", "type", "scheme", *NUMERIC_FIELDS}
# Columns TOM Toolkit writes that are derived from others and must not become extras.
_DERIVED_COLUMNS = {"galactic_lng", "galactic_lat", "id", "created", "modified"}
_LIST_COLUMNS = {"groups", "lists", "tags", "aliases"}
_BLANK_TARGET: dict[str, Any] = {f.name: None for f in dataclass_fields(Target)}

typed_extra = lru_cache(maxsize=1 << 16)(parse_extra_value)


def _split_list(value: str) -> list[str]:
    """The items of a list cell; an item in double quotes may hold commas."""
    if '"' not in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    try:
        items = next(csv.reader([value], skipinitialspace=True))
    except csv.Error:
        items = value.split(",")
    return [item.strip() for item in items if item.strip()]


def _join_list(items: Sequence[str]) -> str:
    """A list cell that :func:`_split_list` reads back item for item."""
    return ", ".join(
        '"' + item.replace('"', '""') + '"' if ("," in item or '"' in item) else item for item in items
    )


def _numeric_column(cells: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Values of a column and which cells are plain finite numbers or empty (NaN)."""
    stripped = [cell.strip() for cell in cells]
    empty = np.array([not cell for cell in stripped], dtype=bool)
    try:
        values = np.array([cell or "nan" for cell in stripped], dtype=np.float64)
        good = np.isfinite(values) | empty
    except ValueError:
        values = np.full(len(stripped), np.nan)
        good = empty.copy()
        for row, cell in enumerate(stripped):
            if cell:
                try:
                    values[row] = float(cell)
                    good[row] = bool(np.isfinite(values[row]))
                except ValueError:
                    good[row] = False
    return values, good


def read_target_csv(path: Path) -> tuple[list[Target], list[str], list[str]]:
    """Parse a target CSV into targets, their line labels, and one problem line per bad row."""
    if not Path(path).is_file():
        raise ValidationError(f"{path}: no such file")
    problems: list[str] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationError(
                f"{path}: empty file; expected a header line with at least 'name'"
            ) from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise ValidationError(f"{path}: line 1: not a CSV header ({error})") from None
        columns = [column.strip().lower() for column in header]
        if "name" not in columns:
            raise ValidationError(f"{path}: line 1: no 'name' column; columns are {', '.join(columns)}")
        duplicated = sorted({c for c in columns if columns.count(c) > 1 and c})
        if duplicated:
            raise ValidationError(f"{path}: line 1: column(s) {', '.join(duplicated)} appear more than once")
        width = len(columns)
        try:
            for row in reader:
                if len(row) != width:
                    if "".join(row).strip():
                        problems.append(f"line {reader.line_num}: {len(row)} values for {width} columns")
                    continue
                rows.append(row)
                lines.append(reader.line_num)
        except (csv.Error, UnicodeDecodeError) as error:
            problems.append(f"line {reader.line_num}: unreadable ({error})")
    targets, labels, row_problems = _rows_to_targets(header, columns, rows, lines)
    return targets, labels, problems + row_problems


@dataclass(frozen=True)
class _CsvLayout:
    """Where each kind of value stands in a target CSV's rows."""

    name_column: int
    field_columns: list[tuple[int, str]]  # (position, target field)
    alias_columns: list[int]  # name2, name3... in number order
    extra_columns: list[tuple[int, str]]  # (position, extra key as the header spells it)
    groups_column: int | None  # target lists, as TOM Toolkit-style files call them
    lists_column: int | None
    tags_column: int | None
    aliases_column: int | None


def _csv_layout(header: list[str], columns: list[str]) -> _CsvLayout:
    def position(name: str) -> int | None:
        return columns.index(name) if name in columns else None

    return _CsvLayout(
        name_column=columns.index("name"),
        field_columns=[(i, c) for i, c in enumerate(columns) if c in _FIELD_COLUMNS],
        alias_columns=sorted(
            (i for i, c in enumerate(columns) if _ALIAS_COLUMN.match(c)), key=lambda i: int(columns[i][4:])
        ),
        extra_columns=[
            (i, header[i].strip())
            for i, c in enumerate(columns)
            if c
            and c not in _FIELD_COLUMNS
            and c not in _DERIVED_COLUMNS
            and c not in _LIST_COLUMNS
            and not _ALIAS_COLUMN.match(c)
        ],
        groups_column=position("groups"),
        lists_column=position("lists"),
        tags_column=position("tags"),
        aliases_column=position("aliases"),
    )


def _plain_rows(
    layout: _CsvLayout, rows: list[list[str]], width: int
) -> tuple[npt.NDArray[np.bool_], dict[str, list[float]]]:
    """Which rows are plain sidereal targets with plain numbers (those skip build_target), and the
    numeric columns as lists (NaN for an empty cell)."""
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    plain = np.ones(len(rows), dtype=bool)
    numbers: dict[str, npt.NDArray[np.float64]] = {}
    for index, column in layout.field_columns:
        cells = by_column[index]
        if column in NUMERIC_FIELDS:
            values, good = _numeric_column(cells)
            numbers[column] = values
            plain &= good
        elif column == "type":
            plain &= np.array([cell.strip().upper() in ("", SIDEREAL) for cell in cells], dtype=bool)
        elif column == "scheme":
            plain &= np.array([not cell.strip() for cell in cells], dtype=bool)
        elif column == "name":
            plain &= np.array([bool(cell.strip()) for cell in cells], dtype=bool)
    if "ra" in numbers and "dec" in numbers:
        ra, dec = numbers["ra"], numbers["dec"]
        with np.errstate(invalid="ignore"):
            plain &= (ra >= 0.0) & (ra < 360.0) & (dec >= -90.0) & (dec <= 90.0)
    else:
        plain[:] = False
    return plain, {column: values.tolist() for column, values in numbers.items()}


def _rows_to_targets(
    header: list[str], columns: list[str], rows: list[list[str]], lines: list[int]
) -> tuple[list[Target], list[str], list[str]]:
    layout = _csv_layout(header, columns)
    plain, numeric_lists = _plain_rows(layout, rows, len(columns))
    # Local names: this loop runs once per row of files with 100k+ rows.
    alias_columns, aliases_column = layout.alias_columns, layout.aliases_column
    list_columns = [column for column in (layout.groups_column, layout.lists_column) if column is not None]
    tags_column = layout.tags_column
    name_column, extra_columns = layout.name_column, layout.extra_columns
    targets: list[Target] = []
    labels: list[str] = []
    problems: list[str] = []
    for position, row in enumerate(rows):
        line = lines[position]
        aliases = [cell for cell in (row[i].strip() for i in alias_columns) if cell]
        if aliases_column is not None:
            cell = row[aliases_column]
            aliases.extend(_split_list(cell if '"' in cell else cell.replace(";", ",")))
        lists = [item for column in list_columns for item in _split_list(row[column])]
        tags = _split_list(row[tags_column]) if tags_column is not None else []
        if not plain[position]:
            if "".join(row).strip():
                try:
                    targets.append(_validated_row(layout, row, aliases, lists, tags))
                    labels.append(f"line {line}")
                except ValidationError as error:
                    problems.extend(f"line {line}: {problem}" for problem in error.problems)
            continue
        target = Target.__new__(Target)
        state = dict(_BLANK_TARGET)
        for column, values in numeric_lists.items():
            value = values[position]
            if value == value:  # not NaN: NaN marks an empty cell here
                state[column] = value
        name = row[name_column].strip()
        state["name"] = name
        state["type"] = SIDEREAL
        state["aliases"] = _unique_aliases(name, aliases)
        state["tags"] = tags if len(tags) < 2 else list(dict.fromkeys(tags))
        state["lists"] = lists if len(lists) < 2 else list(dict.fromkeys(lists))
        state["extra"] = {key: typed_extra(row[i]) for i, key in extra_columns if row[i].strip()}
        target.__dict__.update(state)
        targets.append(target)
        labels.append(f"line {line}")
    return targets, labels, problems


def _validated_row(
    layout: _CsvLayout, row: list[str], aliases: list[str], lists: list[str], tags: list[str]
) -> Target:
    """A row that is not plain goes through build_target, which raises on a bad value."""
    fields: dict[str, Any] = {c: row[i] for i, c in layout.field_columns}
    fields.update(
        aliases=aliases,
        lists=lists,
        tags=tags,
        extra={name: row[i] for i, name in layout.extra_columns if row[i].strip()},
    )
    return build_target(fields)


def _unique_aliases(name: str, aliases: list[str]) -> list[str]:
    if not aliases:
        return []
    own = simplify_name(name)
    unique = aliases if len(aliases) < 2 else list(dict.fromkeys(aliases))
    return [alias for alias in unique if simplify_name(alias) != own]


class ExportColumns:
    """The columns of an export, learnt from its targets one at a time (in any order): only
    columns some exported target has a value for (no empty junk columns); extras in the order
    they first appear in the export."""

    def __init__(self) -> None:
        self.fields: set[str] = set()
        self.max_aliases = 0
        self.has_lists = False
        self.has_tags = False
        self.extras: dict[str, tuple[int, int]] = {}  # key -> (first row holding it, place there)

    def add(self, fields: Mapping[str, Any], row: int) -> None:
        """A target's fields (a :class:`Target`'s or its stored document), at ``row`` of the export."""
        for key in _EXPORTED_FIELDS:
            if fields.get(key) is not None:
                self.fields.add(key)
        self.max_aliases = max(self.max_aliases, len(fields.get("aliases") or ()))
        self.has_lists = self.has_lists or bool(fields.get("lists"))
        self.has_tags = self.has_tags or bool(fields.get("tags"))
        for place, key in enumerate(fields.get("extra") or {}):
            first = self.extras.get(key)
            if first is None or first > (row, place):
                self.extras[key] = (row, place)

    def columns(self) -> list[str]:
        columns = ["name", "type", *(key for key in _EXPORTED_FIELDS if key in self.fields)]
        columns.extend(f"name{n}" for n in range(2, self.max_aliases + 2))
        if self.has_lists:
            columns.append("lists")
        if self.has_tags:
            columns.append("tags")
        taken = {c.lower() for c in columns}
        ordered = sorted(self.extras, key=self.extras.__getitem__)
        columns.extend(key for key in ordered if key.lower() not in taken)
        return columns


_EXPORTED_FIELDS = ("scheme", *SIDEREAL_FIELDS, *ORBITAL_FIELDS)


def export_columns(targets: Sequence[Target]) -> list[str]:
    """Only columns some exported target has a value for (no empty junk columns)."""
    survey = ExportColumns()
    for row, target in enumerate(targets):
        survey.add(target.__dict__, row)
    return survey.columns()


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_cells(columns: Sequence[str], fields: Mapping[str, Any]) -> list[str]:
    """One target's CSV line, from a :class:`Target`'s fields or its stored document."""
    aliases = fields.get("aliases") or ()
    extra = fields.get("extra") or {}
    row: list[str] = []
    for column in columns:
        if column.startswith("name") and column[4:].isdigit():
            position = int(column[4:]) - 2
            row.append(aliases[position] if position < len(aliases) else "")
        elif column in ("lists", "tags"):
            row.append(_join_list(fields.get(column) or ()))
        elif column in Target.__dataclass_fields__:
            row.append(_format(fields.get(column)))
        else:
            row.append(_format(extra.get(column)))
    return row


def write_target_csv(path: Path, targets: Sequence[Target]) -> int:
    columns = export_columns(targets)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(csv_cells(columns, target.__dict__) for target in targets)
    return len(targets)
