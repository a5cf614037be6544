"""A simulated night of raw frames written to disk for the reduction benchmarks, and a store to
reduce it in (the writing is never timed)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.adapters.simulated.imaging import Camera
from tom_tui.services.reduction.frames import import_frames
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

EXPOSURE_S = 60.0


@dataclass(frozen=True)
class NightSize:
    """How big a night: frame side (pixels), calibration frames (half bias, half flats), science
    frames and stars per science frame."""

    side: int
    calibration: int
    science: int
    stars: int


FULL = NightSize(side=2048, calibration=20, science=80, stars=200)
QUICK = NightSize(side=256, calibration=6, science=6, stars=30)


@dataclass(frozen=True)
class NightOnDisk:
    night: SimulatedNight
    folder: Path
    catalog: Path
    frames: int


def write_night(folder: Path, size: NightSize) -> NightOnDisk:
    """The night's bias, flat and science frames as FITS files, and its reference catalog (ECSV)."""
    camera = dataclasses.replace(
        Camera(telescope="SIM-0m5", instrument="SIMCCD", nx=size.side, ny=size.side, gain=1.5)
    )
    night = SimulatedNight(seed=2026, camera=camera, star_count=size.stars)
    frames = folder / "frames"
    frames.mkdir(parents=True)
    biases = size.calibration // 2
    for index in range(biases):
        night.bias(index).writeto(frames / f"bias{index:03d}.fits")
    for index in range(size.calibration - biases):
        night.flat(index).writeto(frames / f"flat{index:03d}.fits")
    for index in range(size.science):
        night.science(index, EXPOSURE_S).writeto(frames / f"science{index:03d}.fits")
    catalog = folder / "catalog.ecsv"
    night.catalog.write(catalog, format="ascii.ecsv")
    return NightOnDisk(night, frames, catalog, size.calibration + size.science)


def new_store(root: Path, night: NightOnDisk) -> Store:
    """An empty store with the night's variable star as a target (so its light curve fills)."""
    store = Store.init(root)
    variable = night.night.variable
    TargetService(store).add({"name": "SIM Var 1", "ra": variable.ra, "dec": variable.dec})
    return store


def timed_import(store: Store, night: NightOnDisk) -> float:
    started = time.perf_counter()
    import_frames(store, [night.folder])
    return time.perf_counter() - started
