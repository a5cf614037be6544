"""`tom-tui polarimetry TARGET`: table, JSON, terminal plot and PNG of stored polarimetry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.support import cli
from tests.support.cli import Run, json_of
from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.store.polarimetry import PolarimetryRepository
from tom_tui.store.store import Store

run = cli.run


@pytest.fixture
def measured(store: Store, run: Run) -> list[PolarizationMeasurement]:
    run("target", "add", "BL Lac", "--ra", "330.68038", "--dec", "42.27777")
    first = PolarizationMeasurement(
        target_id=1, mjd=61000.5, band="R", q=0.03, u=0.04, q_err=0.002, u_err=0.002, p=0.05,
        p_err=0.002, p_debiased=0.04996, chi_deg=26.57, chi_err_deg=1.15, telescope="OSN-T090",
        instrument="Andor", run="2", frame_ids=(5, 6, 7, 8),
    )  # fmt: skip
    second = dataclasses.replace(first, mjd=61003.5, q=-0.1, u=0.0, p=0.1, p_debiased=0.09998, chi_deg=90.0)
    with store.transaction() as tx:
        PolarimetryRepository(tx).add([first, second])
    return [first, second]


def test_json_lists_every_set(run: Run, measured: list[PolarizationMeasurement]) -> None:
    shown = json_of(run("polarimetry", "BL Lac", "--json"))
    assert shown["target"] == {"id": 1, "name": "BL Lac"}
    assert [row["chi_deg"] for row in shown["measurements"]] == [26.57, 90.0]
    assert shown["measurements"][0] == {**measured[0].to_record(), "frame_ids": [5, 6, 7, 8]}


def test_the_table_shows_per_cent_and_degrees(run: Run, measured: list[PolarizationMeasurement]) -> None:
    lines = run("polarimetry", "BL Lac").stdout.splitlines()
    assert "p %" in lines[0] and "χ deg" in lines[0]
    assert "2025-11-21 12:00" in lines[1] and "  5.00 " in lines[1] and " 26.6 " in lines[1]
    assert "Andor" in lines[1]
    assert " 10.00 " in lines[2] and " 90.0 " in lines[2]
    assert len(run("polarimetry", "BL Lac", "--filter", "r").stdout.splitlines()) == 3
    assert run("polarimetry", "BL Lac", "--filter", "V").stdout.strip() == "BL Lac has no polarimetry in V."


def test_the_plot_draws_p_and_chi(run: Run, measured: list[PolarizationMeasurement], tmp_path: Path) -> None:
    text = run("polarimetry", "BL Lac", "--plot", "--width", "90", "--height", "30").stdout
    assert "p % (debiased)" in text and "χ deg" in text and "BL Lac polarimetry (2 sets)" in text
    image = tmp_path / "pol.png"
    assert f"Wrote {image}" in run("polarimetry", "BL Lac", "--png", str(image)).stdout
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_target_without_polarimetry(run: Run) -> None:
    run("target", "add", "Quiet", "--ra", "10", "--dec", "20")
    assert run("polarimetry", "Quiet").stdout.strip() == "Quiet has no polarimetry."
    assert json_of(run("polarimetry", "Quiet", "--json"))["measurements"] == []
    failed = run("polarimetry", "Quiet", "--plot", expect=1)
    assert "Quiet has no polarimetry to plot" in failed.stderr
    assert "no target" in run("polarimetry", "Nobody", expect=1).stderr.lower()
