"""TOM Toolkit both ways: its photometry download CSV and /api/reduceddatums/ JSON upload here;
photometry and spectra exported here have the columns and keywords its processors read."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from astropy.io import ascii as astropy_ascii
from astropy.io import fits
from astropy.time import Time

from tests.support.paths import DATA, PHOTOMETRY, SPECTRA
from tests.support.stores import snapshot
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry import export as photometry_export
from tom_tui.processing.photometry import read_photometry
from tom_tui.processing.spectra import read_spectrum
from tom_tui.services.data import products as data_service
from tom_tui.services.data.export import ExportFormat, export_photometry, export_spectra
from tom_tui.services.targets.csv_files import read_target_csv, write_target_csv
from tom_tui.store.store import Store

TOM_DOWNLOAD = PHOTOMETRY / "tom_toolkit_photometry_download.csv"  # TOM 3.1.0 from its photometry_sample.csv
TOM_API = PHOTOMETRY / "tom_toolkit_api_reduceddatums.json"
SAMPLE_MJD = 55959.06999999983  # the time column of TOM Toolkit's photometry_sample.csv
SNIFS = SPECTRA / "skyportal_2021zac_UH88_SNIFS.dat"


def test_tom_toolkit_photometry_download_csv_uploads(store: Store) -> None:
    outcome = data_service.upload_data_product(store, "SN 2024abc", TOM_DOWNLOAD, "photometry")
    assert outcome.ingest is not None and outcome.ingest.added == 4
    _, table = data_service.photometry_of(store, "SN 2024abc")
    rows = sorted(table.select(["mjd", "filter", "mag", "limit", "source"]).to_pylist(), key=str)
    assert all(abs(row["mjd"] - SAMPLE_MJD) < 1e-6 for row in rows)  # its UTC timestamp, read back
    assert {(row["filter"], row["mag"], row["limit"], row["source"]) for row in rows} == {
        ("r", 15.582, None, "ZTF"),
        ("V", 15.676, None, "CSS"),
        ("B", 15.591, None, "Las Cumbres"),
        ("B", None, 18.0, "DLT40"),
    }


def test_tom_toolkit_api_reduceddatums_json_uploads() -> None:
    result = read_photometry(TOM_API)
    assert result.format.value == "tomtoolkit-json"
    rows = result.table.select(["mjd", "filter", "mag", "magerr", "source"]).to_pylist()
    assert [(row["filter"], row["mag"], row["magerr"], row["source"]) for row in rows] == [
        ("r", 15.582, 0.005, "ZTF"),
        ("V", 15.676, 0.007, "CSS"),
        ("B", 15.591, 0.008, "Las Cumbres"),
    ]
    assert abs(rows[0]["mjd"] - SAMPLE_MJD) < 1e-6
    assert result.skipped_lines == [4]  # TOM's API answer drops the limit of the DLT40 point


def test_other_json_and_non_magnitude_units_are_refused(store: Store, tmp_path: Path) -> None:
    before = snapshot(store)
    other = tmp_path / "other.json"
    other.write_text('{"candidate": {"magpsf": 18.1}}')
    with pytest.raises(
        ValidationError, match=r"other.json: JSON that is not TOM Toolkit.s /api/reduceddatums/"
    ):
        data_service.upload_data_product(store, "SN 2024abc", other, "photometry")
    answer = json.loads(TOM_API.read_text())
    answer["results"][1]["value"]["unit"] = "mJy"
    flux = tmp_path / "flux.json"
    flux.write_text(json.dumps(answer))
    with pytest.raises(ValidationError, match=r"flux.json: item 2: unit: 'mJy' is not a magnitude"):
        data_service.upload_data_product(store, "SN 2024abc", flux, "photometry")
    page = json.loads(TOM_API.read_text())
    page["count"], page["next"] = 250, "http://tom/api/reduceddatums/?limit=4&offset=4"
    first_page = tmp_path / "page.json"
    first_page.write_text(json.dumps(page))
    with pytest.raises(ValidationError, match=r"page.json: one page of TOM Toolkit's answer \(4 of 250"):
        data_service.upload_data_product(store, "SN 2024abc", first_page, "photometry")
    assert snapshot(store) == before


def test_tomtoolkit_export_keeps_telescope_and_writes_no_empty_points(tmp_path: Path) -> None:
    table = read_photometry(PHOTOMETRY / "tom_base_test_atlas_fp.csv").table
    # The first two points as an alert stores a negative subtraction: a flux, no magnitude or limit.
    nulls = pa.array([None, None] + [1.0] * (table.num_rows - 2), type=pa.float64())
    for column in ("mag", "limit"):
        index = table.column_names.index(column)
        table = table.set_column(
            index, column, pa.compute.if_else(pa.compute.is_null(nulls), None, table[column])
        )
    path = tmp_path / "tom.csv"
    left_out = photometry_export.write_tomtoolkit(photometry_export.with_target_names([("X", table)]), path)
    rows = list(csv.DictReader(path.open()))
    assert left_out == 2 and len(rows) == table.num_rows - 2
    assert all(row["magnitude"] or row["limit"] for row in rows)
    assert {row["telescope"] for row in rows} == {"ATLAS"}


def test_exported_photometry_has_the_columns_tom_toolkit_reads(store: Store, tmp_path: Path) -> None:
    data_service.upload_data_product(
        store, "SN 2024abc", PHOTOMETRY / "tom_base_test_atlas_fp.csv", "photometry"
    )
    report = export_photometry(store, ["SN 2024abc"], None, ExportFormat.TOMTOOLKIT, tmp_path / "tom.csv")
    data = astropy_ascii.read(report.files[0])  # how TOM Toolkit's PhotometryProcessor reads it
    assert {"time", "magnitude", "error", "filter", "limit", "telescope", "source"} <= set(data.colnames)
    assert Time(float(data[0]["time"]), format="mjd").mjd == pytest.approx(float(data[0]["time"]))
    assert set(data["telescope"]) == {"ATLAS"}


def _stored_snifs_spectrum(store: Store, tmp_path: Path, fmt: str) -> Path:
    data_service.upload_data_product(store, "SN 2024abc", SNIFS, "spectroscopy")
    report = export_spectra(store, ["SN 2024abc"], None, fmt, tmp_path / fmt)
    return Path(report.files[0])


def test_fits_export_has_the_image_tom_toolkit_reads_and_the_exact_table(
    store: Store, tmp_path: Path
) -> None:
    path = _stored_snifs_spectrum(store, tmp_path, "fits")
    flux, header = fits.getdata(path, header=True)  # TOM Toolkit: the first HDU with data
    assert flux.ndim == 1 and len(flux) == 1800
    assert header["CUNIT1"] == "Angstrom" and header["BUNIT"] == "erg / (Angstrom s cm2)"
    assert header["CRVAL1"] == pytest.approx(3402.86) and header["CRPIX1"] == 1.0
    assert header["CRVAL1"] + header["CDELT1"] * 1799 == pytest.approx(read_spectrum(SNIFS).wavelength[-1])
    again, original = read_spectrum(path), read_spectrum(SNIFS)  # tom-tui reads the exact table back
    assert np.array_equal(again.wavelength, original.wavelength) and np.array_equal(again.flux, original.flux)


def test_tomtoolkit_spectrum_csv_has_what_tom_toolkit_reads(store: Store, tmp_path: Path) -> None:
    path = _stored_snifs_spectrum(store, tmp_path, "tomtoolkit")
    assert path.suffix == ".csv"  # TOM Toolkit picks its reader by file type
    data = astropy_ascii.read(path)
    assert len(data) == 1800 and data["wavelength"][0] == 3402.86
    dates = [c.split(":")[1].strip() for c in data.meta["comments"] if "date-obs" in c.lower()]
    assert dates == ["2021-09-18"] and Time(dates[0]).mjd == 59475.0  # its split(':') must parse
    assert not any("facility" in comment.lower() for comment in data.meta["comments"])
    again = read_spectrum(path)  # and tom-tui keeps the exact time from MJD-OBS
    assert again.date_obs == read_spectrum(SNIFS).date_obs and again.flux_unit == "erg / (Angstrom s cm2)"


def _tomtoolkit_python() -> str:
    python = os.environ.get("TOMTOOLKIT_PYTHON", sys.executable)
    found = subprocess.run([python, "-c", "import tom_dataproducts"], capture_output=True, check=False)
    if found.returncode != 0:
        if os.environ.get("TOMTOOLKIT_REQUIRED"):  # the test command's interop part: never skip
            pytest.fail(f"{python} cannot import TOM Toolkit: {found.stderr.strip()[-300:]}")
        pytest.skip("TOM Toolkit is not installed (pip install tomtoolkit, or set TOMTOOLKIT_PYTHON)")
    return python


@pytest.mark.slow
def test_tom_toolkit_processors_accept_our_exports(store: Store, tmp_path: Path) -> None:
    python = _tomtoolkit_python()
    fits_file = _stored_snifs_spectrum(store, tmp_path, "fits")
    csv_file = Path(export_spectra(store, ["SN 2024abc"], None, "tomtoolkit", tmp_path / "csv").files[0])
    data_service.upload_data_product(
        store, "SN 2024abc", PHOTOMETRY / "tom_base_test_atlas_fp.csv", "photometry"
    )
    photometry = export_photometry(store, ["SN 2024abc"], None, ExportFormat.TOMTOOLKIT, tmp_path / "p.csv")
    targets = tmp_path / "targets.csv"
    write_target_csv(targets, read_target_csv(DATA / "targets" / "tom_base_target_import.csv")[0])
    script = Path(__file__).resolve().parents[2] / "support" / "tomtoolkit_processors.py"
    arguments = [
        "spectroscopy",
        str(fits_file),
        "spectroscopy",
        str(csv_file),
        "photometry",
        photometry.files[0],
        "targets",
        str(targets),
    ]
    run = subprocess.run(
        [python, str(script), str(tmp_path), *arguments], capture_output=True, text=True, check=True
    )
    results = json.loads(run.stdout.strip().splitlines()[-1])
    for spectrum_file in (fits_file, csv_file):
        (stored,) = results[str(spectrum_file)]
        assert len(stored["flux"]) == 1800 and stored["wavelength"][0] == pytest.approx(3402.86)
    assert results[str(csv_file)][0]["timestamp"].startswith("2021-09-18")
    points = results[photometry.files[0]]
    assert len(points) == 32 and {point["telescope"] for point in points} == {"ATLAS"}
    imported = results[str(targets)]
    assert imported["errors"] == []
    m13 = imported["targets"]["m13"]
    assert m13["aliases"] == ["Hercules Globular Cluster"]
    assert m13["extras"]["lists"] == "Public, Private"  # kept as data, not read as permission groups
