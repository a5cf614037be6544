"""Files that observations produce: raw frames stored under ``raw/<telescope>/<night>/`` and
linked to their observation as data products (the data product records of
:mod:`tom_tui.domain.dataproducts`, type ``image_file``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tom_tui.adapters.facilities.base import DataProduct as FacilityProduct
from tom_tui.domain.clock import now_iso
from tom_tui.domain.dataproducts import DataProduct
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.frames import raw_frame_path
from tom_tui.domain.observations import ObservationRecord
from tom_tui.services.reduction.frames import archive_downloaded_frame
from tom_tui.store.dataproducts import PRODUCT_COUNTER, DataProductRepository, sha256_of
from tom_tui.store.observations import ObservationRepository
from tom_tui.store.store import Store


def store_frame(
    tx: Any,
    products: DataProductRepository,
    record: ObservationRecord,
    product: FacilityProduct,
    path: Path,
    stamp: str,
    night: str | None = None,
) -> int | None:
    """Put one downloaded file under raw/<telescope>/<night>/ and record it as a data product."""
    rel = raw_frame_path(product.telescope, night or product.night, product.filename)
    if tx.exists(rel):
        return None  # fetched before (a re-run after a partial failure)
    archive_downloaded_frame(
        tx, path, rel, product.telescope, night or product.night, record.target_id, record.id
    )
    data_product = DataProduct(
        id=tx.next_id(PRODUCT_COUNTER),
        target_id=record.target_id,
        type="image_file",
        path=rel,
        original_name=product.filename,
        sha256=sha256_of(path),
        size=path.stat().st_size,
        created=stamp,
        observation_id=str(record.id),
        details={
            "facility": record.facility,
            "facility_product_id": product.product_id,
            "imagetyp": product.kind,
            "filter": product.filter,
            "telescope": product.telescope,
            "instrument": product.instrument,
            "date_obs": product.date_obs.isoformat() if product.date_obs else None,
        },
    )
    products.save(data_product)
    return data_product.id


def attach_files(
    store: Store, record_id: int, files: Sequence[Path], telescope: str, night: str
) -> list[int]:
    """Add files observed outside any API (the manual facility) to an observation."""
    for path in files:
        if not path.is_file():
            raise NotFoundError(f"{path}: no such file")
    stamp = now_iso()
    with store.transaction() as tx:
        repository = ObservationRepository(tx)
        record = repository.get(record_id)
        products = DataProductRepository(tx)
        added = []
        for path in files:
            product = FacilityProduct(path.name, path.name, "LIGHT", telescope)
            rel = raw_frame_path(telescope, night, path.name)
            if tx.exists(rel):
                raise ValidationError(f"{rel} is already in the store; rename the file or pick another night")
            product_id = store_frame(tx, products, record, product, path, stamp, night)
            assert product_id is not None
            added.append(product_id)
        record.data_products.extend(added)
        record.modified = stamp
        repository.save_many([record])
    return added
