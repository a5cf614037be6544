"""Observation records, request templates, cadences and follow-up firings, in the store.

Each kind is one TinyDB file (``db/observations.json``, ``db/observation_templates.json``,
``db/observation_cadences.json``, ``db/followup.json``): a few thousand requests make a file of
a few MB, read in milliseconds, and one update of many requests is one write. Raw frames live
under ``raw/<telescope>/<night>/`` and are linked through data product records.
"""

from __future__ import annotations

from typing import Any

from tinydb.table import Document

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.observations import Cadence, ObservationRecord, Template
from tom_tui.store.transaction import StoreView, Transaction

OBSERVATIONS_DB = "observations"
TEMPLATES_DB = "observation_templates"
CADENCES_DB = "observation_cadences"
FOLLOWUP_DB = "followup"
OBSERVATION_COUNTER = "observation"
CADENCE_COUNTER = "observation_cadence"


def _table(view: StoreView, name: str, table: str) -> dict[str, dict[str, Any]]:
    raw = view.read_json(f"db/{name}.json") or {}
    documents = raw.get(table, {})
    return documents if isinstance(documents, dict) else {}


class ObservationRepository:
    """Reads (and, on a transaction, writes) observation records and their companions."""

    def __init__(self, view: StoreView) -> None:
        self.view = view

    @property
    def tx(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("observation changes need a store transaction")
        return self.view

    # -- records --
    def all(self) -> list[ObservationRecord]:
        documents = _table(self.view, OBSERVATIONS_DB, "observations")
        return [
            ObservationRecord.from_document(doc, int(key))
            for key, doc in sorted(documents.items(), key=lambda i: int(i[0]))
        ]

    def get(self, record_id: int) -> ObservationRecord:
        document = _table(self.view, OBSERVATIONS_DB, "observations").get(str(record_id))
        if document is None:
            raise NotFoundError(f"observation {record_id} does not exist; see `tom-tui obs list`")
        return ObservationRecord.from_document(document, record_id)

    def open_records(self) -> list[ObservationRecord]:
        return [record for record in self.all() if record.is_open]

    def new_id(self) -> int:
        return self.tx.next_id(OBSERVATION_COUNTER)

    def save_many(self, records: list[ObservationRecord]) -> None:
        if not records:
            return
        raw: dict[str, Any] = dict(self.tx.read_json(f"db/{OBSERVATIONS_DB}.json") or {})
        documents = dict(raw.get("observations", {}))
        for record in records:
            document = record.to_json()
            del document["id"]
            documents[str(record.id)] = document
        raw["observations"] = documents
        self.tx.write_json(f"db/{OBSERVATIONS_DB}.json", raw)

    def remove_many(self, record_ids: list[int]) -> None:
        raw: dict[str, Any] = dict(self.tx.read_json(f"db/{OBSERVATIONS_DB}.json") or {})
        documents = dict(raw.get("observations", {}))
        for record_id in record_ids:
            documents.pop(str(record_id), None)
        raw["observations"] = documents
        self.tx.write_json(f"db/{OBSERVATIONS_DB}.json", raw)

    # -- templates --
    def templates(self) -> list[Template]:
        return [
            Template(**doc)
            for doc in sorted(_table(self.view, TEMPLATES_DB, "templates").values(), key=lambda d: d["name"])
        ]

    def template(self, name: str) -> Template:
        for template in self.templates():
            if template.name == name:
                return template
        raise NotFoundError(f"no observation template named {name!r}; see `tom-tui obs template list`")

    def save_template(self, template: Template) -> None:
        table = self.tx.db(TEMPLATES_DB).table("templates")
        existing = {doc["name"]: doc.doc_id for doc in table.all()}
        if template.name in existing:
            table.upsert(Document(template.to_json(), doc_id=existing[template.name]))
        else:
            table.insert(template.to_json())

    def delete_template(self, name: str) -> None:
        self.template(name)
        table = self.tx.db(TEMPLATES_DB).table("templates")
        table.remove(doc_ids=[doc.doc_id for doc in table.all() if doc["name"] == name])

    # -- cadences --
    def cadences(self) -> list[Cadence]:
        documents = _table(self.view, CADENCES_DB, "cadences")
        return [
            Cadence(id=int(key), **{k: v for k, v in doc.items() if k != "id"})
            for key, doc in sorted(documents.items(), key=lambda i: int(i[0]))
        ]

    def save_cadence(self, cadence: Cadence) -> None:
        document = cadence.to_json()
        del document["id"]
        self.tx.db(CADENCES_DB).table("cadences").upsert(Document(document, doc_id=cadence.id))

    def new_cadence_id(self) -> int:
        return self.tx.next_id(CADENCE_COUNTER)

    # -- follow-up rule firings (at most once per rule and target) --
    def fired(self) -> set[tuple[str, int]]:
        return {
            (doc["rule"], int(doc["target_id"])) for doc in _table(self.view, FOLLOWUP_DB, "fired").values()
        }

    def record_firing(
        self, rule: str, target_id: int, observation_id: int | None, time: str, detail: str = ""
    ) -> None:
        self.tx.db(FOLLOWUP_DB).table("fired").insert(
            {
                "rule": rule,
                "target_id": target_id,
                "observation_id": observation_id,
                "time": time,
                "detail": detail,
            }
        )


class ObservationTargetData:
    """Keeps observation records with their target when targets merge or are deleted
    (registered in the ``tom_tui.target_data`` entry point group)."""

    def reassign_target(self, tx: Transaction, from_id: int, to_id: int) -> None:
        repository = ObservationRepository(tx)
        moved = [record for record in repository.all() if record.target_id == from_id]
        for record in moved:
            record.target_id = to_id
        repository.save_many(moved)
        for cadence in repository.cadences():
            if cadence.target_id == from_id:
                cadence.target_id = to_id
                repository.save_cadence(cadence)

    def delete_target(self, tx: Transaction, target_id: int) -> None:
        repository = ObservationRepository(tx)
        repository.remove_many([record.id for record in repository.all() if record.target_id == target_id])
        table = tx.db(CADENCES_DB).table("cadences")
        table.remove(doc_ids=[doc.doc_id for doc in table.all() if doc.get("target_id") == target_id])
