"""Blind solves with the real astrometry.net ``solve-field``, on simulated frames whose true WCS is
known, against an index built (with astrometry.net's own ``build-astrometry-index``) from the
field's reference catalog: the simulated sky's stars are not Tycho-2 stars, so the index is the
field's own. Skipped, saying why, where astrometry.net is not installed."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from tom_tui.adapters.astrometry_net import AstrometryNetSolver, installed_solver
from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.domain.reduction import FrameFlag
from tom_tui.processing.reduction.astrometry import BlindSolveFailed, ReferenceCatalog, SolveAstrometry
from tom_tui.processing.reduction.stages import ReductionFrame

NEEDS_ASTROMETRY_NET = pytest.mark.skipif(
    shutil.which("solve-field") is None or shutil.which("build-astrometry-index") is None,
    reason="astrometry.net is not installed (apt-get install astrometry.net; scripts/setup does it as root)",
)
WCS_KEYWORDS = (
    "CTYPE1",
    "CTYPE2",
    "CRVAL1",
    "CRVAL2",
    "CRPIX1",
    "CRPIX2",
    "CD1_1",
    "CD1_2",
    "CD2_1",
    "CD2_2",
)


@pytest.fixture(scope="module")
def night() -> SimulatedNight:
    return SimulatedNight(seed=7)


def _index(folder: Path, catalog: Table, name: str) -> Path:
    """An astrometry.net index of ``catalog`` for fields of a few arcminutes, and its config file."""
    stars = folder / f"{name}.fits"
    Table({"RA": catalog["ra"], "DEC": catalog["dec"], "MAG": catalog["mag"]}).write(stars)
    index = folder / f"{name}.index.fits"
    subprocess.run(
        [
            *("build-astrometry-index", "-i", str(stars), "-o", str(index)),
            *(
                "-A",
                "RA",
                "-D",
                "DEC",
                "-S",
                "MAG",
                "-l",
                "0.3",
                "-u",
                "1.5",
                "-N",
                "50",
                "-I",
                "1",
                "-r",
                "1",
            ),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    config = folder / f"{name}.cfg"
    config.write_text(f"add_path {folder}\nindex {index.name}\n")
    return config


@pytest.fixture(scope="module")
def field_index(night: SimulatedNight, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _index(tmp_path_factory.mktemp("index"), night.catalog, "field")


def _science(night: SimulatedNight, header_wcs: str) -> ReductionFrame:
    """Science frame 0 with its header WCS kept, removed ("none") or far off ("off")."""
    hdu = night.science(0)[0]
    if header_wcs == "none":
        for keyword in WCS_KEYWORDS:
            hdu.header.remove(keyword, ignore_missing=True)
    elif header_wcs == "off":
        hdu.header["CRPIX1"] += 120.0  # 47" off: beyond the stage's 25 px search
    hdu.header["RA"], hdu.header["DEC"] = night.ra, night.dec
    return ReductionFrame.from_hdu(hdu, name="science0.fits")


def _true_pixel_rms(night: SimulatedNight, frame: ReductionFrame) -> float:
    stars = night.stars[~night.stars["variable"] & ~night.stars["saturated"]]
    x, y = frame.ccd.wcs.all_world2pix(stars["ra"], stars["dec"], 0)
    return float(np.sqrt(np.mean((x - stars["x"]) ** 2 + (y - stars["y"]) ** 2)))


@NEEDS_ASTROMETRY_NET
@pytest.mark.parametrize("header_wcs", ["none", "off"])
def test_a_frame_without_a_usable_wcs_is_solved_blind(
    night: SimulatedNight, field_index: Path, header_wcs: str
) -> None:
    solver = AstrometryNetSolver(
        pixel_scale_arcsec=night.camera.pixel_scale_arcsec, timeout_s=60, config_file=str(field_index)
    )
    catalog = ReferenceCatalog.from_table(night.catalog, mag_column="mag")
    frame = SolveAstrometry(catalog, blind_solver=solver)(_science(night, header_wcs))
    assert not frame.dropped, frame.reasons
    assert frame.results["blind_solved"] is True
    assert frame.results["astrometric_rms_px"] <= 0.1
    assert _true_pixel_rms(night, frame) <= 0.1


@NEEDS_ASTROMETRY_NET
def test_no_solution_is_a_flag_with_the_reason(night: SimulatedNight, tmp_path: Path) -> None:
    elsewhere = night.catalog.copy()
    elsewhere["dec"] = elsewhere["dec"] - 10.0  # an index of another patch of sky
    solver = AstrometryNetSolver(
        pixel_scale_arcsec=night.camera.pixel_scale_arcsec,
        timeout_s=30,
        config_file=str(_index(tmp_path, elsewhere, "elsewhere")),
    )
    catalog = ReferenceCatalog.from_table(night.catalog, mag_column="mag")
    frame = SolveAstrometry(catalog, blind_solver=solver)(_science(night, "none"))
    assert frame.dropped
    assert frame.flags & FrameFlag.NO_ASTROMETRIC_MATCH
    assert frame.reasons[-1].startswith("science0.fits: solve-field found no solution for")


def test_without_a_solver_a_frame_without_wcs_says_so(night: SimulatedNight) -> None:
    catalog = ReferenceCatalog.from_table(night.catalog, mag_column="mag")
    frame = SolveAstrometry(catalog)(_science(night, "none"))
    assert frame.dropped
    assert "has no WCS in its header" in frame.reasons[-1]


def test_the_command_narrows_the_search_by_scale_and_pointing(tmp_path: Path) -> None:
    solver = AstrometryNetSolver("solve-field", pixel_scale_arcsec=0.39, timeout_s=30, config_file="my.cfg")
    command = solver.arguments(tmp_path / "stars.xyls", tmp_path, (256, 512), (150.0, 20.0))
    joined = " ".join(command)
    assert "--width 512 --height 256" in joined
    assert "--scale-units arcsecperpix --scale-low 0.351 --scale-high 0.429" in joined
    assert "--ra 150.000000 --dec 20.000000 --radius 2" in joined
    assert "--config my.cfg" in joined and "--cpulimit 30" in joined
    assert command[-1] == str(tmp_path / "stars.xyls")
    assert "--ra" not in solver.arguments(tmp_path / "s.xyls", tmp_path, (10, 10), None)


def test_a_solver_that_never_answers_is_stopped(tmp_path: Path) -> None:
    stuck = tmp_path / "solve-field"  # stands in for a solve-field that hangs
    stuck.write_text("#!/bin/sh\nsleep 60\n")
    stuck.chmod(0o755)
    solver = AstrometryNetSolver(str(stuck), pixel_scale_arcsec=1.0, timeout_s=1.0)
    rng = np.random.default_rng(1)
    started = time.monotonic()
    with pytest.raises(BlindSolveFailed, match=r"^solve-field gave no solution within 1 s$"):
        solver(rng.uniform(0, 100, 20), rng.uniform(0, 100, 20), rng.uniform(1, 10, 20), (100, 100), None)
    assert time.monotonic() - started < 10


def test_a_missing_program_is_named(tmp_path: Path) -> None:
    solver = AstrometryNetSolver(str(tmp_path / "nowhere" / "solve-field"))
    rng = np.random.default_rng(2)
    with pytest.raises(BlindSolveFailed, match=r"is not installed; install astrometry\.net"):
        solver(rng.uniform(0, 100, 10), rng.uniform(0, 100, 10), rng.uniform(1, 10, 10), (100, 100), None)


def test_installed_solver_follows_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert installed_solver(0.5) is None
    program = tmp_path / "solve-field"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    found = installed_solver(0.5)
    assert found is not None and found.program == str(program) and found.pixel_scale_arcsec == 0.5


def test_the_raw_frame_is_never_written(night: SimulatedNight, tmp_path: Path) -> None:
    raw = tmp_path / "raw.fits"
    night.science(0).writeto(raw)
    before = raw.read_bytes()
    frame = ReductionFrame.from_hdu(fits.open(raw)[0], name="raw.fits")
    stuck = tmp_path / "solve-field"
    stuck.write_text("#!/bin/sh\nexit 0\n")  # answers, with no solution
    stuck.chmod(0o755)
    catalog = ReferenceCatalog.from_table(night.catalog, mag_column="mag")
    frame.ccd.wcs = None
    SolveAstrometry(catalog, blind_solver=AstrometryNetSolver(str(stuck)))(frame)
    assert raw.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["raw.fits", "solve-field"]
