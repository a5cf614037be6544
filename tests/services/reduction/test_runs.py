"""`start_run` over the archive: a simulated night with known truth reduced onto a light curve,
resumed, forced, retried; bad frames flagged while the others are done; raw/ never written; an
interrupted run leaves only whole products and is taken up by the next."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from astropy.nddata import CCDData

from tests.support.cli import append_config
from tests.support.reduction import (
    EXPOSURE_S,
    NightFiles,
    import_night,
    raw_hashes,
    simulated_night,
    write_night,
)
from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.adapters.simulated.imaging import Camera
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.domain.reduction import FrameFlag, FrameStatus, RunRecord, RunSelection
from tom_tui.services.photometry.reads import photometry_of
from tom_tui.services.reduction import work
from tom_tui.services.reduction.frames import import_frames, list_frames
from tom_tui.services.reduction.runs import RunProgress, list_runs, run_detail, start_run
from tom_tui.store.store import Store


def statuses(record: RunRecord) -> list[str]:
    return sorted(outcome.status.value for outcome in record.outcomes)


def reduced_points(store: Store, target_id: int) -> list[dict[str, Any]]:
    _, table = photometry_of(store, target_id)
    return [row for row in table.to_pylist() if row["source"] == "reduction"]


def test_the_variable_star_s_reduced_magnitudes_match_the_truth(
    store: Store, night_files: NightFiles
) -> None:
    target_id = import_night(store, night_files)
    before = raw_hashes(store)
    record = start_run(store, catalog=night_files.catalog, workers=1)
    assert statuses(record) == ["done"] * 4
    assert not record.failed
    assert sorted(master.kind for master in record.masters) == ["bias", "dark", "flat"]
    assert all(master.built and len(master.source_frame_ids) == 3 for master in record.masters)
    points = sorted(reduced_points(store, target_id), key=lambda row: row["mjd"])
    assert len(points) == 4
    variable = night_files.night.variable
    for index, point in enumerate(points):
        truth = variable.magnitude(night_files.science_mjd(index))
        assert point["mjd"] == pytest.approx(night_files.science_mjd(index), abs=1e-6)
        assert point["filter"] == "r"
        assert 0 < point["magerr"] < 0.02
        assert abs(point["mag"] - truth) < 3 * point["magerr"] + 0.01
        provenance = json.loads(point["extra"])
        assert provenance["run"] == str(record.id) and provenance["frame_id"] > 0
        assert provenance["aperture_px"] > 0
    assert raw_hashes(store) == before


def test_outcomes_name_their_products_which_hold_data_uncertainty_mask_and_sources(
    store: Store, night_files: NightFiles, tmp_path: Path
) -> None:
    import_night(store, night_files)
    later = SimulatedNight(seed=11, star_count=30, start=night_files.night.start + dt.timedelta(days=12))
    later.science(0, EXPOSURE_S).writeto(tmp_path / "later.fits")
    import_frames(store, [tmp_path / "later.fits"])
    record = start_run(store, catalog=night_files.catalog, workers=1)
    assert record.counts["done"] == 5
    [stale] = [o for o in record.outcomes if o.night == "20260127"]
    assert stale.flag_names == ["stale_master"]
    assert any("is 12 days from night 20260127" in reason for reason in stale.reasons)
    assert {(m.kind, m.for_night) for m in record.masters if m.warning} == {
        ("bias", "20260127"),
        ("dark", "20260127"),
        ("flat", "20260127"),
    }
    outcome = record.outcomes[0]
    assert outcome.reduced_path == f"reduced/SIM-0m5/20260115/{Path(outcome.raw_path).stem}.fits"
    reduced = CCDData.read(store.root / outcome.reduced_path)
    assert reduced.uncertainty is not None and reduced.mask is not None
    assert reduced.wcs is not None and reduced.wcs.has_celestial
    sources = pq.read_table(store.root / str(outcome.sources_path))
    assert outcome.star_count is not None and sources.num_rows == outcome.star_count >= 25
    assert outcome.fwhm_px is not None and outcome.fwhm_px == pytest.approx(
        night_files.night.fwhm_pixels, rel=0.1
    )
    assert outcome.astrometric_rms_px is not None and outcome.astrometric_rms_px <= 0.1
    assert outcome.zero_point is not None and outcome.zero_point_error is not None
    assert {"read", "bias", "flat", "astrometry", "photometry", "write"} <= set(outcome.timings)
    masters = [store.root / master.path for master in record.masters]
    assert all(path.is_file() and "/masters/" in path.as_posix() for path in masters)
    assert not any((store.root / ".work" / "reductions").iterdir())


def test_a_second_run_skips_everything_and_force_redoes_without_duplicating_points(
    store: Store, night_files: NightFiles
) -> None:
    target_id = import_night(store, night_files)
    first = start_run(store, catalog=night_files.catalog, workers=1)
    second = start_run(store, catalog=night_files.catalog, workers=1)
    assert statuses(second) == ["skipped"] * 4
    assert all(f"done in run {first.id}" in outcome.reasons[0] for outcome in second.outcomes)
    assert not any(master.built for master in second.masters)
    assert len(reduced_points(store, target_id)) == 4
    forced = start_run(store, catalog=night_files.catalog, workers=1, force=True)
    assert statuses(forced) == ["done"] * 4
    assert sorted(master.kind for master in forced.masters if master.built) == ["bias", "dark", "flat"]
    assert len(reduced_points(store, target_id)) == 4
    assert [run.id for run in list_runs(store)] == [forced.id, second.id, first.id]
    assert run_detail(store, f"#{first.id}").counts["done"] == 4


def add_bad_frames(store: Store, night: SimulatedNight, folder: Path) -> dict[str, int]:
    """Frames that cannot be reduced, by what is wrong with them; their ids."""
    folder.mkdir()
    small = SimulatedNight(
        seed=5,
        star_count=20,
        camera=Camera(telescope="SIM-0m5", instrument="SIMCCD", nx=128, ny=128, gain=1.5),
    )
    small.science(9, EXPOSURE_S).writeto(folder / "small.fits")
    no_gain = night.science(5, EXPOSURE_S)
    del no_gain[0].header["GAIN"]
    no_gain.writeto(folder / "nogain.fits")
    blank = night.flat(7)  # an evenly lit frame that says it is a light: no stars
    blank[0].header["IMAGETYP"] = "LIGHT"
    blank.writeto(folder / "blank.fits")
    lonely = SimulatedNight(seed=11, star_count=0, saturated_mags=())  # the variable alone: no match
    lonely.science(6, EXPOSURE_S).writeto(folder / "lonely.fits")
    import_frames(store, [folder])
    damaged = next(f for f in store.root.glob("raw/*/*/science3.fits"))
    data = bytearray(damaged.read_bytes())
    data[-20000:-10000] = b"\xff" * 10000
    damaged.write_bytes(bytes(data))
    return {Path(frame.path).stem: frame.id or 0 for frame in list_frames(store)}


BAD_FRAMES = {
    "science3": ("corrupt_file", "changed since it was archived"),
    "small": ("size_mismatch", "128x128 pixels but the master bias is 256x256"),
    "nogain": ("bad_header", "header keyword GAIN is missing"),
    "blank": ("no_stars", "no stars found"),
    "lonely": ("no_astrometric_match", "lonely.fits"),
}


def test_bad_frames_are_flagged_with_reasons_and_the_others_done(
    store: Store, night_files: NightFiles, tmp_path: Path
) -> None:
    import_night(store, night_files)
    ids = add_bad_frames(store, night_files.night, tmp_path / "odd")
    record = start_run(store, catalog=night_files.catalog, workers=1)
    assert record.failed
    assert record.counts == {"done": 3, "failed": 5, "skipped": 0, "pending": 0}
    for name, (flag, reason) in BAD_FRAMES.items():
        outcome = record.outcome_of(ids[name])
        assert outcome is not None and outcome.status is FrameStatus.FAILED
        assert outcome.flag_names == [flag], (name, outcome.reasons)
        assert reason in outcome.reasons[-1] and outcome.reduced_path is None
    again = start_run(store, catalog=night_files.catalog, workers=1)
    assert statuses(again) == ["skipped"] * 8 and not again.failed
    retried = start_run(store, catalog=night_files.catalog, workers=1, retry_failed=True)
    assert statuses(retried) == ["failed"] * 5 + ["skipped"] * 3


def test_a_worker_failing_while_writing_leaves_no_product(
    store: Store, night_files: NightFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_night(store, night_files)

    def half_written(ccd: CCDData, path: Path) -> None:
        Path(path).write_bytes(b"SIMPLE  =                    T" + b" " * 100)
        raise OSError("No space left on device")

    monkeypatch.setattr(work, "_write_reduced", half_written)
    record = start_run(store, catalog=night_files.catalog, workers=1)
    assert statuses(record) == ["failed"] * 4
    assert all(o.flags & FrameFlag.CRASHED and "No space left" in o.reasons[-1] for o in record.outcomes)
    assert not list((store.root / "reduced").rglob("science*"))
    assert not any((store.root / ".work" / "reductions").iterdir())


def test_an_interrupted_run_keeps_whole_products_only_and_the_next_run_finishes(
    store: Store, night_files: NightFiles
) -> None:
    target_id = import_night(store, night_files)

    def interrupt(progress: RunProgress) -> None:
        if progress.stage == "frames" and progress.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        start_run(store, catalog=night_files.catalog, workers=1, progress=interrupt)
    [stopped] = list_runs(store)
    assert stopped.finished and "stopped: KeyboardInterrupt" in stopped.log[-2]
    assert stopped.counts["done"] == 2 and stopped.counts["pending"] == 2
    products = sorted(p.name for p in (store.root / "reduced").rglob("science*.fits"))
    assert products == sorted(
        f"{Path(o.raw_path).stem}.fits" for o in stopped.outcomes if o.status is FrameStatus.DONE
    )
    resumed = start_run(store, catalog=night_files.catalog, workers=1)
    assert statuses(resumed) == ["done", "done", "skipped", "skipped"]
    assert len(reduced_points(store, target_id)) == 4


def test_selection_by_night_and_target(store: Store, night_files: NightFiles) -> None:
    import_night(store, night_files)
    assert start_run(store, RunSelection.of(night="2026-01-16"), catalog=night_files.catalog).outcomes == []
    assert start_run(store, RunSelection.of(telescope="other"), catalog=night_files.catalog).outcomes == []
    by_target = start_run(
        store, RunSelection.of(target="SIM Var 1", night="20260115"), catalog=night_files.catalog, workers=1
    )
    assert statuses(by_target) == ["done"] * 4
    with pytest.raises(NotFoundError):
        start_run(store, RunSelection.of(target="no such star"))
    with pytest.raises(ValidationError, match="not a date"):
        RunSelection.of(night="tomorrow")
    with pytest.raises(NotFoundError, match="reduction run 99"):
        run_detail(store, 99)


def test_frames_without_calibration_or_catalog_say_what_is_missing(store: Store, tmp_path: Path) -> None:
    append_config(store, "[reduction]\ngaia = false")
    files = write_night(tmp_path / "night", simulated_night())
    for path in files.folder.glob("bias*.fits"):
        path.unlink()
    import_frames(store, [files.folder])
    record = start_run(store, workers=1)
    assert record.failed and len(record.outcomes) == 4
    for outcome in record.outcomes:
        assert outcome.flag_names == ["no_master"]
        assert any("no bias frames of telescope SIM-0m5" in reason for reason in outcome.reasons)
    files.folder.joinpath("more").mkdir()
    simulated_night().bias(5).writeto(files.folder / "more" / "bias5.fits")
    import_frames(store, [files.folder / "more"])
    again = start_run(store, workers=1, retry_failed=True)
    for outcome in again.outcomes:
        assert outcome.flag_names == ["no_catalog"]
        assert "Gaia is turned off" in outcome.reasons[-1] and "--catalog" in outcome.reasons[-1]
