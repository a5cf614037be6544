"""A raw header holding control characters (a camera program's bug, or a hostile file) cannot be
written back as FITS; its reduced frame gets them as '?' and says so, instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.io import fits
from astropy.io.fits.verify import VerifyError

from tom_tui.services.reduction.work import printable_header


def hostile_header(folder: Path) -> fits.Header:
    """A header as astropy reads it from a file whose cards hold control characters (astropy
    would refuse to set such values itself)."""
    header = fits.Header()
    header["OBJECT"] = ("SN 2026abc", "target")
    header["OBSERVER"] = ("nightXXXXXowl", "whoY")
    header["HISTORY"] = "flatZfielded"
    path = folder / "hostile.fits"
    fits.PrimaryHDU(header=header).writeto(path, overwrite=True)
    raw = path.read_bytes().replace(b"XXXXX", b"\x1b[31m").replace(b"whoY", b"who\x07")
    path.write_bytes(raw.replace(b"flatZfielded", b"flat\x00fielded"))
    with fits.open(path) as hdus:
        return hdus[0].header.copy()


def test_control_characters_are_replaced_and_the_frame_can_be_written(tmp_path: Path) -> None:
    with pytest.raises((VerifyError, ValueError)):  # what astropy does with such a header otherwise
        fits.PrimaryHDU(header=hostile_header(tmp_path)).writeto(
            tmp_path / "raw.fits", output_verify="silentfix"
        )
    header, changed = printable_header(hostile_header(tmp_path))
    assert sorted(changed) == ["HISTORY", "OBSERVER"]
    fits.PrimaryHDU(header=header).writeto(tmp_path / "reduced.fits", output_verify="silentfix")
    written = fits.getheader(tmp_path / "reduced.fits")
    assert written["OBSERVER"] == "night?[31mowl" and written.comments["OBSERVER"] == "who?"
    assert str(written["HISTORY"][0]) == "flat?fielded"
    assert written["OBJECT"] == "SN 2026abc"
