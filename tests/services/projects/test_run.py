"""Running projects in this process: bad catalogue rows, failing downloads, resuming, versions,
proper motion and promotion, each checked against what was put in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.surveys import EVENT_MJD, ScriptedSurvey
from tom_tui.domain.errors import ValidationError
from tom_tui.services.projects.catalogue import read_catalogue
from tom_tui.services.projects.project_file import CatalogueSettings
from tom_tui.services.projects.raw_data import answered
from tom_tui.services.projects.results import (
    histogram_totals,
    project_status,
    promote,
    rates,
)
from tom_tui.services.projects.run import prepare, run_project
from tom_tui.services.projects.stages import OUTPUT_TABLES, read_output
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

PROJECT = """
[project]
name = "flares"
[catalogue]
path = "catalogue.csv"
[catalogue.columns]
name = "name"
[download]
surveys = ["scripted"]
threads = {threads}
requests_per_second = {rate}
[reduce]
min_points = 20
[inject]
copies = 1
amplitudes = [5.0, 20.0]
"""


def write_project(
    folder: Path, rows: list[tuple[str, str, str]], threads: int = 2, extra: str = "", rate: float = 1000.0
) -> Path:
    lines = ["name,ra,dec", *(",".join(row) for row in rows)]
    (folder / "catalogue.csv").write_text("\n".join(lines) + "\n")
    path = folder / "flares.toml"
    path.write_text(PROJECT.format(threads=threads, rate=rate) + extra)
    return path


def test_bad_rows_and_failed_downloads_are_recorded_and_the_run_goes_on(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    path = write_project(
        tmp_path,
        [
            ("ok-1", "10.2", "5.0"),
            ("no-dec", "10.3", ""),
            ("event-2", "10.4", "6.0"),
            ("throttled-3", "11.5", "7.0"),
            ("garbled-4", "12.5", "8.0"),
            ("empty-5", "12.6", "9.0"),
        ],
    )
    summary = run_project(store, path, workers=1)
    assert (summary.sources, summary.rejected, summary.bins) == (5, 1, 3)
    assert summary.statuses == {"downloaded": 2, "failed": 2, "empty": 1}
    assert set(summary.failure_reasons) == {
        "Scripted survey: HTTP 429 Too Many Requests from http://127.0.0.1/lc",
        "Scripted survey: unexpected answer from http://127.0.0.1/lc (KeyError: 'mjd')",
    }
    assert not summary.stopped
    rejected = pd.read_parquet(store.root / summary.folder / "rejected.parquet")
    assert rejected.to_dict("records") == [
        {"source": 1, "line": 3, "reason": "dec is missing or not between -90 and 90"}
    ]
    downloads = read_output(store, summary.folder, "download").set_index("source")
    assert downloads.loc[3, "status"] == "failed" and "429" in str(downloads.loc[3, "reason"])
    # The event is found where it was put; the flat and empty sources give nothing.
    detections = read_output(store, summary.folder, "detections")
    assert detections["name"].tolist() == ["event-2"]
    assert abs(detections["peak_mjd"].iloc[0] - EVENT_MJD) < 3
    # The empty answer is remembered: a second run asks only for the failed sources again.
    ScriptedSurvey.asked = []
    again = run_project(store, path, workers=1)
    assert sorted(ScriptedSurvey.asked) == ["garbled-4", "throttled-3"]
    assert again.bins_skipped == 1 and again.statuses["failed"] == 2


def test_ten_failures_in_a_row_stop_the_run_and_nothing_downloaded_is_lost(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    rows = [(f"ok-{index}", "20.5", f"{index * 0.01:.2f}") for index in range(30)]
    path = write_project(tmp_path, rows, threads=1)
    ScriptedSurvey.fail_after = 5
    summary = run_project(store, path, workers=1)
    assert summary.stopped == (
        "Scripted survey: 10 downloads failed in a row "
        "(the last: Scripted survey: HTTP 429 Too Many Requests from http://127.0.0.1/lc)"
    )
    # Five answers, ten failures, and at most the requests already in flight (two per thread).
    assert summary.statuses["downloaded"] == 5
    assert 10 <= summary.statuses["failed"] <= 12
    assert len(ScriptedSurvey.asked) <= 5 + 10 + 2
    assert len(answered(store, "scripted", 20)) == 5
    assert not (store.root / summary.folder / "done").exists()

    # The service recovers: the next run downloads only the rest; a third asks for nothing.
    ScriptedSurvey.fail_after = None
    ScriptedSurvey.asked = []
    assert run_project(store, path, workers=1).statuses == {"known": 5, "downloaded": 25}
    assert len(ScriptedSurvey.asked) == 25
    ScriptedSurvey.asked = []
    assert run_project(store, path, workers=1).bins_skipped == 1
    assert ScriptedSurvey.asked == []


def test_a_stop_half_way_then_resume_redoes_nothing_done(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    rows = [(f"ok-{index}", f"{30 + index}.5", "1.0") for index in range(4)]
    path = write_project(tmp_path, rows)
    first = run_project(store, path, workers=1, stop_after_bins=2)
    assert first.interrupted and first.bins_done == 2
    assert ScriptedSurvey.asked == ["ok-0", "ok-1"]
    done_files = sorted((store.root / first.folder / "lightcurves").iterdir())
    written = {file.name: file.stat().st_mtime_ns for file in done_files}

    ScriptedSurvey.asked = []
    second = run_project(store, path, workers=1)
    assert ScriptedSurvey.asked == ["ok-2", "ok-3"]
    assert second.bins_skipped == 2 and not second.interrupted
    for file in done_files:
        assert file.stat().st_mtime_ns == written[file.name]
    assert len(read_output(store, second.folder, "candidates")) == 4
    # Raw data is shared: another project on the same positions asks the survey nothing.
    other = write_project(tmp_path, rows, extra="[find]\nthreshold = 6.0\n")
    ScriptedSurvey.asked = []
    third = run_project(store, other, workers=1)
    assert third.version != second.version and ScriptedSurvey.asked == []
    assert all(len(answered(store, "scripted", 30 + index)) == 1 for index in range(4))


def test_the_version_changes_with_a_result_setting_and_not_otherwise(store: Store, tmp_path: Path) -> None:
    rows = [("ok-1", "10.0", "1.0")]
    base = prepare(store, write_project(tmp_path, rows)).version
    assert prepare(store, write_project(tmp_path, rows, threads=8)).version == base
    assert prepare(store, write_project(tmp_path, rows, extra="[find]\nthreshold = 5.0\n")).version == base
    assert prepare(store, write_project(tmp_path, rows, extra="[find]\nthreshold = 6.0\n")).version != base
    assert prepare(store, write_project(tmp_path, [*rows, ("ok-2", "11.0", "1.0")])).version != base
    saved = json.loads((store.root / "projects" / "flares" / base / "configuration.json").read_text())
    assert saved["find"]["threshold"] == 5.0 and saved["version"] == base
    assert saved["flag_bits"] == {"survey_flags": 1, "bad_errors": 2, "offset_outliers": 4}
    assert len(saved["catalogue_sha256"]) == 64


def test_project_file_problems_are_all_reported(store: Store, tmp_path: Path) -> None:
    path = write_project(
        tmp_path, [("ok-1", "10.0", "1.0")], extra="[find]\nthreshhold = 6\nsideband_days = 'x'\n"
    )
    path.write_text(path.read_text() + "[histogram]\n")
    with pytest.raises(ValidationError) as raised:
        prepare(store, path)
    problems = raised.value.problems
    assert any(
        "[find]: unknown key 'threshhold'; did you mean 'threshold'?" in problem for problem in problems
    )
    assert any("[find] sideband_days: expected a number, got 'x'" in problem for problem in problems)
    assert any("unknown table 'histogram'; did you mean 'histograms'?" in problem for problem in problems)


def test_proper_motion_moves_positions_to_the_survey_epoch(tmp_path: Path) -> None:
    path = tmp_path / "stars.csv"
    path.write_text("name,ra,dec,pmra,pmdec\nfast,150.0,0.0,1000,2000\nstill,150.0,10.0,,\n")
    settings = CatalogueSettings(
        path="stars.csv", epoch=2000.0, columns={"name": "name", "pm_ra": "pmra", "pm_dec": "pmdec"}
    )
    sources = read_catalogue(path, settings, 2020.0, "stars").sources
    (fast_ra, still_ra), (fast_dec, still_dec) = sources["ra"].tolist(), sources["dec"].tolist()
    # 20 years at (1, 2) arcsec per year: 20" east, 40" north.
    assert (fast_ra - 150.0) * 3600 == pytest.approx(20.0, abs=0.01)
    assert fast_dec * 3600 == pytest.approx(40.0, abs=0.01)
    assert (still_ra, still_dec) == pytest.approx((150.0, 10.0), abs=1e-9)


def test_promote_makes_targets_once_and_status_reports_the_run(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    path = write_project(tmp_path, [("event-7", "40.5", "-3.0"), ("ok-8", "41.5", "-3.0")])
    run_project(store, path, workers=1)
    outcome = promote(store, path, min_score=5.0)
    assert (outcome.considered, outcome.created, outcome.skipped) == (1, ["event-7"], [])
    assert promote(store, path, min_score=5.0).skipped == ["event-7"]
    target = TargetService(store).get("event-7")
    assert target.ra == pytest.approx(40.5) and target.dec == pytest.approx(-3.0)
    assert target.tags == ["project:flares"]
    assert target.extra["project_score"] > 5
    status = project_status(store, path)
    assert (status.bins_done, status.bins, status.detections) == (2, 2, 1)
    assert status.statuses == {"downloaded": 2}
    totals = histogram_totals(store, status.folder)
    assert totals[totals["kind"] == "real"]["count"].sum() == 2
    assert rates(store, status.folder)["injected"].sum() == 2
    # The summed histograms, also as arrays for numpy alone.
    with np.load(store.root / status.folder / "histograms.npz") as arrays:
        assert arrays["real_filters"].tolist() == ["ztfr"] and int(arrays["real_counts"].sum()) == 2
        assert arrays["real_counts"].shape == (
            1,
            len(arrays["mag_edges"]) - 1,
            len(arrays["score_edges"]) - 1,
        )
    summed = pd.read_parquet(store.root / status.folder / "histograms.parquet")
    pd.testing.assert_frame_equal(summed, totals)


GAIA = Path(__file__).resolve().parents[2] / "data" / "catalogs" / "gaia" / "astroquery_gaia_result.ecsv"


@pytest.mark.parametrize("suffix", [".ecsv", ".fits", ".parquet"])
def test_a_real_gaia_catalogue_in_each_format_moves_to_the_survey_epoch(tmp_path: Path, suffix: str) -> None:
    from astropy.table import Table

    gaia = Table.read(GAIA, format="ascii.ecsv")
    gaia.meta = {}  # the archive's query text: no place in a FITS header
    path = tmp_path / f"gaia{suffix}"
    if suffix == ".ecsv":
        path = GAIA
    elif suffix == ".fits":
        gaia["designation", "ra", "dec", "pmra", "pmdec"].write(path)
    else:
        gaia["designation", "ra", "dec", "pmra", "pmdec"].to_pandas().to_parquet(path)
    settings = CatalogueSettings(
        path=str(path), epoch=2016.0, columns={"name": "designation", "pm_ra": "pmra", "pm_dec": "pmdec"}
    )
    sources = read_catalogue(path, settings, 2024.0, "gaia").sources
    assert sources["name"].tolist() == [str(name) for name in gaia["designation"]]
    # Eight years of linear motion (mas/yr; pmra already times cos dec); no motion where Gaia has none.
    years, mas_per_degree = 8.0, 3.6e6
    pmra = np.nan_to_num(np.asarray(gaia["pmra"], dtype=float))
    pmdec = np.nan_to_num(np.asarray(gaia["pmdec"], dtype=float))
    dec = np.asarray(gaia["dec"], dtype=float)
    expected_dec = dec + pmdec * years / mas_per_degree
    expected_ra = np.asarray(gaia["ra"], dtype=float) + pmra * years / mas_per_degree / np.cos(
        np.radians(dec)
    )
    assert np.abs(sources["dec"].to_numpy() - expected_dec).max() * mas_per_degree < 0.5
    assert np.abs(sources["ra"].to_numpy() - expected_ra).max() * mas_per_degree < 1.0
    assert sources["ra_bin"].tolist() == [279 if ra < 280 else 280 for ra in sources["ra"]]


def test_a_yaml_project_is_the_same_project(store: Store, tmp_path: Path) -> None:
    toml_version = prepare(store, write_project(tmp_path, [("ok-1", "10.0", "1.0")])).version
    yaml_path = tmp_path / "flares.yaml"
    yaml_path.write_text(
        "project: {name: flares}\n"
        "catalogue: {path: catalogue.csv, columns: {name: name}}\n"
        "download: {surveys: [scripted], threads: 2}\n"
        "reduce: {min_points: 20}\n"
        "inject: {copies: 1, amplitudes: [5.0, 20.0]}\n"
    )
    assert prepare(store, yaml_path).version == toml_version


def test_downloads_keep_to_the_rate_limit(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    rows = [(f"empty-{index}", "80.5", f"{index * 0.01:.2f}") for index in range(9)]
    summary = run_project(store, write_project(tmp_path, rows, threads=4, rate=20.0), workers=1)
    assert summary.statuses == {"empty": 9}
    # Nine requests from four threads at 20 per second: eight intervals of at least 50 ms.
    times = sorted(ScriptedSurvey.asked_at)
    assert len(times) == 9 and times[-1] - times[0] >= 0.39


def test_every_output_folder_reads_as_one_table_without_tom_tui(
    store: Store, tmp_path: Path, scripted_survey: type[ScriptedSurvey]
) -> None:
    import duckdb

    # One bin with an event, one whose download failed, one with an empty answer.
    path = write_project(
        tmp_path, [("event-1", "90.5", "5.0"), ("throttled-2", "91.5", "5.0"), ("empty-3", "92.5", "5.0")]
    )
    folder = store.root / run_project(store, path, workers=1).folder
    counts = {}
    for table in OUTPUT_TABLES:
        frame = pd.read_parquet(folder / table)
        relation = duckdb.sql(f"SELECT count(*) FROM '{folder / table}/*.parquet'")
        assert relation is not None and relation.fetchall() == [(len(frame),)], table
        counts[table] = len(frame)
    assert counts["download"] == 3 and counts["detections"] == 1 and counts["injections"] == 1
    detections = pd.read_parquet(folder / "detections")
    assert detections[["name", "filter"]].values.tolist() == [["event-1", "ztfr"]]


def test_a_column_mapping_to_a_missing_column_and_an_unsafe_name_are_refused(
    store: Store, tmp_path: Path
) -> None:
    path = write_project(tmp_path, [("ok-1", "10.0", "1.0")])
    path.write_text(path.read_text().replace('name = "name"', 'name = "designation"'))
    with pytest.raises(
        ValidationError, match="column mapping names columns the catalogue lacks \\(name → 'designation'\\)"
    ):
        prepare(store, path)
    path.write_text(path.read_text().replace('name = "flares"', 'name = "../flares"'))
    with pytest.raises(ValidationError, match="names a folder"):
        prepare(store, path)
    assert not (store.root / "projects").exists()
