"""Real photometry files read right: limits of detections, "no value" sentinels, bad lines
skipped on request, heliocentric times refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.support.paths import PHOTOMETRY
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry import ReadOptions, read_photometry

# SkyPortal's ATLAS-format export: every row has a limiting_mag, detections (mag) included.
ATLAS = PHOTOMETRY / "skyportal_ZTFrlh6cyjh_ATLAS.csv"


def atlas_rows() -> list[dict[str, str]]:
    with ATLAS.open() as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_detection_keeps_the_limiting_magnitude_of_its_image() -> None:
    detections = {float(row["mjd"]): float(row["limiting_mag"]) for row in atlas_rows() if row["mag"]}
    assert len(detections) == 235
    stored = [row for row in read_photometry(ATLAS).table.to_pylist() if row["mag"] is not None]
    assert len(stored) == 235
    assert all(row["limit"] == detections[row["mjd"]] for row in stored)


def test_sentinel_magnitudes_are_no_value_and_noted_by_line(tmp_path: Path) -> None:
    rows = atlas_rows()[:20]
    limit_rows = [k for k, row in enumerate(rows) if not row["mag"]][:3]
    for k in limit_rows[:2]:
        rows[k].update(mag="99.0", magerr="99.0")
    rows[limit_rows[2]].update(mag="-99", magerr="0")
    result = read_photometry(write_rows(tmp_path / "sentinels.csv", rows))
    table = result.table.to_pylist()
    assert len(table) == 20
    for k in limit_rows:
        assert table[k]["mag"] is None and table[k]["magerr"] is None
        assert table[k]["limit"] == float(rows[k]["limiting_mag"])
    lines = [k + 2 for k in limit_rows]  # the header is line 1
    assert f"line {lines[0]}: magnitude 99 read as no value" in result.notes[0]
    assert any(f"line {lines[2]}: magnitude error 0 read as no value" in note for note in result.notes)
    assert len(result.notes) == 6


def test_bad_lines_refuse_the_file_or_are_skipped_on_request(tmp_path: Path) -> None:
    rows = atlas_rows()[:10]
    rows[3]["mag"] = "bright"
    rows[6]["mjd"] = "0"
    path = write_rows(tmp_path / "bad.csv", rows)
    with pytest.raises(ValidationError, match="line 5: magnitude: 'bright' is not a number"):
        read_photometry(path)
    result = read_photometry(path, ReadOptions(skip_invalid=True))
    assert result.table.num_rows == 8 and 5 not in result.line_numbers and 8 not in result.line_numbers
    assert [line.split(": ", 1)[1][:7] for line in result.invalid_lines] == ["line 5:", "line 8:"]
    assert "not a number" in result.invalid_lines[0] and "between" in result.invalid_lines[1]


def test_heliocentric_times_are_refused_not_mixed_with_utc(tmp_path: Path) -> None:
    path = tmp_path / "hjd.csv"
    path.write_text("hjd,filter,mag,magerr\n2459328.5970,V,18.1,0.05\n")
    with pytest.raises(ValidationError, match="'hjd' is a heliocentric or barycentric time"):
        read_photometry(path)
