"""A simulated night with known truth, reduced once for every accuracy test in this folder."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from astropy.nddata import CCDData

from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.processing.reduction.astrometry import ReferenceCatalog, SolveAstrometry
from tom_tui.processing.reduction.calibrate import CameraConstants, calibration_stages, overscan_and_trim
from tom_tui.processing.reduction.masters import master_bias, master_dark, master_flat
from tom_tui.processing.reduction.photometry import MeasurePhotometry
from tom_tui.processing.reduction.stages import ReductionFrame, run_stages

SCIENCE_FRAMES = 6
EXPOSURE_S = 60.0


@dataclass
class ReducedNight:
    night: SimulatedNight
    camera: CameraConstants
    bias: CCDData
    dark: CCDData
    flat: CCDData
    catalog: ReferenceCatalog
    frames: list[ReductionFrame]


def prepared(night: SimulatedNight, hdul: object, name: str, camera: CameraConstants) -> CCDData:
    frame = ReductionFrame.from_hdu(hdul[0], name=name)  # type: ignore[index]
    return overscan_and_trim(frame, camera).ccd


def build_masters(night: SimulatedNight) -> tuple[CameraConstants, CCDData, CCDData, CCDData]:
    camera = CameraConstants.from_header(night.bias(0)[0].header)
    bias = master_bias([prepared(night, night.bias(i), f"bias{i}.fits", camera) for i in range(7)])
    dark = master_dark([prepared(night, night.dark(i), f"dark{i}.fits", camera) for i in range(5)], bias)
    flat = master_flat(
        [prepared(night, night.flat(i), f"flat{i}.fits", camera) for i in range(5)], bias, dark
    )
    return camera, bias, dark, flat


@pytest.fixture(scope="session")
def reduced_night() -> ReducedNight:
    return reduce_simulated_night()


def reduce_simulated_night() -> ReducedNight:
    """Masters from the night's calibration frames, then every stage on its science frames."""
    night = SimulatedNight(seed=7)
    camera, bias, dark, flat = build_masters(night)
    catalog_table = night.catalog
    catalog = ReferenceCatalog.from_table(catalog_table, mag_column="mag")
    stages = [
        *calibration_stages(camera, bias, dark, flat),
        SolveAstrometry(catalog),
        MeasurePhotometry(catalog),
    ]
    frames = [
        run_stages(ReductionFrame.from_hdu(night.science(i, EXPOSURE_S)[0], name=f"science{i}.fits"), stages)
        for i in range(SCIENCE_FRAMES)
    ]
    return ReducedNight(night, camera, bias, dark, flat, catalog, frames)
