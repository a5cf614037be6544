"""Points measured by a tom-tui reduction run get their own series: the band's colour, their own
marker and legend entry, in the terminal and in PNG images."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from tom_tui.domain.photometry import MEASUREMENT_SCHEMA
from tom_tui.domain.reduction import REDUCTION_SOURCE
from tom_tui.processing.plots import MARKERS, prepare_lightcurve, render_lightcurve_text, save_lightcurve_png
from tom_tui.processing.plots.styles import REDUCED_LABEL, REDUCED_MARKER


def points(rows: list[tuple[float, str, float | None, float | None, str | None]]) -> pa.Table:
    """Rows of (mjd, filter, mag, limit, source)."""
    columns = {field.name: pa.nulls(len(rows), field.type) for field in MEASUREMENT_SCHEMA}
    columns["mjd"] = pa.array([row[0] for row in rows], pa.float64())
    columns["filter"] = pa.array([row[1] for row in rows], pa.string())
    columns["mag"] = pa.array([row[2] for row in rows], pa.float64())
    columns["magerr"] = pa.array([None if row[2] is None else 0.05 for row in rows], pa.float64())
    columns["limit"] = pa.array([row[3] for row in rows], pa.float64())
    columns["source"] = pa.array([row[4] for row in rows], pa.string())
    return pa.table(columns, schema=MEASUREMENT_SCHEMA)


ROWS = [
    (61000.0, "ztfr", 18.0, None, "ztf-alert"),
    (61001.0, "ztfr", 18.2, None, "upload"),
    (61002.0, "ztfr", 18.4, None, REDUCTION_SOURCE),
    (61003.0, "ztfr", None, 19.5, REDUCTION_SOURCE),  # a reduced upper limit
    (61004.0, "ztfg", 17.5, None, "upload"),
    (61005.0, "ztfg", 17.6, None, None),  # no source said: not reduced
]


def test_reduced_points_form_their_own_series_in_the_band_colour() -> None:
    data = prepare_lightcurve(points(ROWS))
    by_label = {series.label: series for series in data.series}
    assert sorted(by_label) == ["ztfg", "ztfr", f"ztfr {REDUCED_LABEL}"]
    plain, reduced = by_label["ztfr"], by_label[f"ztfr {REDUCED_LABEL}"]
    assert plain.x.tolist() == [61000.0, 61001.0] and not plain.reduced
    assert reduced.reduced and reduced.x.tolist() == [61002.0] and reduced.y.tolist() == [18.4]
    assert reduced.limit_x.tolist() == [61003.0] and reduced.limit_y.tolist() == [19.5]
    assert reduced.marker == REDUCED_MARKER and REDUCED_MARKER not in MARKERS
    assert plain.marker in MARKERS
    assert (reduced.terminal_colour, reduced.png_colour) == (plain.terminal_colour, plain.png_colour)
    assert by_label["ztfg"].x.tolist() == [61004.0, 61005.0]
    assert data.total_points == data.shown_points == 6


def test_without_the_source_column_nothing_is_set_apart() -> None:
    table = points(ROWS).drop_columns(["source"])
    data = prepare_lightcurve(table)
    assert [series.label for series in data.series] == ["ztfg", "ztfr"]


def test_a_light_curve_of_reduced_points_only() -> None:
    data = prepare_lightcurve(points([row for row in ROWS if row[4] == REDUCTION_SOURCE]))
    assert [(series.label, series.reduced) for series in data.series] == [(f"ztfr {REDUCED_LABEL}", True)]


def test_the_terminal_plot_and_the_png_name_the_reduced_points(tmp_path: Path) -> None:
    data = prepare_lightcurve(points(ROWS))
    text = render_lightcurve_text(data, width=90, height=20)
    assert REDUCED_MARKER in text and f"ztfr {REDUCED_LABEL}" in text
    image = tmp_path / "lc.png"
    save_lightcurve_png(data, image)
    assert image.stat().st_size > 1000 and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
