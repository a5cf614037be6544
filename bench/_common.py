"""Helpers shared by the benchmark scripts: timing whole processes and building big stores."""

from __future__ import annotations

import csv
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

TOM_TUI = [sys.executable, "-m", "tom_tui"]


def time_process(arguments: Sequence[str], runs: int = 5) -> tuple[float, list[float]]:
    """Median wall time of a whole process (start to exit) over ``runs`` runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def run_measured(arguments: Sequence[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of one whole process, start to exit."""
    started = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, list(arguments))
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def median_measured(arguments: Sequence[str], runs: int) -> tuple[float, float]:
    """Median wall time and the largest peak memory over ``runs`` runs of a whole process."""
    results = [run_measured(arguments) for _ in range(runs)]
    return statistics.median(t for t, _ in results), max(m for _, m in results)


def import_into_new_store(store: Path, csv_path: Path) -> float:
    """`tom-tui init` a store, then time `tom-tui target import` of ``csv_path`` into it (whole process)."""
    subprocess.run([*TOM_TUI, "init", str(store)], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(
        [*TOM_TUI, "--store", str(store), "target", "import", str(csv_path), "--on-duplicate", "skip"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def write_target_csv(path: Path, count: int, seed: int = 2026) -> None:
    """A TOM Toolkit target CSV with an alias, two lists and two extras per target."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "name2", "type", "ra", "dec", "groups", "redshift", "classification"])
        for number in range(count):
            writer.writerow(
                [
                    f"AT2026{number:07d}",
                    f"ZTF26{number:07d}",
                    "SIDEREAL",
                    f"{rng.uniform(0, 360):.6f}",
                    f"{math.degrees(math.asin(rng.uniform(-1, 1))):.6f}",
                    "Survey, Bright" if number % 10 == 0 else "Survey",
                    f"{rng.uniform(0.001, 0.2):.4f}",
                    rng.choice(["SN Ia", "SN II", "TDE", "AGN"]),
                ]
            )


def machine_note() -> str:
    import os
    import platform

    load = os.getloadavg()[0]
    return f"python {platform.python_version()}, {os.cpu_count()} cores, load average {load:.2f} at start"
