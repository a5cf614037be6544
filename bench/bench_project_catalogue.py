"""A 100k-source catalogue against the simulated survey, end to end, killed half-way and resumed.

``tom-tui project run`` runs as a process of its own (a local cluster of ``--workers`` worker
processes) on a fresh store. The first run is killed with SIGKILL (its whole process group: the
command, the scheduler and the workers) once half of the RA bins are done; the second run
resumes it. Printed: the wall time of each run, the peak memory of the whole process tree
(resident set, sampled every 0.2 s), how many bins the resumed run skipped, and whether any file
written before the kill was written again (it must not be: resuming redoes nothing done).
``--quick`` runs 200 sources in 8 bins to check the script works. The simulated survey costs
~0.1 s of CPU per source (it draws every visit of a five-year light curve), which bounds the
end-to-end rate.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

PROJECT = """
[project]
name = "catalogue"
[catalogue]
path = "catalogue.csv"
[download]
surveys = ["simulated"]
threads = 4
requests_per_second = 1000.0
[inject]
copies = 1
"""


def write_project(folder: Path, sources: int, ra_span: float) -> Path:
    rng = np.random.default_rng(2026)
    ra = rng.uniform(0.0, ra_span, sources)
    dec = np.degrees(np.arcsin(rng.uniform(-0.45, 1.0, sources)))
    lines = [
        "name,ra,dec",
        *(f"S{index:06d},{a:.6f},{d:.6f}" for index, (a, d) in enumerate(zip(ra, dec, strict=True))),
    ]
    (folder / "catalogue.csv").write_text("\n".join(lines) + "\n")
    path = folder / "catalogue.toml"
    path.write_text(PROJECT)
    return path


class PeakMemory:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                total = sum(process.memory_info().rss for process in [root, *root.children(recursive=True)])
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def done_files(store: Path) -> dict[str, int]:
    return {str(path): path.stat().st_mtime_ns for path in store.glob("projects/catalogue/*/done/*.json")}


def run(
    store: Path, project: Path, workers: int, kill_at_bins: int | None
) -> tuple[float, int, dict[str, object] | None]:
    command = [sys.executable, "-m", "tom_tui", "--store", str(store), "project", "run", str(project)]
    command += ["--workers", str(workers), "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    memory = PeakMemory(process.pid)
    while kill_at_bins is not None and process.poll() is None:
        if len(done_files(store)) >= kill_at_bins:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    output, _ = process.communicate()
    elapsed = time.perf_counter() - started
    peak = memory.stop()
    summary = json.loads(output) if process.returncode == 0 and output else None
    return elapsed, peak, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--sources", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    sources, ra_span = (200, 8.0) if arguments.quick else (arguments.sources, 360.0)
    os.environ.setdefault("TOM_TUI_NOW", "2021-03-01T00:00:00")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        project = write_project(folder, sources, ra_span)
        store = folder / "store"
        subprocess.run([sys.executable, "-m", "tom_tui", "init", str(store)], check=True, capture_output=True)
        bins = len(
            {
                int(float(line.split(",")[1]))
                for line in (folder / "catalogue.csv").read_text().splitlines()[1:]
            }
        )
        killed_time, killed_peak, _ = run(store, project, arguments.workers, kill_at_bins=bins // 2)
        before = done_files(store)
        resumed_time, resumed_peak, summary = run(store, project, arguments.workers, kill_at_bins=None)
        after = done_files(store)
    rewritten = [path for path, stamp in before.items() if after.get(path) != stamp]
    print(f"{sources:,} sources in {bins} RA bins, {arguments.workers} workers, simulated survey")
    mebibytes = 2**20
    killed_mib = killed_peak / mebibytes
    print(f"first run killed after {len(before)} bins: {killed_time:.1f} s, peak {killed_mib:,.0f} MiB")
    assert summary is not None, "the resumed run failed"
    print(
        f"resumed run: {resumed_time:.1f} s, peak {resumed_peak / mebibytes:,.0f} MiB, "
        f"{summary['bins_skipped']} bins skipped, {summary['detections']} detections"
    )
    print(f"downloads: {summary['statuses']}")
    total = killed_time + resumed_time
    print(f"end to end: {total:.1f} s → {sources / total:,.1f} sources/s")
    print(f"files written before the kill and written again: {len(rewritten)} (must be 0)")


if __name__ == "__main__":
    main()
