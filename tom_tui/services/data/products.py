"""Data products: upload (copy in, process, store), list, show, delete, undo, and the hook that
keeps them with their target when targets merge or are deleted."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tom_tui.domain.clock import now_iso
from tom_tui.domain.dataproducts import DataProduct, PhotometryUpload, SpectrumRecord
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.photometry import DedupPolicy
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import Target, TargetRef
from tom_tui.processing.dataproducts import ProcessedData, ProcessOptions
from tom_tui.services.photometry import reads
from tom_tui.services.photometry.ingest import IngestResult, ingest_points
from tom_tui.services.photometry.undo import delete_target_photometry, move_target_photometry, undo_upload
from tom_tui.services.plugins import processor_for
from tom_tui.services.reduction.preview import HeaderCard, PreviewImage, file_preview
from tom_tui.store.dataproducts import DataProductRepository, sha256_of
from tom_tui.store.reductions import ReductionArchive
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView, Transaction


@dataclass
class UploadOutcome:
    product: DataProduct
    target: Target
    ingest: IngestResult | None = None
    spectrum: SpectrumRecord | None = None  # the first of spectra
    spectra: list[SpectrumRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "product": self.product.to_json(),
            "target": self.target.name,
            "photometry": None if self.ingest is None else self.ingest.to_json(),
            "spectrum": None if self.spectrum is None else self.spectrum.to_json(),
            "spectra": [record.to_json() for record in self.spectra],
        }


def upload_data_product(
    store: Store,
    target_ref: TargetRef,
    path: Path,
    data_type: str,
    *,
    observation_id: str | None = None,
    groups: list[str] | None = None,
    options: ProcessOptions | None = None,
    dedup: DedupPolicy | None = None,
    allow_same_file: bool = False,
) -> UploadOutcome:
    """Copy ``path`` into the store as a data product of a target and process it; all or nothing."""
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    processed, sha256 = _process_and_hash(path, data_type, options or ProcessOptions())
    with store.transaction() as tx:
        target = TargetRepository(tx).resolve(target_ref)
        assert target.id is not None
        repository = DataProductRepository(tx)
        if not allow_same_file:
            _refuse_same_file(repository, target, sha256, path)
        product = repository.add_file(
            path,
            target_id=target.id,
            data_type=data_type,
            created=now_iso(),
            sha256=sha256,
            observation_id=observation_id,
            groups=groups,
        )
        outcome = UploadOutcome(product=product, target=target)
        product.details = dict(processed.details)
        if processed.photometry is not None:
            result = processed.photometry
            outcome.ingest = ingest_points(
                tx,
                target.id,
                result.table,
                policy=dedup,
                product_id=product.id,
                source=path.name,
                line_numbers=result.line_numbers,
                skipped_lines=result.skipped_lines,
                invalid_lines=result.invalid_lines,
                notes=result.notes,
            )
            product.upload_id = outcome.ingest.upload_id
            product.details.update(outcome.ingest.to_json())
            if result.skipped_lines:
                product.details["lines_without_measurement"] = result.skipped_lines[:100]
        for spectrum in processed.spectra:
            outcome.spectra.append(SpectrumRepository(tx).add(target.id, spectrum, product_id=product.id))
        if outcome.spectra:
            outcome.spectrum = outcome.spectra[0]
            product.spectrum_id = outcome.spectrum.id
            product.details["spectrum_ids"] = [record.id for record in outcome.spectra]
        repository.save(product)
    return outcome


def _process_and_hash(path: Path, data_type: str, options: ProcessOptions) -> tuple[ProcessedData, str]:
    """The processed file and its SHA-256."""
    processor = processor_for(data_type)
    # Hash (in a thread: hashlib releases the GIL) while the processor parses, both before the
    # store lock is taken, so a slow parse blocks no other process.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as pool:
        digest = pool.submit(sha256_of, path)
        processed = processor.process(path, options)
        return processed, digest.result()


def _refuse_same_file(repository: DataProductRepository, target: Target, sha256: str, path: Path) -> None:
    assert target.id is not None
    same = repository.find_by_hash(target.id, sha256)
    if same is not None:
        raise ValidationError(
            f"{path.name}: this file was already uploaded to {target.name} as data product {same.id}; "
            "delete that one first or pass --allow-same-file"
        )


def list_products(
    store: Store, target_ref: TargetRef | None = None, data_type: str | None = None
) -> list[DataProduct]:
    with store.read() as view:
        repository = DataProductRepository(view)
        if target_ref is not None:
            target = TargetRepository(view).resolve(target_ref)
            assert target.id is not None
            products = repository.for_target(target.id)
        else:
            products = repository.all()
    if data_type is not None:
        products = [product for product in products if product.type == data_type]
    return products


PRODUCT_SORTS = {"date": "created", "size": "size", "target": "target"}  # key the user gives -> column
PRODUCT_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("type", pa.string()),
        ("target_id", pa.int64()),
        ("target", pa.string()),
        ("created", pa.string()),
        ("size", pa.int64()),
        ("file", pa.string()),
        ("source", pa.string()),
        ("observation_id", pa.string()),
        ("run", pa.int64()),
        ("upload_id", pa.int64()),
        ("spectrum_id", pa.int64()),
    ]
)


def _product_rows(view: StoreView) -> list[dict[str, Any]]:
    """Every product as a row with its target's name and the reduction run that last reduced
    its file (raw frames fetched from a facility), read in one pass."""
    products = DataProductRepository(view).all()
    target_ids = sorted({product.target_id for product in products})
    names: dict[int, str] = {}
    if target_ids:
        index = TargetRepository(view).index
        known = [target_id for target_id in target_ids if index.row_of(target_id) is not None]
        rows = index.take_ids(known).select(["id", "name"]).to_pylist() if known else []
        names = {int(row["id"]): str(row["name"]) for row in rows}
    runs = {outcome.raw_path: outcome.run_id for outcome in ReductionArchive(view).latest_outcomes().values()}
    return [
        {
            "id": product.id,
            "type": product.type,
            "target_id": product.target_id,
            "target": names.get(product.target_id, f"#{product.target_id}"),
            "created": product.created,
            "size": product.size,
            "file": product.original_name,
            "source": str(product.details.get("facility") or "upload"),
            "observation_id": product.observation_id,
            "run": runs.get(product.path),
            "upload_id": product.upload_id,
            "spectrum_id": product.spectrum_id,
        }
        for product in products
    ]


def product_table(
    store: Store,
    *,
    data_type: str | None = None,
    target_text: str = "",
    sort: str = "date",
    descending: bool = True,
) -> pa.Table:
    """Every data product of every target, one row each (:data:`PRODUCT_SCHEMA`): only those of
    ``data_type`` and whose target's name holds ``target_text`` (any case), sorted by ``sort``
    (``date``, ``size`` or ``target``; ties newest first)."""
    if sort not in PRODUCT_SORTS:
        raise ValidationError(f"sort {sort!r}: expected one of {', '.join(PRODUCT_SORTS)}")
    with store.read() as view:
        rows = _product_rows(view)
    if data_type:
        rows = [row for row in rows if row["type"] == data_type]
    wanted = target_text.strip().casefold()
    if wanted:
        rows = [row for row in rows if wanted in row["target"].casefold()]
    column = PRODUCT_SORTS[sort]
    newest_first = descending if column == "created" else True  # ties: newest first either way
    rows.sort(key=lambda row: (row["created"], row["id"]), reverse=newest_first)
    if column != "created":
        key = (lambda row: row[column].casefold()) if column == "target" else (lambda row: row[column])
        rows.sort(key=key, reverse=descending)  # stable, reversed too: ties stay newest first
    return pa.Table.from_pylist(rows, schema=PRODUCT_SCHEMA)


def get_product(store: Store, product_id: int) -> DataProduct:
    with store.read() as view:
        return DataProductRepository(view).get(product_id)


def product_file(store: Store, product: DataProduct) -> Path:
    return store.root / product.path


@dataclass(frozen=True)
class ProductPreview:
    """A FITS product's first image shrunk to terminal cells, with every card of its header."""

    product: DataProduct
    image: PreviewImage
    header: list[HeaderCard]


def product_preview(store: Store, product_id: int, columns: int, rows: int) -> ProductPreview:
    """Data product ``product_id`` (a FITS image) drawn in ``columns`` x ``rows`` cells; a file
    that is not a FITS image raises an error naming it."""
    product = get_product(store, product_id)
    image, header = file_preview(product_file(store, product), columns, rows)
    return ProductPreview(product, image, header)


def _remove_product(tx: Transaction, product: DataProduct) -> None:
    repository = DataProductRepository(tx)
    if product.upload_id is not None:
        with contextlib.suppress(NotFoundError):
            undo_upload(tx, product.upload_id)
    spectra = SpectrumRepository(tx)
    for spectrum_id in {product.spectrum_id, *product.details.get("spectrum_ids", [])} - {None}:
        with contextlib.suppress(NotFoundError):
            spectra.remove(spectra.get(spectrum_id))
    repository.remove(product)


def delete_product(store: Store, product_id: int) -> DataProduct:
    """Remove a data product, its file, and the photometry or spectrum it brought."""
    with store.transaction() as tx:
        product = DataProductRepository(tx).get(product_id)
        _remove_product(tx, product)
    return product


def undo_photometry_upload(store: Store, upload_id: int) -> PhotometryUpload:
    with store.transaction() as tx:
        return undo_upload(tx, upload_id)


def list_uploads(store: Store) -> list[PhotometryUpload]:
    with store.read() as view:
        return DataProductRepository(view).uploads()


def photometry_of(
    store: Store,
    target_ref: TargetRef,
    filters: list[str] | None = None,
    since_mjd: float | None = None,
    columns: list[str] | None = None,
) -> tuple[Target, pa.Table]:
    return reads.photometry_of(store, target_ref, filters, since_mjd, columns)


def spectra_of(store: Store, target_ref: TargetRef) -> tuple[Target, list[SpectrumRecord]]:
    with store.read() as view:
        target = TargetRepository(view).resolve(target_ref)
        assert target.id is not None
        return target, SpectrumRepository(view).for_target(target.id)


class TargetDataProducts:
    """Registered in ``tom_tui.target_data``: photometry, spectra and data products follow their target."""

    def reassign_target(self, tx: Transaction, from_id: int, to_id: int) -> None:
        move_target_photometry(tx, from_id, to_id)
        spectra = SpectrumRepository(tx)
        for record in spectra.for_target(from_id):
            spectra.move(record, to_id)
        repository = DataProductRepository(tx)
        for product in repository.for_target(from_id):
            new_path = f"data/{to_id}/{Path(product.path).name}"
            if tx.exists(product.path):
                tx.copy_file_in(tx.path(product.path), new_path)
                tx.delete(product.path)
            product.path = new_path
            product.target_id = to_id
            repository.save(product)

    def delete_target(self, tx: Transaction, target_id: int) -> None:
        delete_target_photometry(tx, target_id)
        spectra = SpectrumRepository(tx)
        for record in spectra.for_target(target_id):
            spectra.remove(record)
        repository = DataProductRepository(tx)
        for product in repository.for_target(target_id):
            repository.remove(product)
        for upload in repository.uploads():
            if upload.target_ids == [target_id]:
                repository.remove_upload(upload.id)


def load_spectrum(
    store: Store, target_ref: TargetRef, spectrum_id: int | None = None
) -> tuple[Target, SpectrumRecord, Spectrum]:
    """A target's spectrum by id, or its latest one."""
    with store.read() as view:
        target = TargetRepository(view).resolve(target_ref)
        repository = SpectrumRepository(view)
        records = repository.for_target(target.id or 0)
        if spectrum_id is not None:
            chosen = [record for record in records if record.id == spectrum_id]
            if not chosen:
                raise NotFoundError(f"{target.name} has no spectrum {spectrum_id}")
            record = chosen[0]
        elif records:
            record = records[-1]
        else:
            raise NotFoundError(
                f"{target.name} has no spectra; upload one with `tom-tui data upload --type spectroscopy`"
            )
        return target, record, repository.load(record)
