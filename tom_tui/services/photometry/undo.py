"""Taking photometry back out: undo an upload, delete a target's points, move them on a merge."""

from __future__ import annotations

from tom_tui.domain.dataproducts import PhotometryUpload
from tom_tui.domain.errors import NotFoundError
from tom_tui.services.photometry.ingest import refresh_summaries
from tom_tui.store import photometry as photometry_store
from tom_tui.store import photometry_flags
from tom_tui.store.dataproducts import DataProductRepository
from tom_tui.store.transaction import Transaction


def undo_upload(tx: Transaction, upload_id: int) -> PhotometryUpload:
    """Remove exactly the rows of an upload and put back the stored rows it replaced."""
    repository = DataProductRepository(tx)
    upload = repository.upload(upload_id)
    photometry_store.remove_upload(tx, upload_id, upload.target_ids)
    refresh_summaries(tx, upload.target_ids)
    repository.remove_upload(upload_id)
    if upload.product_id is not None:
        try:
            product = repository.get(upload.product_id)
        except NotFoundError:
            product = None
        if product is not None:
            product.upload_id = None
            product.details["photometry_undone"] = upload_id
            repository.save(product)
    return upload


def delete_target_photometry(tx: Transaction, target_id: int) -> None:
    photometry_store.delete_target_points(tx, target_id)
    photometry_flags.drop_target_flags(tx, target_id)
    refresh_summaries(tx, [target_id])


def move_target_photometry(tx: Transaction, from_id: int, to_id: int) -> None:
    photometry_store.move_target_points(tx, from_id, to_id)
    photometry_flags.move_target_flags(tx, from_id, to_id)
    refresh_summaries(tx, [from_id, to_id])
    repository = DataProductRepository(tx)
    for upload in repository.uploads():
        if from_id in upload.target_ids:
            upload.target_ids = sorted({to_id, *(t for t in upload.target_ids if t != from_id)})
            repository.save_upload(upload)
