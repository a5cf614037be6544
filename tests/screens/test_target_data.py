"""The light-curve, spectrum and data-product tabs of the target detail screen (Pilot)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual_plotext import PlotextPlot

from tests.support import stores
from tests.support.paths import PHOTOMETRY, SPECTRA
from tests.support.pilot import wait_until
from tom_tui.screens import registry
from tom_tui.screens.app import TomApp
from tom_tui.screens.target_data import DataProductsPanel, LightCurvePanel, SpectrumPanel
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.upload_dialog import UploadDialog
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.services.data import products as data_service
from tom_tui.store.store import Store

# The data tabs show uploads to one of three real transients.
store = stores.photometry_store

TABS = [
    registry.TargetTabEntry("Light curve", "tom_tui.screens.target_data:LightCurvePanel"),
    registry.TargetTabEntry("Spectra", "tom_tui.screens.target_data:SpectrumPanel"),
    registry.TargetTabEntry("Data", "tom_tui.screens.target_data:DataProductsPanel"),
]


@pytest.fixture
def data_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(registry, "TARGET_TABS", TABS)
    monkeypatch.setattr("tom_tui.screens.target_detail.TARGET_TABS", TABS)
    monkeypatch.setenv("TZ", "UTC")
    data_service.upload_data_product(
        store, "ZTF21aaqjmps", PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv", "photometry"
    )
    data_service.upload_data_product(
        store, "ZTF21aaqjmps", SPECTRA / "skyportal_ZTF21aaqjmps_spec.csv", "spectroscopy"
    )
    return store


def plot_text(widget: PlotextPlot) -> str:
    import plotext

    return str(plotext.uncolorize(widget.plt.build()))


def test_tabs_show_light_curve_spectrum_and_products(data_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(data_store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(2))
            screen = app.screen
            await wait_until(pilot, lambda: screen.query_one(LightCurvePanel).data is not None)
            panel = screen.query_one(LightCurvePanel)
            assert panel.data is not None and panel.data.total_points == 174
            assert [series.band for series in panel.data.series] == ["ztfg", "ztfr"]
            text = plot_text(panel.query_one(PlotextPlot))
            assert "ztfg" in text and "▽" in text
            panel.focus()
            await pilot.press("f")
            await wait_until(pilot, lambda: panel.data is not None and panel.data.flux)
            assert "flux µJy" in plot_text(panel.query_one(PlotextPlot))
            spectra = screen.query_one(SpectrumPanel)
            await wait_until(pilot, lambda: bool(spectra.records))
            assert spectra.records[0].points == 433
            products = screen.query_one(DataProductsPanel)
            await wait_until(pilot, lambda: len(products.products) == 2)
            products.focus()
            await pilot.press("u")
            await wait_until(pilot, lambda: isinstance(app.screen, UploadDialog))
            app.screen.query_one("#upload-path", TomInput).value = str(
                PHOTOMETRY / "tom_base_test_lightcurve.csv"
            )
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(products.products) == 3)
            await wait_until(pilot, lambda: panel.data is not None and panel.data.total_points == 177)
            products.focus()
            await pilot.press("z")  # undo the photometry upload of the first product
            await wait_until(pilot, lambda: products.products and products.products[0].upload_id is None)
            await wait_until(pilot, lambda: panel.data is not None and panel.data.total_points == 3)
            assert data_service.photometry_of(data_store, "ZTF21aaqjmps")[1].num_rows == 3

    asyncio.run(scenario())


def test_a_100k_point_light_curve_is_thinned_before_it_is_drawn(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker thins 100k points to ~3k before anything is drawn, so the plot never holds a
    widget or a series per point (how fast it paints is bench/bench_photometry_tui.py's figure,
    measured on a quiet machine, not a timing here)."""
    import numpy as np

    rng = np.random.default_rng(2)
    mjd = np.sort(58000 + rng.random(100_000) * 1500)
    lines = [f"{t:.6f},{'gr'[i % 2]},{17 + rng.random() * 3:.3f},0.05" for i, t in enumerate(mjd)]
    big = tmp_path / "big.csv"
    big.write_text("mjd,filter,mag,magerr\n" + "\n".join(lines) + "\n")
    data_service.upload_data_product(store, "SN 2024abc", big, "photometry")
    monkeypatch.setattr("tom_tui.screens.target_detail.TARGET_TABS", TABS[:1])

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            screen = app.screen
            await wait_until(pilot, lambda: screen.query_one(LightCurvePanel).data is not None)
            panel = screen.query_one(LightCurvePanel)
            assert panel.data is not None and panel.data.total_points == 100_000
            assert panel.data.shown_points <= 3100
            drawn = sum(len(series.x) + len(series.limit_x) for series in panel.data.series)
            assert drawn == panel.data.shown_points

    asyncio.run(scenario())
