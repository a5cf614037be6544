"""The store-wide Data products screen at 80x24 (Pilot): listing, filtering, sorting, opening a
photometry file, a spectrum and a FITS image, deleting after asking, undoing photometry."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.support import stores
from tests.support.paths import DATA, PHOTOMETRY, SPECTRA
from tests.support.pilot import screen_text, wait_until
from tom_tui.screens.app import TomApp
from tom_tui.screens.dataproducts import DataProductsScreen, ProductScreen, ProductUploadDialog, size_text
from tom_tui.screens.dialogs import ConfirmScreen
from tom_tui.screens.target_data import LightCurvePanel, SpectrumPanel
from tom_tui.screens.widgets.frame_picture import FramePicture
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.target_table import TargetTable
from tom_tui.services.data import products as data_service
from tom_tui.store.store import Store

store = stores.photometry_store

FITS_IMAGE = DATA / "images" / "raw" / "msumastro_celestron_nightscape_light.fit"
PHOTOMETRY_FILE = PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv"
SPECTRUM_FILE = SPECTRA / "skyportal_ZTF21aaqjmps_spec.csv"
SMALL_LIGHTCURVE = PHOTOMETRY / "tom_base_test_lightcurve.csv"
PHOTOMETRY_POINTS = 174  # rows of PHOTOMETRY_FILE with a measurement (the light-curve tab test's count)


@pytest.fixture
def products_store(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Store:
    """Four products uploaded a day apart (ids 1-4): photometry and a spectrum of ZTF21aaqjmps,
    a FITS image of SN 2024abc, and a small light curve of AT2017gfo whose file name holds an
    escape sequence."""
    odd_name = tmp_path / "lc\x1b[2J.csv"
    shutil.copy(SMALL_LIGHTCURVE, odd_name)
    uploads = [
        ("ZTF21aaqjmps", PHOTOMETRY_FILE, "photometry"),
        ("ZTF21aaqjmps", SPECTRUM_FILE, "spectroscopy"),
        ("SN 2024abc", FITS_IMAGE, "image_file"),
        ("AT2017gfo", odd_name, "photometry"),
    ]
    for day, (target, path, data_type) in enumerate(uploads, start=1):
        monkeypatch.setenv("TOM_TUI_NOW", f"2024-02-0{day}T12:00:00")
        data_service.upload_data_product(store, target, path, data_type)
    return store


def shown_ids(table: TargetTable) -> list[int]:
    return [int(table.row_values(row)["id"]) for row in range(table.row_count)]


async def open_screen(app: TomApp, pilot: object) -> TargetTable:
    await pilot.press("f10")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, DataProductsScreen))  # type: ignore[arg-type]
    table = app.screen.query_one("#products-table", TargetTable)
    await wait_until(pilot, lambda: table.row_count == 4)  # type: ignore[arg-type]
    return table


def test_size_text() -> None:
    assert [size_text(n) for n in (0, 999, 1000, 10261, 2_500_000, 3_000_000_000)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "10.3 kB",
        "2.5 MB",
        "3.0 GB",
    ]


def test_products_filter_and_sort(products_store: Store) -> None:
    sizes = {1: PHOTOMETRY_FILE, 2: SPECTRUM_FILE, 3: FITS_IMAGE, 4: SMALL_LIGHTCURVE}
    by_size = sorted(sizes, key=lambda product_id: -sizes[product_id].stat().st_size)

    async def scenario() -> None:
        app = TomApp(products_store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            table = await open_screen(app, pilot)
            assert shown_ids(table) == [4, 3, 2, 1]  # newest first
            text = screen_text(app)
            assert "ZTF21aaqjmps" in text and "2024-02-03 12:00" in text and "10.3 kB" in text
            assert "lc\\x1b[2J.csv" not in text  # the file column is past the 80th column...
            await pilot.press("s")
            await wait_until(pilot, lambda: shown_ids(table) == by_size)
            await pilot.press("s")  # by target name, A to Z; one target's products newest first
            await wait_until(pilot, lambda: shown_ids(table) == [4, 3, 2, 1])
            await pilot.press("r")  # Z to A, ties still newest first
            await wait_until(pilot, lambda: shown_ids(table) == [2, 1, 3, 4])
            await pilot.press("t")  # the types in name order: image_file first
            await wait_until(pilot, lambda: shown_ids(table) == [3])
            await pilot.press("t", "t")  # other (none), then photometry
            await wait_until(pilot, lambda: shown_ids(table) == [1, 4])
            await pilot.press("slash")
            await pilot.press(*"gfo")
            await wait_until(pilot, lambda: shown_ids(table) == [4])
            await pilot.press("enter")  # back to the table
            assert table.has_focus
            for _ in range(6):  # ...and escaped when scrolled into view
                await pilot.press("right")
            await pilot.pause()
            assert "lc\\x1b[2J.csv" in screen_text(app)

    asyncio.run(scenario())


def test_enter_opens_photometry_spectrum_and_fits(products_store: Store) -> None:
    spectrum_id = data_service.get_product(products_store, 2).spectrum_id

    async def scenario() -> None:
        app = TomApp(products_store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            table = await open_screen(app, pilot)
            table.move_cursor_to_target(1)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ProductScreen))
            panel = app.screen.query_one(LightCurvePanel)
            await wait_until(pilot, lambda: panel.data is not None)
            assert panel.data is not None and panel.data.total_points == PHOTOMETRY_POINTS
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, DataProductsScreen))

            table.move_cursor_to_target(2)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ProductScreen))
            spectra = app.screen.query_one(SpectrumPanel)
            await wait_until(pilot, lambda: bool(spectra.records))
            assert spectra.records[spectra.index].id == spectrum_id
            assert spectra.records[spectra.index].points == 433
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, DataProductsScreen))

            table.move_cursor_to_target(3)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ProductScreen))
            screen = app.screen
            assert isinstance(screen, ProductScreen)
            await wait_until(pilot, lambda: screen.preview is not None)
            assert screen.preview is not None
            keywords = [card.keyword for card in screen.preview.header]
            assert keywords[0] == "SIMPLE" and "NAXIS1" in keywords
            columns, _rows = screen.query_one(FramePicture).cells
            assert 0 < screen.preview.image.levels.shape[1] <= columns  # a picture, within its room
            assert "SIMPLE" in screen_text(app)

    asyncio.run(scenario())


def test_delete_asks_first_and_undo_removes_points(products_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(products_store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            table = await open_screen(app, pilot)
            table.move_cursor_to_target(3)
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, DataProductsScreen))
            assert len(data_service.list_products(products_store)) == 4
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_until(pilot, lambda: table.row_count == 3)
            assert [product.id for product in data_service.list_products(products_store)] == [1, 2, 4]

            table.move_cursor_to_target(1)
            await pilot.press("z")
            await wait_until(
                pilot, lambda: data_service.photometry_of(products_store, "ZTF21aaqjmps")[1].num_rows == 0
            )
            table.move_cursor_to_target(2)
            await pilot.press("z")  # a spectrum has no points to undo: a warning, nothing changes
            await pilot.pause()
            assert app.errors == []
            assert len(data_service.list_products(products_store)) == 3

    asyncio.run(scenario())


def test_upload_goes_to_the_target_under_the_cursor_or_the_one_typed(products_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(products_store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            table = await open_screen(app, pilot)
            table.move_cursor_to_target(3)  # SN 2024abc's image
            await pilot.press("u")
            await wait_until(pilot, lambda: isinstance(app.screen, ProductUploadDialog))
            dialog = app.screen
            await wait_until(pilot, lambda: bool(dialog.query("#upload-target")))
            assert dialog.query_one("#upload-target", TomInput).value == "SN 2024abc"
            dialog.query_one("#upload-target", TomInput).value = "AT2017gfo"
            dialog.query_one("#upload-path", TomInput).value = str(
                PHOTOMETRY / "tom_base_photometry_sample.csv"
            )
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: table.row_count == 5)
            newest = table.row_values(0)
            assert (newest["id"], newest["target"], newest["type"]) == (5, "AT2017gfo", "photometry")
            assert app.errors == []

    asyncio.run(scenario())
