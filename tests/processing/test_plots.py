"""Light-curve and spectrum plots: thinning keeps the shape, terminal and PNG output."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
from click.testing import CliRunner

from tests.support.paths import PHOTOMETRY, SPECTRA
from tom_tui.cli.main import cli
from tom_tui.domain.photometry import MEASUREMENT_SCHEMA
from tom_tui.processing.photometry import read_photometry
from tom_tui.processing.plots import band_key, prepare_lightcurve
from tom_tui.store.store import Store


def synthetic(count: int) -> pa.Table:
    rng = np.random.default_rng(3)
    mjd = np.sort(60000 + rng.random(count) * 200)
    mag = 18 + 0.002 * (mjd - 60050) ** 2 / 10 + rng.normal(0, 0.05, count)
    columns = {field.name: pa.nulls(count, field.type) for field in MEASUREMENT_SCHEMA}
    columns.update(
        {
            "mjd": pa.array(mjd),
            "mag": pa.array(mag),
            "magerr": pa.array(np.full(count, 0.05)),
            "filter": pa.array(np.where(np.arange(count) % 2 == 0, "ztfg", "ztfr")),
        }
    )
    return pa.table(columns, schema=MEASUREMENT_SCHEMA)


def test_thinning_keeps_peak_and_stays_small() -> None:
    table = synthetic(100_000)
    data = prepare_lightcurve(table)
    assert data.total_points == 100_000 and data.shown_points <= 3100
    mag = table.column("mag").to_numpy()
    bands = np.asarray(table.column("filter").to_pylist())
    for series in data.series:
        assert series.y.min() == mag[bands == series.band].min()  # the peak survives thinning
        assert series.y.max() == mag[bands == series.band].max()
    assert "showing" in data.notes[0]


def test_limits_are_a_separate_series() -> None:
    data = prepare_lightcurve(read_photometry(PHOTOMETRY / "tom_base_photometry_sample.csv").table)
    b_band = next(series for series in data.series if series.band == "B")
    assert b_band.y.tolist() == [15.591] and b_band.limit_y.tolist() == [18.0]
    assert band_key("ztfg") == "g" and band_key("ps1::r") == "r" and band_key("atlaso") == "o"


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_lightcurve_in_the_terminal_and_as_png(store: Store, tmp_path: Path) -> None:
    run(
        store,
        "data",
        "upload",
        "ZTF21aaqjmps",
        str(PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv"),
        "--type",
        "photometry",
    )
    code, out, err = run(store, "plot", "lightcurve", "ZTF21aaqjmps", "--width", "90", "--height", "24")
    assert code == 0, err
    assert "ztfg" in out and "ztfr" in out and "▽" in out and "AB mag" in out
    assert "\x1b[" not in out  # no colour codes when not writing to a terminal
    labels = [float(v) for v in re.findall(r"^\s*(\d+\.\d+)┤", out, flags=re.MULTILINE)]
    assert labels == sorted(labels)  # magnitudes grow downwards: the axis is inverted
    code, out, _ = run(
        store, "plot", "lightcurve", "ZTF21aaqjmps", "--flux", "--filter", "ztfr", "--width", "80"
    )
    assert code == 0 and "flux µJy" in out and "ztfg" not in out
    png = tmp_path / "lc.png"
    code, out, _ = run(store, "plot", "lightcurve", "ZTF21aaqjmps", "--png", str(png), "--dates")
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(store, "plot", "lightcurve", "SN 2024abc")
    assert code == 1 and "SN 2024abc has no photometry" in err


def test_spectrum_plot(store: Store, tmp_path: Path) -> None:
    code, _, err = run(store, "plot", "spectrum", "SN 2024abc")
    assert code == 1 and "has no spectra" in err
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat"),
        "--type",
        "spectroscopy",
    )
    code, out, err = run(store, "plot", "spectrum", "SN 2024abc", "--width", "90", "--height", "20")
    assert code == 0, err
    assert "wavelength (Angstrom)" in out and "erg / (Angstrom s cm2)" in out and "2021-09-18" in out
    png = tmp_path / "spec.png"
    code, _, _ = run(store, "plot", "spectrum", "SN 2024abc", "--id", "1", "--png", str(png))
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    code, _, err = run(store, "plot", "spectrum", "SN 2024abc", "--id", "7")
    assert code == 1 and "has no spectrum 7" in err


def test_spectrum_flux_axis_reads_in_powers_of_ten(store: Store) -> None:
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat"),
        "--type",
        "spectroscopy",
    )
    code, out, err = run(store, "plot", "spectrum", "SN 2024abc", "--width", "90", "--height", "20")
    assert code == 0, err
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    labels = re.findall(r"^\s*(\S+)┤", plain, flags=re.MULTILINE)
    assert labels and all(re.fullmatch(r"-?\d(\.\d+)?e[-+]\d\d", label) for label in labels), labels
    assert "0.0000000" not in plain


def test_the_legend_covers_no_point_of_a_light_curve_brightest_at_the_start() -> None:
    from tom_tui.processing.plots.prepare import LightCurveData, Series
    from tom_tui.processing.plots.text import render_lightcurve_text

    def drawn_points(bands: tuple[str, str]) -> int:
        def series(band: str, colour: int, offset: float) -> Series:
            mjd = np.linspace(60000, 60040, 40)
            mag = 15.0 + offset + 0.08 * (mjd - 60000)  # brightest first: where plotext puts its legend
            empty = np.array([])
            return Series(band, mjd, mag, np.full(40, 0.05), empty, empty, colour, "C0", "dot")

        data = LightCurveData([series(bands[0], 39, 0.0), series(bands[1], 160, 0.3)], False, 80, 80)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", render_lightcurve_text(data, width=80, height=20))
        return plain.count("•")

    unlabelled = drawn_points(("", ""))  # no legend at all: every point that fits is drawn
    labelled = drawn_points(("ztfg", "ztfr"))
    assert labelled - 2 * 2 == unlabelled  # the only extra dots are the legend's two swatches
