"""`tom-tui frames import|list|show|profiles`, as a user runs them on real frames."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support import cli
from tests.support.cli import Run, json_of
from tests.support.stores import snapshot
from tom_tui.store.store import Store

run = cli.run
RAW = Path(__file__).resolve().parents[1] / "data" / "images" / "raw"


def test_import_list_and_show(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "night"
    folder.mkdir()
    for name in ("ccdproc_a8280271.fits", "msumastro_darktest1.fit", "msumastro_biastest2.fit"):
        shutil.copyfile(RAW / name, folder / name)
    result = run("frames", "import", str(folder))
    assert "3 stored, 0 already there, 0 refused" in result.stdout
    again = json_of(run("frames", "import", str(folder), "--json"))
    assert again["counts"] == {"stored": 0, "already there": 3, "refused": 0}

    listed = json_of(run("frames", "list", "--night", "20120205", "--json"))
    assert [(row["image_type"], row["exposure_s"], row["binning"]) for row in listed] == [
        ("bias", 0.0, [1, 1]),
        ("dark", 30.0, [1, 1]),
    ]
    table = run("frames", "list", "--type", "light").stdout
    assert "rf0420" in table and "150.0" in table and "bias" not in table
    saao = json_of(run("frames", "list", "--telescope", "SAAO 1.0m", "--json"))[0]
    shown = json_of(run("frames", "show", str(saao["id"]), "--json"))
    assert shown["header"]["IMAGETYP"] == "object" and shown["image_type"] == "light"
    assert shown["detector"]["trim"] == "[17:528,1:520]" and shown["size"] == [536, 520]
    text = run("frames", "show", str(saao["id"])).stdout
    assert "Type:" in text and "light" in text and "overscan [4:13,1:520]" in text
    assert "does not exist" in run("frames", "show", "99", expect=1).stderr


def test_an_unknown_frame_shows_why(run: Run, tmp_path: Path) -> None:
    from astropy.io import fits

    with fits.open(RAW / "msumastro_darktest1.fit") as hdul:
        hdul[0].header["IMAGETYP"] = "Tricolour"
        hdul.writeto(tmp_path / "odd.fit")
    run("frames", "import", str(tmp_path / "odd.fit"))
    frame = json_of(run("frames", "list", "--type", "unknown", "--json"))[0]
    assert "IMAGETYP = 'Tricolour'" in frame["unknown_reason"]
    assert "Why unknown:" in run("frames", "show", str(frame["id"])).stdout


def test_a_corrupt_file_is_refused_by_name_and_the_command_fails(
    run: Run, store: Store, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b"\x00" * 100)
    good = tmp_path / "dark.fit"
    shutil.copyfile(RAW / "msumastro_darktest1.fit", good)
    result = run("frames", "import", str(broken), str(good), expect=1)
    assert f"Refused: {broken}: " in result.stderr
    assert "1 stored, 0 already there, 1 refused" in result.stdout
    before = snapshot(store)
    run("frames", "import", str(broken), "--json", expect=1)
    assert snapshot(store) == before


def test_profiles_are_listed(run: Run) -> None:
    names = [profile["name"] for profile in json_of(run("frames", "profiles", "--json"))]
    assert names == ["generic", "simulated"]
    assert "SIM-1m0" in run("frames", "profiles").stdout
