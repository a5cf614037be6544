"""Master bias from 10 raw frames of 2k x 2k: wall time and peak memory, against two peers.

The frames are written once (uint16, as a camera writes them) to a temporary folder; then three
ways of combining them each run in a fresh process of their own, so one's memory never counts
against another's:

- **tom-tui**: :func:`tom_tui.processing.reduction.masters.master_bias` from the file paths (each
  file memory-mapped and read once, a band of rows at a time, sigma-clipped mean with the
  median/MAD clip computed by a sorting network), at its default memory limit;
- **numpy median**: stack every frame in memory and take ``numpy.median`` (no clipping);
- **ccdproc**: ``ccdproc.combine`` with the same clipping (median centre, MAD spread, 3 sigma,
  average) and a memory limit of one frame's worth.

For each: the wall time of one untraced run, the peak of memory allocated during a second run
(``tracemalloc``, which numpy reports its buffers to; memory-mapped file pages are not
allocations), and the growth of the process's peak resident set. Goal (issue 10): ≤ 1.5 s and
≤ 3 frames' worth of memory. ``--quick`` runs tiny frames to check the script works.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from astropy.io import fits

FRAMES = 10
SIZE = 2048
QUICK_SIZE = 256


def write_frames(folder: Path, count: int, size: int) -> list[Path]:
    rng = np.random.default_rng(2026)
    columns = rng.normal(0, 3, size)
    paths = []
    for number in range(count):
        data = 1000 + columns[None, :] + rng.normal(0, 5, (size, size))
        path = folder / f"bias{number:02d}.fits"
        header = fits.Header({"IMAGETYP": "BIAS", "EXPTIME": 0.0, "BUNIT": "adu"})
        fits.PrimaryHDU(np.round(data).astype(np.uint16), header).writeto(path)
        paths.append(path)
    return paths


def tom_tui_master(paths: list[Path]) -> object:
    from tom_tui.processing.reduction.masters import master_bias

    return master_bias(paths)


def numpy_median(paths: list[Path]) -> object:
    stack = np.stack([fits.getdata(path).astype(np.float32) for path in paths])
    return np.median(stack, axis=0)


def ccdproc_combine(paths: list[Path]) -> object:
    import ccdproc
    from astropy.stats import mad_std

    frame_bytes = fits.getdata(paths[0]).size * 4
    return ccdproc.combine(
        [str(path) for path in paths],
        method="average",
        sigma_clip=True,
        sigma_clip_low_thresh=3.0,
        sigma_clip_high_thresh=3.0,
        sigma_clip_func=np.ma.median,
        sigma_clip_dev_func=mad_std,
        mem_limit=frame_bytes,
        dtype=np.float32,
        unit="adu",
    )


METHODS: dict[str, Callable[[list[Path]], object]] = {
    "tom-tui master_bias": tom_tui_master,
    "numpy median of the stack": numpy_median,
    "ccdproc.combine (same clipping)": ccdproc_combine,
}


def measure(name: str, paths: list[Path]) -> tuple[float, int, int]:
    """Seconds, traced peak bytes and resident-set growth (bytes) of one method, in this process."""
    work = METHODS[name]
    work(paths[:2])  # imports and first-call costs are not the combine's
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    work(paths)
    elapsed = time.perf_counter() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    tracemalloc.start()
    work(paths)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, rss_growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SIZE}x{QUICK_SIZE} frames, to check it runs"
    )
    parser.add_argument("--size", type=int, default=None, help=f"frame side in pixels (default {SIZE})")
    parser.add_argument("--frames", type=int, default=FRAMES)
    args = parser.parse_args()
    size = args.size or (QUICK_SIZE if args.quick else SIZE)
    frame_bytes = size * size * 4  # one frame as float32, the master's type
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        paths = write_frames(Path(folder), args.frames, size)
        print(
            f"master bias, {args.frames} frames {size}x{size} "
            f"(one float32 frame = {frame_bytes / 1e6:.1f} MB)"
        )
        for name in METHODS:
            with context.Pool(1) as pool:
                elapsed, peak, rss = pool.apply(measure, (name, paths))
            print(
                f"  {name:34s} {elapsed:6.2f} s   peak allocated {peak / frame_bytes:5.1f} frames "
                f"({peak / 1e6:6.1f} MB)   resident growth {rss / 1e6:6.1f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
