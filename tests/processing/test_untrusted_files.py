"""Files that lie or carry odd bytes: a FITS header declaring far more data than the file holds is
refused at once, and a tab or line break inside a quoted CSV field keeps photometry readable."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import orjson
import pytest

from tests.support.paths import DATA, PHOTOMETRY
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.dataproducts import ImageFileProcessor, ProcessOptions
from tom_tui.processing.photometry import ReadOptions, read_photometry

BIAS_FRAME = DATA / "images" / "raw" / "msumastro_biastest2.fit"  # 100 x 100 float32
TOM_SAMPLE = PHOTOMETRY / "tom_base_photometry_sample.csv"


def _with_card(source: Path, destination: Path, keyword: str, value: int) -> Path:
    """A copy of a FITS file with one integer card of its primary header changed in place."""
    data = bytearray(source.read_bytes())
    for start in range(0, 2880 * 4, 80):
        if data[start : start + 8].decode().strip() == keyword:
            data[start : start + 80] = f"{keyword:<8}= {value:>20}".ljust(80).encode()
            break
    else:
        raise AssertionError(f"{keyword} not in {source}")
    destination.write_bytes(bytes(data))
    return destination


def test_the_real_frame_is_read_from_its_header() -> None:
    header = ImageFileProcessor().process(BIAS_FRAME, ProcessOptions()).details["header"]
    assert header["NAXIS1"] == 100 and header["NAXIS2"] == 100 and header["TELESCOP"] == "Feder"


@pytest.mark.parametrize(("naxis1", "naxis2"), [(2_000_000_000, 2_000_000_000), (30_000, 30_000), (100, 101)])
def test_a_header_declaring_more_data_than_the_file_holds_is_refused_at_once(
    tmp_path: Path, naxis1: int, naxis2: int
) -> None:
    crafted = _with_card(BIAS_FRAME, tmp_path / "huge.fit", "NAXIS1", naxis1)
    crafted = _with_card(crafted, crafted, "NAXIS2", naxis2)
    started = time.monotonic()
    with pytest.raises(
        ValidationError, match=r"huge.fit: HDU 0 declares [\d,]+ bytes of data .* holds only 40,320"
    ):
        ImageFileProcessor().process(crafted, ProcessOptions())
    assert time.monotonic() - started < 1.0


def test_a_tab_or_line_break_in_a_quoted_extra_column_stays_valid_json(tmp_path: Path) -> None:
    rows = list(csv.reader(TOM_SAMPLE.open(newline="")))
    rows[0].append("comment")
    notes = ["seeing\tbad\nclouds later", 'said "ok"\r\nback\\slash', "bell\x07 and escape\x1b[0m"]
    for row, note in zip(rows[1:], notes + ["fine"] * len(rows), strict=False):
        row.append(note)
    path = tmp_path / "with_notes.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)

    extra = read_photometry(path, ReadOptions()).table.column("extra").to_pylist()
    assert [orjson.loads(value)["comment"] for value in extra[:3]] == notes
