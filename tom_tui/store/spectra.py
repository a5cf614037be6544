"""Spectra in the store: one Parquet file per spectrum, metadata in ``db/spectra.json``.

``spectra/<target-id>/<spectrum-id>.parquet`` holds wavelength, flux and flux_error with their
units in the Parquet schema metadata, so the file is readable without tom-tui.
"""

from __future__ import annotations

from typing import Any

from tinydb.table import Document

from tom_tui.domain.dataproducts import SpectrumRecord
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.spectra import Spectrum
from tom_tui.store.transaction import StoreView, Transaction

SPECTRA_DB = "spectra"
SPECTRA_TABLE = "spectra"
SPECTRUM_COUNTER = "spectrum"


class SpectrumRepository:
    def __init__(self, view: StoreView) -> None:
        self.view = view

    def _records(self) -> dict[str, dict[str, Any]]:
        raw = self.view.read_json(f"db/{SPECTRA_DB}.json") or {}
        table = raw.get(SPECTRA_TABLE, {})
        return table if isinstance(table, dict) else {}

    def get(self, spectrum_id: int) -> SpectrumRecord:
        document = self._records().get(str(spectrum_id))
        if document is None:
            raise NotFoundError(f"spectrum {spectrum_id} does not exist")
        return SpectrumRecord(id=spectrum_id, **document)

    def all(self) -> list[SpectrumRecord]:
        return [
            SpectrumRecord(id=int(key), **doc)
            for key, doc in sorted(self._records().items(), key=lambda i: int(i[0]))
        ]

    def for_target(self, target_id: int) -> list[SpectrumRecord]:
        records = [
            SpectrumRecord(id=int(key), **doc)
            for key, doc in self._records().items()
            if doc["target_id"] == target_id
        ]
        return sorted(records, key=lambda record: (record.mjd or 0.0, record.id))

    def load(self, record: SpectrumRecord) -> Spectrum:
        table = self.view.read_parquet(record.path)
        if table is None:
            raise NotFoundError(f"spectrum {record.id}: file {record.path} is missing from the store")
        return Spectrum.from_arrow(
            table,
            mjd=record.mjd,
            date_obs=record.date_obs,
            telescope=record.telescope,
            instrument=record.instrument,
        )

    def _tx(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("spectrum changes need a store transaction")
        return self.view

    def add(self, target_id: int, spectrum: Spectrum, product_id: int | None = None) -> SpectrumRecord:
        tx = self._tx()
        spectrum_id = tx.next_id(SPECTRUM_COUNTER)
        rel = f"spectra/{target_id}/{spectrum_id}.parquet"
        tx.write_parquet(rel, spectrum.to_arrow())
        record = SpectrumRecord(
            id=spectrum_id,
            target_id=target_id,
            path=rel,
            points=len(spectrum),
            wavelength_unit=spectrum.wavelength_unit,
            flux_unit=spectrum.flux_unit,
            mjd=spectrum.mjd,
            date_obs=spectrum.date_obs,
            telescope=spectrum.telescope,
            instrument=spectrum.instrument,
            product_id=product_id,
            wavelength_min=float(spectrum.wavelength.min()),
            wavelength_max=float(spectrum.wavelength.max()),
            has_errors=spectrum.flux_error is not None,
            notes={key: value for key, value in spectrum.meta.items() if key != "header"},
        )
        self.save(record)
        return record

    def save(self, record: SpectrumRecord) -> None:
        document = record.to_json()
        del document["id"]
        self._tx().db(SPECTRA_DB).table(SPECTRA_TABLE).upsert(Document(document, doc_id=record.id))

    def remove(self, record: SpectrumRecord) -> None:
        tx = self._tx()
        tx.db(SPECTRA_DB).table(SPECTRA_TABLE).remove(doc_ids=[record.id])
        if tx.exists(record.path):
            tx.delete(record.path)

    def move(self, record: SpectrumRecord, to_target: int) -> None:
        tx = self._tx()
        table = tx.read_parquet(record.path)
        new_path = f"spectra/{to_target}/{record.id}.parquet"
        if table is not None:
            tx.write_parquet(new_path, table)
            tx.delete(record.path)
        record.target_id = to_target
        record.path = new_path
        self.save(record)
