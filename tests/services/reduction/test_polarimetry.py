"""Polarimetry at the end of a reduction run, on simulated frames of a 5 % polarised star."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from tom_tui.adapters.simulated.polarimetry import SimulatedPolarimetricNight
from tom_tui.domain.reduction import RunRecord
from tom_tui.services.reduction.frames import import_frames
from tom_tui.services.reduction.polarimetry import measure_polarimetry, polarimetry_of
from tom_tui.services.reduction.runs import start_run
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

EXPOSURE_S = 60.0


@dataclass
class PolarimetricRun:
    store: Store
    night: SimulatedPolarimetricNight
    record: RunRecord
    field_star: int  # index into night.stars


def write_night(night: SimulatedPolarimetricNight, folder: Path, *, sets: int, last_set_frames: int) -> Path:
    """Bias, flats at every analyser position and ``sets`` polarimetric sets as FITS files, the
    last of them cut after its first ``last_set_frames`` frames."""
    folder.mkdir(parents=True)
    for index in range(2):
        night.bias(index).writeto(folder / f"bias{index}.fits")
        for angle in night.angles:
            night.polarimetric_flat(index, angle).writeto(folder / f"flat{index}_{angle:g}.fits")
    for set_index in range(sets):
        for angle, hdul in zip(night.angles, night.polarimetric_set(set_index, EXPOSURE_S), strict=True):
            if set_index == sets - 1 and night.angles.index(angle) >= last_set_frames:
                continue
            hdul.writeto(folder / f"pol{set_index}_{angle:g}.fits")
    return folder


def reduce_night(tmp: Path, *, sets: int, last_set_frames: int) -> PolarimetricRun:
    night = SimulatedPolarimetricNight(seed=21)
    store = Store.init(tmp / "store")
    targets = TargetService(store)
    targets.add({"name": "POL STAR", "ra": night.target.ra, "dec": night.target.dec})
    unpolarised = [i for i in np.argsort(night.stars["mag"]) if not night.stars["variable"][i]]
    field_star = int(unpolarised[0])
    stars = night.stars
    targets.add(
        {"name": "FIELD STAR", "ra": float(stars["ra"][field_star]), "dec": float(stars["dec"][field_star])}
    )
    catalog = tmp / "catalog.ecsv"
    Table({"ra": night.catalog["ra"], "dec": night.catalog["dec"], "r": night.catalog["mag"]}).write(catalog)
    import_frames(store, [write_night(night, tmp / "frames", sets=sets, last_set_frames=last_set_frames)])
    record = start_run(store, workers=1, catalog=catalog)
    return PolarimetricRun(store, night, record, field_star)


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> PolarimetricRun:
    return reduce_night(tmp_path_factory.mktemp("polarimetry"), sets=2, last_set_frames=1)


def test_a_run_measures_the_polarised_star_with_its_instrument_corrected(reduced: PolarimetricRun) -> None:
    assert not reduced.record.failed, reduced.record.log
    shown = polarimetry_of(reduced.store, "POL STAR")
    assert len(shown.measurements) == 1
    result = shown.measurements[0]
    assert abs(result.p - 0.05) < 3 * result.p_err and abs(result.p - 0.05) < 0.003
    chi_off = abs((result.chi_deg - 30.0 + 90.0) % 180.0 - 90.0)
    assert chi_off < 3 * result.chi_err_deg and chi_off < 2.0
    assert result.run == str(reduced.record.id) and result.band == "r" and len(result.frame_ids) == 4
    assert result.mjd == pytest.approx(
        (reduced.night.mjd_of(0, EXPOSURE_S) + reduced.night.mjd_of(3, EXPOSURE_S)) / 2, abs=1e-6
    )


def test_points_measured_through_the_analyser_are_kept_off_the_light_curve(reduced: PolarimetricRun) -> None:
    # Each analyser frame sees a polarised star up to ±p off its total brightness: such points stay
    # stored (polarimetry reads them) but are flagged, with the reason, out of the light curve.
    from tom_tui.services.photometry.flags import target_flags
    from tom_tui.services.photometry.reads import photometry_of

    _, shown = photometry_of(reduced.store, "POL STAR")
    _, everything = photometry_of(reduced.store, "POL STAR", include_flagged=True)
    assert shown.num_rows == 0 and everything.num_rows == 5  # one full set and one cut short
    _, flags = target_flags(reduced.store, "POL STAR")
    assert len(flags) == 5 and all("analyser" in (flag.reason or "") for flag in flags)
    assert {flag.flagged_by for flag in flags} == {"tom-tui reduction"}


def test_an_unpolarised_star_stays_consistent_with_zero(reduced: PolarimetricRun) -> None:
    result = polarimetry_of(reduced.store, "FIELD STAR").measurements[0]
    assert result.p_debiased < 3 * result.p_err
    assert math.hypot(result.q / result.q_err, result.u / result.u_err) < 4.0


def test_the_incomplete_set_is_in_the_run_log_with_its_reason(reduced: PolarimetricRun) -> None:
    lines = [line for line in reduced.record.log if " polarimetry: " in line]
    assert any("frames at 0° only; 45°/90°/135° missing" in line for line in lines), reduced.record.log
    assert any("set(s) measured" in line for line in lines)


def test_measuring_again_replaces_the_stored_sets(reduced: PolarimetricRun) -> None:
    again = measure_polarimetry(reduced.store, reduced.record, reduced.record.outcomes)
    assert len(again.measurements) == 2  # the polarised star and the field star
    assert len(polarimetry_of(reduced.store, "POL STAR").measurements) == 1


def test_a_set_finished_by_a_later_run_is_measured_then(tmp_path: Path) -> None:
    night = SimulatedPolarimetricNight(seed=22)
    store = Store.init(tmp_path / "store")
    TargetService(store).add({"name": "POL STAR", "ra": night.target.ra, "dec": night.target.dec})
    catalog = tmp_path / "catalog.ecsv"
    Table({"ra": night.catalog["ra"], "dec": night.catalog["dec"], "r": night.catalog["mag"]}).write(catalog)
    folder = write_night(night, tmp_path / "frames", sets=1, last_set_frames=4)
    first_half = [
        path for path in folder.iterdir() if not path.name.startswith("pol0_") or "_0." in path.name
    ]
    import_frames(store, [*first_half, folder / "pol0_45.fits"])
    first = start_run(store, workers=1, catalog=catalog)
    assert polarimetry_of(store, "POL STAR").measurements == []
    assert any("90°/135° missing" in line for line in first.log)
    import_frames(store, [folder / "pol0_90.fits", folder / "pol0_135.fits"])
    second = start_run(store, workers=1, catalog=catalog)
    assert second.counts["done"] == 2
    (measured,) = polarimetry_of(store, "POL STAR").measurements
    assert measured.run == str(second.id) and abs(measured.p - 0.05) < 0.003
