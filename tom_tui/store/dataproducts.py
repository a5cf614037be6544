"""Data product records, photometry upload records and the files they point to.

Records live in TinyDB files (``db/dataproducts.json``, ``db/photometry_uploads.json``); the files
themselves are copied under ``data/<target-id>/<product-id>-<safe name>``. A safe name keeps
only letters, digits, ``.``, ``-`` and ``_`` of the original base name, so no uploaded name can
point outside the store; the original name is kept in the record.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from tinydb.table import Document

from tom_tui.domain.dataproducts import DataProduct, PhotometryUpload, safe_file_name
from tom_tui.domain.errors import NotFoundError
from tom_tui.store.transaction import StoreView, Transaction

PRODUCTS_DB = "dataproducts"
PRODUCTS_TABLE = "products"
UPLOADS_DB = "photometry_uploads"
UPLOADS_TABLE = "uploads"
PRODUCT_COUNTER = "dataproduct"
UPLOAD_COUNTER = "photometry_upload"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _product_from(document: dict[str, Any], product_id: int) -> DataProduct:
    values = dict(document)
    values["id"] = product_id
    return DataProduct(**values)


class DataProductRepository:
    def __init__(self, view: StoreView) -> None:
        self.view = view

    # -- products --
    def _products(self) -> dict[str, dict[str, Any]]:
        raw = self.view.read_json(f"db/{PRODUCTS_DB}.json") or {}
        table = raw.get(PRODUCTS_TABLE, {})
        return table if isinstance(table, dict) else {}

    def get(self, product_id: int) -> DataProduct:
        document = self._products().get(str(product_id))
        if document is None:
            raise NotFoundError(f"data product {product_id} does not exist; see `tom-tui data list`")
        return _product_from(document, product_id)

    def all(self) -> list[DataProduct]:
        return [
            _product_from(doc, int(key))
            for key, doc in sorted(self._products().items(), key=lambda i: int(i[0]))
        ]

    def for_target(self, target_id: int) -> list[DataProduct]:
        return [product for product in self.all() if product.target_id == target_id]

    def find_by_hash(self, target_id: int, sha256: str) -> DataProduct | None:
        for product in self.for_target(target_id):
            if product.sha256 == sha256:
                return product
        return None

    def _tx(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("data product changes need a store transaction")
        return self.view

    def add_file(
        self,
        source: Path,
        *,
        target_id: int,
        data_type: str,
        created: str,
        sha256: str,
        observation_id: str | None = None,
        groups: list[str] | None = None,
        original_name: str | None = None,
    ) -> DataProduct:
        tx = self._tx()
        product_id = tx.next_id(PRODUCT_COUNTER)
        name = original_name or source.name
        rel = f"data/{target_id}/{product_id}-{safe_file_name(name)}"
        tx.copy_file_in(source, rel)
        product = DataProduct(
            id=product_id,
            target_id=target_id,
            type=data_type,
            path=rel,
            original_name=name,
            sha256=sha256,
            size=source.stat().st_size,
            created=created,
            observation_id=observation_id,
            groups=list(groups or []),
        )
        self.save(product)
        return product

    def save(self, product: DataProduct) -> None:
        tx = self._tx()
        document = product.to_json()
        del document["id"]
        table = tx.db(PRODUCTS_DB).table(PRODUCTS_TABLE)
        table.upsert(Document(document, doc_id=product.id))

    def remove(self, product: DataProduct) -> None:
        tx = self._tx()
        tx.db(PRODUCTS_DB).table(PRODUCTS_TABLE).remove(doc_ids=[product.id])
        if tx.exists(product.path):
            tx.delete(product.path)

    # -- photometry uploads --
    def _uploads(self) -> dict[str, dict[str, Any]]:
        raw = self.view.read_json(f"db/{UPLOADS_DB}.json") or {}
        table = raw.get(UPLOADS_TABLE, {})
        return table if isinstance(table, dict) else {}

    def upload(self, upload_id: int) -> PhotometryUpload:
        document = self._uploads().get(str(upload_id))
        if document is None:
            raise NotFoundError(f"photometry upload {upload_id} does not exist (or was undone)")
        return PhotometryUpload(id=upload_id, **document)

    def uploads(self) -> list[PhotometryUpload]:
        return [
            PhotometryUpload(id=int(key), **doc)
            for key, doc in sorted(self._uploads().items(), key=lambda item: int(item[0]))
        ]

    def save_upload(self, upload: PhotometryUpload) -> None:
        document = upload.to_json()
        del document["id"]
        self._tx().db(UPLOADS_DB).table(UPLOADS_TABLE).upsert(Document(document, doc_id=upload.id))

    def remove_upload(self, upload_id: int) -> None:
        self._tx().db(UPLOADS_DB).table(UPLOADS_TABLE).remove(doc_ids=[upload_id])
