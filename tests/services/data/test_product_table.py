"""Every data product of the store in one table: target names, filters, sorts, and the reduction
run that last reduced a product's file."""

from __future__ import annotations

import pytest

from tests.support.paths import DATA, PHOTOMETRY, SPECTRA
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, RunRecord, RunSelection
from tom_tui.services.data import products as data_service
from tom_tui.store.reductions import ReductionArchive
from tom_tui.store.store import Store

FITS_IMAGE = DATA / "images" / "raw" / "msumastro_celestron_nightscape_light.fit"


@pytest.fixture
def three_products(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    uploads = [
        ("ZTF21aaqjmps", PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv", "photometry"),
        ("SN 2024abc", FITS_IMAGE, "image_file"),
        ("ATLAS24xyz", SPECTRA / "skyportal_ZTF21aaqjmps_spec.csv", "spectroscopy"),  # an alias
    ]
    for day, (target, path, data_type) in enumerate(uploads, start=1):
        monkeypatch.setenv("TOM_TUI_NOW", f"2024-02-0{day}T00:00:00")
        data_service.upload_data_product(store, target, path, data_type)
    return store


def test_rows_name_their_targets_and_files(three_products: Store) -> None:
    table = data_service.product_table(three_products, sort="date", descending=False)
    rows = table.to_pylist()
    assert [(row["id"], row["type"], row["target"]) for row in rows] == [
        (1, "photometry", "ZTF21aaqjmps"),
        (2, "image_file", "SN 2024abc"),
        (3, "spectroscopy", "SN 2024abc"),
    ]
    assert rows[1]["size"] == FITS_IMAGE.stat().st_size
    assert rows[1]["file"] == FITS_IMAGE.name
    assert [row["source"] for row in rows] == ["upload"] * 3
    assert rows[0]["upload_id"] is not None and rows[2]["spectrum_id"] is not None
    assert [row["run"] for row in rows] == [None, None, None]


def test_filters_and_sorts(three_products: Store) -> None:
    def ids(**options: object) -> list[int]:
        return data_service.product_table(three_products, **options).column("id").to_pylist()  # type: ignore[arg-type]

    assert ids() == [3, 2, 1]  # newest first
    assert ids(sort="size") == sorted(
        [1, 2, 3], key=lambda i: -data_service.get_product(three_products, i).size
    )
    assert ids(sort="target", descending=False) == [3, 2, 1]  # SN 2024abc (newest first), ZTF21...
    assert ids(data_type="photometry") == [1]
    assert ids(target_text="sn 2024") == [3, 2]
    assert ids(target_text="nothing like it") == []
    with pytest.raises(ValidationError, match="sort 'colour'"):
        ids(sort="colour")


def test_a_reduced_file_names_its_run(three_products: Store) -> None:
    image = data_service.get_product(three_products, 2)
    outcome = FrameOutcome(frame_id=9, raw_path=image.path, status=FrameStatus.DONE, run_id=5)
    record = RunRecord(5, "2024-02-04T00:00:00", {}, "hash", "test", RunSelection(), outcomes=[outcome])
    with three_products.transaction() as tx:
        ReductionArchive(tx).save_run(record)
    rows = data_service.product_table(three_products, sort="date", descending=False).to_pylist()
    assert [row["run"] for row in rows] == [None, 5, None]
