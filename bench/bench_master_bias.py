"""Master bias from 10 raw frames of 2k x 2k: wall time and peak memory, against a numpy median.

The frames are written once (uint16, as a camera writes them) to a temporary folder; the master
is built by :func:`tom_tui.processing.reduction.masters.master_bias` from the file paths, which
reads them a tile at a time under a memory limit of two frames' worth. The plain way, stacking
every frame in memory and taking ``numpy.median``, runs in the same process for comparison. Peak
memory is what ``tracemalloc`` saw allocated (numpy reports its buffers to it). Goal (issue 10):
≤ 1.5 s and ≤ 3 frames' worth of memory.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from astropy.io import fits

from tom_tui.processing.reduction.masters import master_bias

FRAMES = 10
SIZE = 2048
FRAME_BYTES = SIZE * SIZE * 4  # one frame as float32, the master's type


def write_frames(folder: Path) -> list[Path]:
    rng = np.random.default_rng(2026)
    columns = rng.normal(0, 3, SIZE)
    paths = []
    for number in range(FRAMES):
        data = 1000 + columns[None, :] + rng.normal(0, 5, (SIZE, SIZE))
        path = folder / f"bias{number:02d}.fits"
        header = fits.Header({"IMAGETYP": "BIAS", "EXPTIME": 0.0, "BUNIT": "adu"})
        fits.PrimaryHDU(np.round(data).astype(np.uint16), header).writeto(path)
        paths.append(path)
    return paths


def measured(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``work`` takes, and the peak bytes it allocates (in a second run: tracing slows
    every allocation down, so the time is taken untraced)."""
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def numpy_median(paths: list[Path]) -> np.ndarray:
    stack = np.stack([fits.getdata(path).astype(np.float32) for path in paths])
    return np.median(stack, axis=0)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        paths = write_frames(Path(folder))
        ours_s, ours_peak = measured(lambda: master_bias(paths, memory_limit=2 * FRAME_BYTES))
        plain_s, plain_peak = measured(lambda: numpy_median(paths))
    print(
        f"master bias, {FRAMES} frames {SIZE}x{SIZE}: {ours_s:.2f} s, "
        f"peak {ours_peak / FRAME_BYTES:.1f} frames "
        f"({ours_peak / 1e6:.0f} MB); numpy median of the stack: {plain_s:.2f} s, peak "
        f"{plain_peak / FRAME_BYTES:.1f} frames ({plain_peak / 1e6:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
