"""A small simulated night of raw frames with known truth, written as files to import and reduce:
3 bias, 3 darks, 3 flats and 4 science frames of 256x256 pixels, ~30 stars, one variable star,
and the field's reference catalog as ECSV (the variable left out)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.services.reduction.frames import import_frames
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

BIAS_FRAMES = 3
DARK_FRAMES = 3
FLAT_FRAMES = 3
SCIENCE_FRAMES = 4
EXPOSURE_S = 60.0
VARIABLE_NAME = "SIM Var 1"


@dataclass
class NightFiles:
    night: SimulatedNight
    folder: Path
    catalog: Path
    science: list[Path]

    def science_mjd(self, index: int) -> float:
        return self.night.mjd_of(index, EXPOSURE_S)


def simulated_night() -> SimulatedNight:
    return SimulatedNight(seed=11, star_count=30)


def write_night(folder: Path, night: SimulatedNight | None = None, prefix: str = "") -> NightFiles:
    """The night's frames as FITS files in ``folder`` and its catalog beside the folder."""
    night = night or simulated_night()
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(BIAS_FRAMES):
        night.bias(index).writeto(folder / f"{prefix}bias{index}.fits")
    for index in range(DARK_FRAMES):
        night.dark(index).writeto(folder / f"{prefix}dark{index}.fits")
    for index in range(FLAT_FRAMES):
        night.flat(index).writeto(folder / f"{prefix}flat{index}.fits")
    science = []
    for index in range(SCIENCE_FRAMES):
        path = folder / f"{prefix}science{index}.fits"
        night.science(index, EXPOSURE_S).writeto(path)
        science.append(path)
    catalog = folder.parent / f"{prefix}catalog.ecsv"
    table = night.catalog
    table.rename_column("mag", f"{night.band}mag")  # a magnitude column named after its filter
    table.write(catalog, format="ascii.ecsv", overwrite=True)
    return NightFiles(night, folder, catalog, science)


@pytest.fixture(scope="session")
def night_files(tmp_path_factory: pytest.TempPathFactory) -> NightFiles:
    return write_night(tmp_path_factory.mktemp("simulated-night") / "frames")


def import_night(store: Store, files: NightFiles) -> int:
    """The night's frames in the store's archive and its variable star as a target; its id."""
    import_frames(store, [files.folder])
    variable = files.night.variable
    target = TargetService(store).add({"name": VARIABLE_NAME, "ra": variable.ra, "dec": variable.dec})
    return int(target.target.id or 0)


def raw_hashes(store: Store) -> dict[str, str]:
    """Every file under raw/ with a hash of its content."""
    return {
        path.relative_to(store.root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((store.root / "raw").rglob("*"))
        if path.is_file()
    }
