"""Bulk target import and export in TOM Toolkit's target CSV format, with undo.

The format: one column per target field (``name``, ``type``, ``ra``, ``dec``, ``epoch``,
``scheme``, orbital elements...), ``name2``, ``name3``... for aliases, ``groups`` for a
comma-separated list of target lists; any other column is an extra. tom-tui adds ``tags``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import Query

from tom_tui.clock import now_iso
from tom_tui.domain.target import NUMERIC_FIELDS, ORBITAL_FIELDS, SIDEREAL_FIELDS, Target, build_target
from tom_tui.errors import NotFoundError, TomError, ValidationError
from tom_tui.services.hooks import target_data_holders
from tom_tui.services.targets import AddOutcome, OnDuplicate, TargetService, add_targets, ensure_lists
from tom_tui.store.targets import TargetRepository

IMPORTS_TABLE = "imports"
_ALIAS_COLUMN = re.compile(r"^name\d+$")
_FIELD_COLUMNS = {"name", "type", "scheme", *NUMERIC_FIELDS}
# Columns TOM Toolkit writes that are derived from others and must not become extras.
_DERIVED_COLUMNS = {"galactic_lng", "galactic_lat", "id", "created", "modified"}

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    import_id: str
    source: str
    created: int = 0
    merged: int = 0
    skipped: int = 0
    invalid: list[str] = field(default_factory=list)
    outcomes: list[AddOutcome] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.source,
            "created": self.created,
            "merged": self.merged,
            "skipped": self.skipped,
            "invalid": self.invalid,
        }


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def read_target_csv(path: Path) -> tuple[list[Target], list[str], list[str]]:
    """Parse a target CSV into targets, their line labels, and one problem line per bad row."""
    targets: list[Target] = []
    labels: list[str] = []
    problems: list[str] = []
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationError(f"{path}: empty file; expected a header line with at least 'name'") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise ValidationError(f"{path}: line 1: not a CSV header ({error})") from None
        columns = [column.strip().lower() for column in header]
        if "name" not in columns:
            raise ValidationError(f"{path}: line 1: no 'name' column; columns are {', '.join(columns)}")
        duplicated = sorted({c for c in columns if columns.count(c) > 1 and c})
        if duplicated:
            raise ValidationError(f"{path}: line 1: column(s) {', '.join(duplicated)} appear more than once")
        alias_columns = sorted(
            (i for i, c in enumerate(columns) if _ALIAS_COLUMN.match(c)), key=lambda i: int(columns[i][4:])
        )
        field_columns = [(i, c) for i, c in enumerate(columns) if c in _FIELD_COLUMNS]
        extra_columns = [
            (i, header[i].strip())
            for i, c in enumerate(columns)
            if c
            and c not in _FIELD_COLUMNS
            and c not in _DERIVED_COLUMNS
            and c not in {"groups", "tags", "aliases"}
            and not _ALIAS_COLUMN.match(c)
        ]
        groups_column = columns.index("groups") if "groups" in columns else None
        tags_column = columns.index("tags") if "tags" in columns else None
        aliases_column = columns.index("aliases") if "aliases" in columns else None
        width = len(columns)
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != width:
                    problems.append(f"line {line}: {len(row)} values for {width} columns")
                    continue
                fields: dict[str, Any] = {c: row[i] for i, c in field_columns}
                aliases = [row[i].strip() for i in alias_columns if row[i].strip()]
                if aliases_column is not None:
                    aliases.extend(_split_list(row[aliases_column].replace(";", ",")))
                fields["aliases"] = aliases
                fields["lists"] = _split_list(row[groups_column]) if groups_column is not None else []
                fields["tags"] = _split_list(row[tags_column]) if tags_column is not None else []
                fields["extra"] = {name: row[i] for i, name in extra_columns if row[i].strip()}
                try:
                    targets.append(build_target(fields))
                    labels.append(f"line {line}")
                except ValidationError as error:
                    problems.extend(f"line {line}: {problem}" for problem in error.problems)
        except (csv.Error, UnicodeDecodeError) as error:
            problems.append(f"line {reader.line_num}: unreadable ({error})")
    return targets, labels, problems


class TargetImporter:
    def __init__(self, store_service: TargetService) -> None:
        self.service = store_service
        self.store = store_service.store

    def import_csv(
        self,
        path: Path,
        on_duplicate: OnDuplicate = OnDuplicate.ERROR,
        skip_invalid: bool = False,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import every target of a CSV in one transaction: all of it, or (on any error) none."""
        targets, labels, problems = read_target_csv(path)
        if problems and not skip_invalid:
            raise ValidationError(
                f"{path}: {len(problems)} problem(s); nothing was imported",
                [f"{path}: {problem}" for problem in problems],
            )
        with self.store.transaction() as tx:
            repo = TargetRepository(tx)
            merged_before: dict[int, dict[str, Any]] = {}
            try:
                outcomes = add_targets(
                    repo,
                    targets,
                    on_duplicate,
                    self.service.duplicate_radius_arcsec,
                    labels,
                    before_merge=lambda t: merged_before.setdefault(t.id or 0, t.to_document()),
                )
            except ValidationError as error:
                raise ValidationError(
                    f"{path}: {error}", [f"{path}: {problem}" for problem in error.problems]
                ) from None
            all_lists = sorted({name for target in targets for name in target.lists})
            lists_created = ensure_lists(tx, all_lists)
            import_number = tx.next_id("import")
            report = ImportReport(import_id=f"imp-{import_number}", source=str(path), invalid=problems)
            for outcome in outcomes:
                if outcome.action == "created":
                    report.created += 1
                elif outcome.action == "merged":
                    report.merged += 1
                else:
                    report.skipped += 1
            report.outcomes = outcomes
            tx.db("imports").table(IMPORTS_TABLE).insert(
                {
                    "import_id": report.import_id,
                    "source": str(Path(path).resolve()),
                    "created_at": now_iso(),
                    "created_ids": [o.target.id for o in outcomes if o.action == "created"],
                    "merged_before": {str(k): v for k, v in merged_before.items()},
                    "lists_created": lists_created,
                    "counts": report.to_json(),
                    "undone": False,
                }
            )
            repo.flush()
            if dry_run:
                raise _DryRun(report)
        return report

    def undo(self, import_id: str, force: bool = False) -> dict[str, Any]:
        """Remove the targets an import created and restore the ones it merged into."""
        with self.store.transaction() as tx:
            table = tx.db("imports").table(IMPORTS_TABLE)
            record = table.get(Query().import_id == import_id)
            if record is None or isinstance(record, list):
                raise NotFoundError(f"no import {import_id!r}; see `tom-tui target imports`")
            if record.get("undone"):
                raise ValidationError(f"import {import_id} was already undone")
            repo = TargetRepository(tx)
            existing_ids = set(repo.index.ids.tolist())
            created_ids = [i for i in record["created_ids"] if i in existing_ids]
            merged_before = {int(k): v for k, v in record["merged_before"].items()}
            changed_since = [
                target.name
                for target in repo.get_many([*created_ids, *merged_before])
                if (target.modified or "") > record["created_at"]
            ]
            if changed_since and not force:
                raise ValidationError(
                    f"import {import_id}: {len(changed_since)} target(s) changed since the import "
                    f"({', '.join(changed_since[:5])}); undo with --force to discard those changes"
                )
            for target_id in created_ids:
                for holder in target_data_holders():
                    holder.delete_target(tx, target_id)
            repo.delete_many(created_ids)
            restored = [Target.from_document(doc, target_id) for target_id, doc in merged_before.items()
                        if target_id in existing_ids]
            repo.replace_many(restored)
            table.update({"undone": True, "undone_at": now_iso()}, doc_ids=[record.doc_id])
            repo.flush()
        return {"import_id": import_id, "removed": len(created_ids), "restored": len(restored)}

    def imports(self) -> list[dict[str, Any]]:
        with self.store.read() as view:
            records = view.db("imports").table(IMPORTS_TABLE).all()
        return [
            {
                "import_id": r["import_id"],
                "source": r["source"],
                "created_at": r["created_at"],
                "undone": r.get("undone", False),
                **{k: r["counts"][k] for k in ("created", "merged", "skipped")},
            }
            for r in records
        ]


class _DryRun(TomError):
    """Raised inside the transaction to discard a dry-run import after counting it."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def dry_run_import(importer: TargetImporter, path: Path, on_duplicate: OnDuplicate, skip_invalid: bool) -> ImportReport:
    try:
        importer.import_csv(path, on_duplicate, skip_invalid, dry_run=True)
    except _DryRun as dry:
        return dry.report
    raise AssertionError("dry run committed")


def export_columns(targets: Sequence[Target]) -> list[str]:
    """Only columns some exported target has a value for (no empty junk columns)."""
    max_aliases = max((len(t.aliases) for t in targets), default=0)
    columns = ["name", "type"]
    for key in ("scheme", *SIDEREAL_FIELDS, *ORBITAL_FIELDS):
        if any(getattr(t, key) is not None for t in targets):
            columns.append(key)
    columns.extend(f"name{n}" for n in range(2, max_aliases + 2))
    if any(t.lists for t in targets):
        columns.append("groups")
    if any(t.tags for t in targets):
        columns.append("tags")
    extras: dict[str, None] = {}
    for target in targets:
        for key in target.extra:
            extras.setdefault(key, None)
    columns.extend(key for key in extras if key.lower() not in {c.lower() for c in columns})
    return columns


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_target_csv(path: Path, targets: Sequence[Target]) -> int:
    columns = export_columns(targets)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for target in targets:
            row: list[str] = []
            for column in columns:
                if column.startswith("name") and column[4:].isdigit():
                    position = int(column[4:]) - 2
                    row.append(target.aliases[position] if position < len(target.aliases) else "")
                elif column == "groups":
                    row.append(", ".join(target.lists))
                elif column == "tags":
                    row.append(", ".join(target.tags))
                elif column in Target.__dataclass_fields__:
                    row.append(_format(getattr(target, column)))
                else:
                    row.append(_format(target.extra.get(column)))
            writer.writerow(row)
    return len(targets)
