"""What the fuzz suite found, each pinned on the real file it was found with."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.fuzz.harness import fuzz_store, store_hash, yse_document_from
from tests.fuzz.mutations import BINARY_MUTATIONS, mutate
from tests.support.paths import ALERTS, PHOTOMETRY, SPECTRA
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.domain.errors import StoreError, ValidationError
from tom_tui.processing.photometry import read_photometry
from tom_tui.processing.spectra.readers import read_spectrum
from tom_tui.services.alerts.yse import ingest_yse_file
from tom_tui.services.data.products import upload_data_product
from tom_tui.store.store import CONFIG_NAME, Store

FLOYDS = SPECTRA / "tom_base_test_spectrum_SN2017cbv_floyds.fits"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2024-02-01T00:00:00")


def test_a_stray_carriage_return_in_a_photometry_csv_names_its_line(tmp_path: Path) -> None:
    lines = (PHOTOMETRY / "astroquery_oac_GW170817_photometry.csv").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b",\r", 1)  # a short row *and* a bare CR: the csv module objects
    lines[5] += b",extra"
    path = tmp_path / "oac.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ValidationError, match=r"oac\.csv: line \d+: "):
        read_photometry(path)


def test_a_truncated_fits_spectrum_is_refused_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "floyds.fits"
    data = FLOYDS.read_bytes()
    path.write_bytes(data[: len(data) - 5000])
    with pytest.raises(ValidationError, match=r"floyds\.fits: a damaged FITS file"):
        read_spectrum(path)


def test_an_unparsable_fits_card_is_refused_as_damaged(tmp_path: Path) -> None:
    data = bytearray(FLOYDS.read_bytes())
    card = data.index(b"CCDXPIXE=")
    data[card + 10 : card + 30] = b"'unterminated   / \x01 "  # the same 20 bytes, now unparsable
    path = tmp_path / "floyds.fits"
    path.write_bytes(bytes(data))
    with pytest.raises(ValidationError, match=r"floyds\.fits: a damaged FITS file.*CCDXPIXE"):
        read_spectrum(path)


@pytest.mark.parametrize("damage", ["truncated", "bits flipped"])
def test_a_damaged_avro_alert_file_is_skipped_with_its_reason(tmp_path: Path, damage: str) -> None:
    data = bytearray((ALERTS / "fink_datatransfer_ztf_part-3-305711_nocutouts.avro").read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        for position in range(len(data) // 2, len(data) // 2 + 4000, 97):
            data[position] ^= 0x55
    path = tmp_path / "alerts.avro"
    path.write_bytes(bytes(data))
    batch = read_alerts([path])
    assert batch.unreadable_files == 1 and "alerts.avro: not a readable Avro alert file" in batch.skipped[0]


def test_a_config_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    store = Store.init(tmp_path / "store")
    text = (store.root / CONFIG_NAME).read_text()
    (store.root / CONFIG_NAME).write_bytes(
        text.replace("[observatory]", "[observatory] # caf\xe9").encode("latin-1")
    )
    line = text[: text.index("[observatory]")].count("\n") + 1
    with pytest.raises(StoreError, match=rf"tom-tui\.toml: line {line}: not UTF-8"):
        Store(store.root).config  # noqa: B018


def test_a_yse_point_that_is_not_an_object_is_named_and_nothing_is_stored(tmp_path: Path) -> None:
    document = yse_document_from(PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv")
    document["ZTF21aaqjmps"]["transientphotometry"]["ZTF"]["photdata"]["3"] = 19.5
    path = tmp_path / "upload.json"
    path.write_text(json.dumps(document))
    store = fuzz_store(tmp_path / "store")
    before = store_hash(store)
    with pytest.raises(
        ValidationError, match=r"ZTF21aaqjmps\.transientphotometry\.ZTF\.photdata\.3: expected an"
    ):
        ingest_yse_file(store, path)
    assert store_hash(store) == before


def test_a_spectrum_column_of_measurements_is_not_taken_for_an_instrument(tmp_path: Path) -> None:
    """Flux and instrument_id swapped: once 3,000 one-point spectra, stored one by one for minutes."""
    rows = [
        line.split(",")
        for line in (SPECTRA / "skyportal_spec_with_instrument_id.csv").read_text().splitlines()
    ]
    path = tmp_path / "spec.csv"
    path.write_text(
        "\n".join(",".join([row[0], row[2], row[1]]) if n else ",".join(row) for n, row in enumerate(rows))
    )
    store = fuzz_store(tmp_path / "store")
    before = store_hash(store)
    with pytest.raises(ValidationError, match=r"spec\.csv: column instrument_id: \d+ different values"):
        upload_data_product(store, "SN 2024abc", path, "spectroscopy")
    assert store_hash(store) == before


def test_a_photometry_file_of_comment_lines_only_is_refused(tmp_path: Path) -> None:
    lines = (PHOTOMETRY / "stellarphot_sample_small_photometry.ecsv").read_text().splitlines()
    path = tmp_path / "comments.csv"
    path.write_text("\n".join(line for line in lines[1:] if line.startswith("#")))
    with pytest.raises(ValidationError, match=r"comments\.csv: only comment lines"):
        read_photometry(path)


def test_a_short_photometry_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "lightcurve.csv"
    path.write_bytes(b"t\xff" + (PHOTOMETRY / "tom_base_test_lightcurve.csv").read_bytes()[:3])
    with pytest.raises(ValidationError, match=r"lightcurve\.csv: line 1: not UTF-8"):
        read_photometry(path)


def test_an_avro_length_damaged_to_terabytes_is_skipped_not_allocated(tmp_path: Path) -> None:
    """Fuzz case avro/lsst_v11_0_fakeAlert.avro/26: a damaged length made fastavro ask for terabytes."""
    seed = ALERTS / "lsst_v11_0_fakeAlert.avro"
    data, _applied = mutate(random.Random(f"avro:{seed.name}:26"), seed.read_bytes(), BINARY_MUTATIONS)
    path = tmp_path / seed.name
    path.write_bytes(data)
    batch = read_alerts([path])
    assert batch.unreadable_files == 1 and "not a readable Avro alert file (MemoryError" in batch.skipped[0]


@pytest.mark.parametrize("match_days", ["x", None, {"days": 1}, -1, True])
def test_a_yse_mjdmatchmin_that_is_not_days_is_named_and_nothing_is_stored(
    tmp_path: Path, match_days: object
) -> None:
    document = yse_document_from(PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv")
    document["ZTF21aaqjmps"]["transientphotometry"]["mjdmatchmin"] = match_days
    path = tmp_path / "upload.json"
    path.write_text(json.dumps(document))
    store = fuzz_store(tmp_path / "store")
    before = store_hash(store)
    with pytest.raises(
        ValidationError, match=r"transientphotometry\.mjdmatchmin: .* is not a number of days"
    ):
        ingest_yse_file(store, path)
    assert store_hash(store) == before
