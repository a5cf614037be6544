"""The sigma-clipped combine of master frames: the same master as ccdproc, outliers rejected,
bad pixels skipped, bounded memory."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import ccdproc
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.stats import mad_std

from tom_tui.processing.reduction.combine import merge_exchange_pairs
from tom_tui.processing.reduction.masters import combine_frames, master_bias

HEIGHT, WIDTH = 37, 53


def _bias_frames(count: int, seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    columns = rng.normal(0.0, 3.0, WIDTH)
    return [np.round(1000 + columns + rng.normal(0, 5, (HEIGHT, WIDTH))) for _ in range(count)]


def _write(folder: Path, frames: list[np.ndarray], compressed: bool = False) -> list[Path]:
    paths = []
    for index, data in enumerate(frames):
        path = folder / f"bias{index}.fits{'.fz' if compressed else ''}"
        header = fits.Header({"IMAGETYP": "BIAS", "EXPTIME": 0.0})
        pixels = data.astype(np.uint16)  # written as int16 with BZERO = 32768, as cameras do
        if compressed:
            fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(pixels, header)]).writeto(path)
        else:
            fits.PrimaryHDU(pixels, header).writeto(path)
        paths.append(path)
    return paths


def _ccdproc_master(sources: list[Path] | list[CCDData]) -> CCDData:
    return ccdproc.combine(
        [str(source) if isinstance(source, Path) else source for source in sources],
        method="average",
        sigma_clip=True,
        sigma_clip_low_thresh=3.0,
        sigma_clip_high_thresh=3.0,
        sigma_clip_func=np.ma.median,
        sigma_clip_dev_func=mad_std,
        dtype=np.float32,
        unit="adu",
    )


@pytest.mark.parametrize("count", range(1, 34))
def test_the_sorting_network_sorts_any_values(count: int) -> None:
    rng = np.random.default_rng(count)
    pairs = merge_exchange_pairs(count)
    cases = [list(rng.normal(size=count)) for _ in range(30)]
    if count <= 6:
        cases += [list(order) for order in itertools.permutations(range(count))]
    for values in cases:
        for i, j in pairs:
            if values[i] > values[j]:
                values[i], values[j] = values[j], values[i]
        assert values == sorted(values)


@pytest.mark.parametrize("count", [2, 3, 4, 7, 10])
def test_master_from_files_equals_ccdprocs_combine(tmp_path: Path, count: int) -> None:
    frames = _bias_frames(count)
    frames[0][5, 7] += 5000  # a cosmic ray
    paths = _write(tmp_path, frames)
    ours = combine_frames(paths, memory_limit=2000)  # a few rows at a time
    theirs = _ccdproc_master(paths)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=0, atol=1e-3)
    np.testing.assert_allclose(ours.uncertainty.array, theirs.uncertainty.array, rtol=0, atol=1e-3)
    assert ours.data.dtype == np.float32
    assert ours.meta["NCOMBINE"] == count


def test_a_cosmic_ray_is_rejected_and_the_rest_averaged(tmp_path: Path) -> None:
    frames = _bias_frames(7)
    frames[2][10, 20] = 60000.0
    master = master_bias(_write(tmp_path, frames))
    others = [frame[10, 20] for index, frame in enumerate(frames) if index != 2]
    assert master.data[10, 20] == pytest.approx(np.mean(others), abs=1e-3)
    untouched = np.mean(frames, axis=0)
    away = np.ones((HEIGHT, WIDTH), dtype=bool)
    away[10, 20] = False
    # Elsewhere a 3-sigma clip of Gaussian noise rejects almost nothing: the master is the mean.
    assert np.median(np.abs(master.data[away] - untouched[away])) < 1e-3


def test_in_memory_frames_with_masks_and_nan_skip_the_bad_pixels() -> None:
    frames = [CCDData(data.astype(np.float32), unit="adu") for data in _bias_frames(5)]
    frames[1].data[3, 4] = np.nan
    frames[2].mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    frames[2].mask[3, 5] = True
    for frame in frames:
        frame.data[8, 9] = np.nan  # lost on every frame
    master = combine_frames(frames)
    good = [frame.data[3, 4] for index, frame in enumerate(frames) if index != 1]
    assert master.data[3, 4] == pytest.approx(np.mean(good), abs=1e-3)
    kept = [frame.data[3, 5] for index, frame in enumerate(frames) if index != 2]
    assert master.data[3, 5] == pytest.approx(np.mean(kept), abs=1e-3)
    assert master.mask is not None and master.mask[8, 9] and master.mask.sum() == 1
    theirs = _ccdproc_master(frames)
    finite = np.isfinite(master.data)
    np.testing.assert_allclose(master.data[finite], theirs.data[finite], rtol=0, atol=1e-3)


def test_tile_compressed_files_give_the_same_master(tmp_path: Path) -> None:
    frames = _bias_frames(4)
    (tmp_path / "plain").mkdir()
    plain = combine_frames(_write(tmp_path / "plain", frames))
    packed = combine_frames(_write(tmp_path, frames, compressed=True))
    np.testing.assert_allclose(packed.data, plain.data, rtol=0, atol=1e-4)


def test_a_frame_of_another_size_is_named(tmp_path: Path) -> None:
    paths = _write(tmp_path, _bias_frames(3))
    odd = tmp_path / "odd.fits"
    fits.PrimaryHDU(np.zeros((HEIGHT, WIDTH + 1), dtype=np.uint16)).writeto(odd)
    with pytest.raises(ValueError, match=rf"odd.fits is {WIDTH + 1}x{HEIGHT}; expected {WIDTH}x{HEIGHT}"):
        combine_frames([*paths, odd])


def test_a_master_bias_from_files_peaks_under_three_frames_of_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    size = 1024  # big enough that fixed costs do not count
    paths = []
    for index in range(6):
        path = tmp_path / f"b{index}.fits"
        fits.PrimaryHDU(np.round(1000 + rng.normal(0, 5, (size, size))).astype(np.uint16)).writeto(path)
        paths.append(path)
    master_bias(paths[:2])  # first-call costs are not the combine's
    tracemalloc.start()
    try:
        master = master_bias(paths)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert master.shape == (size, size)
    assert peak < 3 * size * size * 4
