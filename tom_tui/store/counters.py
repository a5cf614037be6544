"""Where the records numbered by each id counter live, so that a lost or stale
``state/counters.json`` never hands out an id that is already taken.

The counters file is the fast path. When it is missing, lacks a counter, or names an id that a
stored record already carries (a file restored from an old backup), the next id is derived from
the records themselves. A counter with no known records is refused rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tom_tui.domain.errors import StoreError

if TYPE_CHECKING:
    from tom_tui.store.transaction import StoreView

HighestId = Callable[["StoreView"], int]
IdTaken = Callable[["StoreView", int], bool]


def _table_documents(view: StoreView, rel: str, table: str) -> dict[str, Any]:
    raw = view.read_json(rel)
    documents = raw.get(table) if isinstance(raw, dict) else None
    return documents if isinstance(documents, dict) else {}


def _highest_document_id(rel: str, table: str) -> HighestId:
    """Records kept as a TinyDB table whose document ids are the counter's ids."""

    def highest(view: StoreView) -> int:
        ids = [int(key) for key in _table_documents(view, rel, table) if key.isdigit()]
        return max(ids, default=0)

    return highest


def _document_id_taken(rel: str, table: str) -> IdTaken:
    def taken(view: StoreView, candidate: int) -> bool:
        return str(candidate) in _table_documents(view, rel, table)

    return taken


def _highest_target_id(view: StoreView) -> int:
    # targets.py builds on transactions, as this does; shards include their change logs.
    from tom_tui.store.targets import SHARD_COUNT, shard_documents, shard_of

    highest = 0
    for shard in range(SHARD_COUNT):
        documents = shard_documents(view, shard_of(shard))
        highest = max([highest, *(int(key) for key in documents if key.isdigit())])
    return highest


def _target_id_taken(view: StoreView, candidate: int) -> bool:
    # The shard is read by the insert anyway (and kept by the transaction), so this costs nothing.
    from tom_tui.store.targets import shard_documents, shard_of

    return str(candidate) in shard_documents(view, shard_of(candidate))


_NUMBERED_FILE = re.compile(r"^[du]-?0*(\d+)")


def _highest_upload_id(view: StoreView) -> int:
    """Upload records, and the photometry files named after uploads (kept even if a record is not)."""
    highest = _highest_document_id("db/photometry_uploads.json", "uploads")(view)
    for folder in view.list_dir("photometry"):
        for entry in view.list_dir(folder):
            found = _NUMBERED_FILE.match(entry.rsplit("/", 1)[-1])
            if found:
                highest = max(highest, int(found.group(1)))
    return highest


def _highest_import_number(view: StoreView) -> int:
    numbers = [
        int(document["import_id"][4:])
        for document in _table_documents(view, "db/imports.json", "imports").values()
        if isinstance(document, dict)
        and str(document.get("import_id", "")).startswith("imp-")
        and str(document["import_id"])[4:].isdigit()
    ]
    return max(numbers, default=0)


def _highest_frame_id(view: StoreView) -> int:
    from tom_tui.store.frames import highest_frame_id  # frames.py builds on transactions, as this does

    return highest_frame_id(view)


def _highest_reduction_run(view: StoreView) -> int:
    from tom_tui.store.reductions import highest_run_id  # builds on transactions, as this does

    return highest_run_id(view)


def _reduction_run_taken(view: StoreView, candidate: int) -> bool:
    from tom_tui.store.reductions import run_path

    return view.exists(run_path(candidate))


@dataclass(frozen=True)
class CounterRecords:
    """How to find the highest id in use (``highest`` reads every record) and whether one id is
    taken (``taken``: cheap enough to run for every new id)."""

    highest: HighestId
    taken: IdTaken


def _in_table(rel: str, table: str) -> CounterRecords:
    return CounterRecords(_highest_document_id(rel, table), _document_id_taken(rel, table))


COUNTER_RECORDS: dict[str, CounterRecords] = {
    "target": CounterRecords(_highest_target_id, _target_id_taken),
    "dataproduct": _in_table("db/dataproducts.json", "products"),
    "photometry_upload": CounterRecords(
        _highest_upload_id, _document_id_taken("db/photometry_uploads.json", "uploads")
    ),
    "spectrum": _in_table("db/spectra.json", "spectra"),
    "observation": _in_table("db/observations.json", "observations"),
    "observation_cadence": _in_table("db/observation_cadences.json", "cadences"),
    "job_run": _in_table("db/job_runs.json", "runs"),
    "import": CounterRecords(
        _highest_import_number, lambda view, candidate: _highest_import_number(view) >= candidate
    ),
    "frame": CounterRecords(_highest_frame_id, lambda view, candidate: _highest_frame_id(view) >= candidate),
    "reduction_run": CounterRecords(_highest_reduction_run, _reduction_run_taken),
}


def last_used_id(view: StoreView, counter: str, counters: dict[str, Any] | None) -> int:
    """The last id ``counter`` handed out, checked against the records that carry its ids.

    ``counters`` is the content of the counters file, or None when the file is missing."""
    counted = None if counters is None or counter not in counters else int(counters[counter])
    records = COUNTER_RECORDS.get(counter)
    if records is None:
        if counters is None and _store_has_records(view):
            raise StoreError(
                f"{view.root / 'state/counters.json'}: missing, and the records numbered by counter "
                f"{counter!r} are unknown; restore the file from a backup rather than reuse ids"
            )
        return counted or 0
    if counted is None:
        return records.highest(view)
    if records.taken(view, counted + 1):
        return max(counted, records.highest(view))
    return counted


def _store_has_records(view: StoreView) -> bool:
    """Whether the store holds any numbered record (a fresh store may start any counter at 1)."""
    return any(records.taken(view, 1) for records in COUNTER_RECORDS.values()) or bool(
        view.list_dir("db/targets")
    )
