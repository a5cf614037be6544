"""Bulk target import from TOM Toolkit target CSV files, as one transaction, with undo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import Query

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError, TomError, ValidationError
from tom_tui.domain.target import Target
from tom_tui.services.bulk import cyclic_gc_paused
from tom_tui.services.targets.csv_files import read_target_csv
from tom_tui.services.targets.hooks import target_data_holders
from tom_tui.services.targets.operations import (
    AddOutcome,
    OnDuplicate,
    TargetService,
    add_targets,
    ensure_lists,
)
from tom_tui.store.targets import TargetRepository

IMPORTS_TABLE = "imports"

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
        progress: Callable[[str], None] | None = None,
    ) -> ImportReport:
        """Import every target of a CSV in one transaction: all of it, or (on any error) none.

        ``progress`` hears about each stage (reading, duplicate checks, writing) as it starts."""
        with cyclic_gc_paused():
            return self._import_csv(path, on_duplicate, skip_invalid, dry_run, progress or (lambda _: None))

    def _import_csv(
        self,
        path: Path,
        on_duplicate: OnDuplicate,
        skip_invalid: bool,
        dry_run: bool,
        progress: Callable[[str], None],
    ) -> ImportReport:
        progress(f"reading {path}")
        targets, labels, problems = read_target_csv(path)
        progress(f"checking {len(targets):,} targets against the store for duplicates")
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
            report = _count_outcomes(
                ImportReport(import_id=f"imp-{tx.next_id('import')}", source=str(path), invalid=problems),
                outcomes,
            )
            tx.db("imports").table(IMPORTS_TABLE).insert(
                _import_record(report, path, merged_before, lists_created)
            )
            repo.flush()
            if not dry_run:
                progress(f"writing {report.created:,} new and {report.merged:,} merged targets")
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
            restored = [
                Target.from_document(doc, target_id)
                for target_id, doc in merged_before.items()
                if target_id in existing_ids
            ]
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


def _count_outcomes(report: ImportReport, outcomes: list[AddOutcome]) -> ImportReport:
    for outcome in outcomes:
        if outcome.action == "created":
            report.created += 1
        elif outcome.action == "merged":
            report.merged += 1
        else:
            report.skipped += 1
    report.outcomes = outcomes
    return report


def _import_record(
    report: ImportReport, path: Path, merged_before: dict[int, dict[str, Any]], lists_created: list[str]
) -> dict[str, Any]:
    """What ``undo`` needs: the targets created, the merged targets as they were, the lists made."""
    return {
        "import_id": report.import_id,
        "source": str(Path(path).resolve()),
        "created_at": now_iso(),
        "created_ids": [o.target.id for o in report.outcomes if o.action == "created"],
        "merged_before": {str(k): v for k, v in merged_before.items()},
        "lists_created": lists_created,
        "counts": report.to_json(),
        "undone": False,
    }


class _DryRun(TomError):
    """Raised inside the transaction to discard a dry-run import after counting it."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def dry_run_import(
    importer: TargetImporter, path: Path, on_duplicate: OnDuplicate, skip_invalid: bool
) -> ImportReport:
    try:
        importer.import_csv(path, on_duplicate, skip_invalid, dry_run=True)
    except _DryRun as dry:
        return dry.report
    raise AssertionError("dry run committed")
