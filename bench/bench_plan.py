"""`tom-tui plan` for a list of 1,000 targets (990 fixed, 10 asteroids) and one night.

Target (issue 5): <= 2 s for the whole process (interpreter start, imports, store read, plan,
JSON output). Median of 5 runs of ``tom-tui --store DIR plan --list big --night ... --json``.

Run: ``.venv/bin/python bench/bench_plan.py [--targets 1000]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 2.0
RUNS = 5


def build_store(root: Path, count: int) -> None:
    from tom_tui.domain.target import build_target
    from tom_tui.services.targets.operations import ensure_lists
    from tom_tui.store.store import Store
    from tom_tui.store.targets import TargetRepository

    rng = random.Random(2026)
    fields = []
    for number in range(count):
        if number % 100 == 0:  # 1% asteroids: their position comes from their elements
            fields.append(
                {
                    "name": f"Asteroid {number}",
                    "scheme": "MPC_MINOR_PLANET",
                    "epoch_of_elements": 61000,
                    "inclination": rng.uniform(0, 30),
                    "lng_asc_node": rng.uniform(0, 360),
                    "arg_of_perihelion": rng.uniform(0, 360),
                    "eccentricity": rng.uniform(0, 0.3),
                    "mean_anomaly": rng.uniform(0, 360),
                    "semimajor_axis": rng.uniform(1.5, 3.5),
                    "lists": ["big"],
                }
            )
        else:
            fields.append(
                {
                    "name": f"AT2026{number:05d}",
                    "ra": rng.uniform(0, 360),
                    "dec": rng.uniform(-60, 85),
                    "lists": ["big"],
                }
            )
    store = Store.init(root)
    with store.transaction() as tx:
        repository = TargetRepository(tx)
        repository.insert_many([build_target(f) for f in fields])
        ensure_lists(tx, ["big"])
        repository.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    args = parser.parse_args()
    executable = Path(sys.executable).with_name("tom-tui")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "store"
        build_store(root, args.targets)
        command = [
            str(executable),
            "--store",
            str(root),
            "plan",
            "--list",
            "big",
            "--night",
            "2026-11-22",
            "--json",
        ]
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        rows = result.stdout.count(b'"hours_observable"')
    assert rows == args.targets, f"plan listed {rows} targets, expected {args.targets}"
    median = statistics.median(times)
    verdict = "OK" if median <= TARGET_S else "TOO SLOW"
    print(
        f"plan, {args.targets} targets, whole process: median {median:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}) target <= {TARGET_S} s: {verdict}"
    )


if __name__ == "__main__":
    main()
