"""The `tom-tui data ...` and `tom-tui photometry` commands, as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from tests.support import stores
from tests.support.paths import PHOTOMETRY, SPECTRA
from tests.support.stores import snapshot
from tom_tui.cli.main import cli
from tom_tui.store.store import Store

# The data commands work on three real transients; the target commands start from an empty store.
store = stores.photometry_store


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_upload_list_show_and_photometry_json(store: Store) -> None:
    code, out, err = run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(PHOTOMETRY / "tom_base_test_atlas_fp.csv"),
        "--type",
        "photometry",
    )
    assert code == 0, err
    assert "Photometry upload 1: 32 points added" in out and "tom-tui data undo 1" in out
    code, out, _ = run(store, "data", "list", "SN 2024abc", "--json")
    products = json.loads(out)
    assert code == 0 and [p["original_name"] for p in products] == ["tom_base_test_atlas_fp.csv"]
    code, out, _ = run(store, "data", "show", "1", "--json")
    assert json.loads(out)["details"]["format"] == "atlas"
    code, out, _ = run(store, "photometry", "SN 2024abc", "--json")
    points = json.loads(out)
    assert len(points) == 32
    assert {
        "mjd",
        "filter",
        "mag",
        "magerr",
        "limit",
        "flux",
        "fluxerr",
        "telescope",
        "instrument",
        "source",
    } <= set(points[0])
    assert points[0]["mag"] is not None and points[1]["mag"] is None and points[1]["limit"] == 19.39


def test_photometry_csv_and_filter(store: Store) -> None:
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(PHOTOMETRY / "tom_base_photometry_sample.csv"),
        "--type",
        "photometry",
    )
    code, out, _ = run(store, "photometry", "SN 2024abc", "--csv", "--filter", "B")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [row["source"] for row in rows] == ["Las Cumbres", "DLT40"]
    assert rows[1]["mag"] == "" and rows[1]["limit"] == "18.0"
    code, out, _ = run(store, "photometry", "ZTF21aaqjmps")
    assert code == 0 and "no photometry" in out


def test_bad_file_exit_1_one_message_store_unchanged(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "lc.csv"
    bad.write_text("time,filter,magnitude,error\n59000.1,g,18.0,0.1\n2459001.1,g,18.2,0.1\n")
    before = snapshot(store)
    code, out, err = run(store, "data", "upload", "SN 2024abc", str(bad), "--type", "photometry")
    assert code == 1 and out == ""
    assert err.startswith("Error: lc.csv: line 3: time: 2459001.1 is not an MJD")
    assert snapshot(store) == before
    code, _, err = run(store, "data", "upload", "SN 2024abc", str(bad), "--type", "photometry", "--clobber")
    assert code == 1 and "--clobber needs --mjd-match" in err
    code, _, err = run(
        store, "data", "upload", "SN 2024abc", str(bad), "--type", "photometry", "--column", "magnitude"
    )
    assert code == 1 and "expected FIELD=COLUMN" in err


def test_undo_and_delete(store: Store) -> None:
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(PHOTOMETRY / "tom_base_test_atlas_fp.csv"),
        "--type",
        "photometry",
    )
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(PHOTOMETRY / "tom_base_test_lightcurve.csv"),
        "--type",
        "photometry",
    )
    code, out, _ = run(store, "data", "undo", "2")
    assert code == 0 and "removed 3 points" in out
    code, out, _ = run(store, "photometry", "SN 2024abc", "--json")
    assert len(json.loads(out)) == 32
    code, _, err = run(store, "data", "undo", "2")
    assert code == 1 and "upload 2 does not exist" in err
    code, out, _ = run(store, "data", "delete", "1")
    assert code == 0 and json.loads(run(store, "photometry", "SN 2024abc", "--json")[1]) == []


def test_export_a_list_in_every_format(store: Store, tmp_path: Path) -> None:
    run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(PHOTOMETRY / "tom_base_test_atlas_fp.csv"),
        "--type",
        "photometry",
    )
    run(
        store,
        "data",
        "upload",
        "AT2017gfo",
        str(PHOTOMETRY / "skyportal_AT2017gfo_optical.csv"),
        "--type",
        "photometry",
    )
    assert run(store, "list", "create", "kilonovae")[0] == 0
    assert run(store, "list", "add", "kilonovae", "SN 2024abc", "AT2017gfo")[0] == 0
    code, _, err = run(
        store, "data", "export", "--list", "kilonovae", "--format", "csv", "-o", str(tmp_path / "all.csv")
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "all.csv").read_text())))
    assert len(rows) == 32 + 107 and {row["target"] for row in rows} == {"SN 2024abc", "AT2017gfo"}
    code, _, _ = run(store, "data", "export", "AT2017gfo", "--format", "json", "-o", str(tmp_path / "a.json"))
    assert len(json.loads((tmp_path / "a.json").read_text())) == 107
    code, _, _ = run(store, "data", "export", "AT2017gfo", "--format", "ecsv", "-o", str(tmp_path / "a.ecsv"))
    from astropy.table import Table

    table = Table.read(tmp_path / "a.ecsv", format="ascii.ecsv")
    assert str(table["flux"].unit) == "uJy" and len(table) == 107
    code, _, err = run(
        store, "data", "export", "--list", "kilonovae", "--format", "snana", "-o", str(tmp_path / "snana")
    )
    assert code == 0
    snana = (tmp_path / "snana" / "AT2017gfo.dat").read_text()
    # 3 of the 107 points are limits with no flux measured: SNANA cannot hold those.
    assert "SNID: AT2017gfo" in snana and "NOBS: 104" in snana
    # FLUXCAL uses zero point 27.5: 319.15 µJy -> 319.15 * 10**(0.4*3.6).
    first = next(line for line in snana.splitlines() if line.startswith("OBS: 57983.75800 2massh"))
    assert float(first.split()[4]) == round(319.1537855100758 * 10 ** (0.4 * 3.6), 4)
    assert "left out" in err  # the ATLAS limits without flux
    code, _, _ = run(
        store, "data", "export", "SN 2024abc", "--format", "tomtoolkit", "-o", str(tmp_path / "tom.csv")
    )
    header = (tmp_path / "tom.csv").read_text().splitlines()[0]
    assert code == 0 and header == "time,filter,magnitude,error,limit,telescope,instrument,source"
    # What TOM Toolkit format exports, tom-tui reads back identically.
    run(store, "target", "add", "Copy", "--ra", "1", "--dec", "1")
    code, _, err = run(store, "data", "upload", "Copy", str(tmp_path / "tom.csv"), "--type", "photometry")
    assert code == 0, err
    original = json.loads(run(store, "photometry", "SN 2024abc", "--json")[1])
    copied = json.loads(run(store, "photometry", "Copy", "--json")[1])
    assert [(p["mjd"], p["mag"], p["limit"]) for p in copied] == [
        (p["mjd"], p["mag"], p["limit"]) for p in original
    ]


def test_spectrum_upload_and_export(store: Store, tmp_path: Path) -> None:
    code, out, err = run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        str(SPECTRA / "tom_base_test_spectrum_SN2017cbv_floyds.fits"),
        "--type",
        "spectroscopy",
    )
    assert code == 0, err
    assert "Spectrum 1: 3913 points" in out and "observed 2017-03-27T17:02:24.711" in out
    code, out, _ = run(
        store, "data", "export", "SN 2024abc", "--spectra", "--format", "fits", "-o", str(tmp_path / "spec")
    )
    assert code == 0 and (tmp_path / "spec" / "SN_2024abc_spectrum1.fits").exists()
