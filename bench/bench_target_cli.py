"""`tom-tui target add` into a small and a large store, and `tom-tui target show NAME --json`,
as whole processes (interpreter start included).

Targets: an add into 1M targets ≤ 0.3 s and ≤ 1.2× an add into 1k targets (no cost that grows
with the store: the add appends to the index delta and a shard log instead of rewriting them);
show ≤ 0.5 s. Floor in the same run: `python -c "import pyarrow"`, the cheapest process that
could read the index at all.

Run: .venv/bin/python bench/bench_target_cli.py [--targets 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

from _common import TOM_TUI, import_into_new_store, machine_note, time_process, write_target_csv

ADD_TARGET_S = 0.3
GROWTH_LIMIT = 1.2
SHOW_TARGET_S = 0.5
SMALL = 1_000


def median_add(store: Path, runs: int, numbers: itertools.count[int]) -> float:
    """Median whole-process time of ``runs`` adds of new targets at new positions."""
    times = []
    for _ in range(runs):
        number = next(numbers)
        arguments = [
            *TOM_TUI,
            "--store",
            str(store),
            "target",
            "add",
            f"BENCH{number}",
            "--ra",
            f"{(number * 7.3) % 360:.4f}",
            "--dec",
            f"{(number * 3.1) % 80:.4f}",
        ]
        once, _ = time_process(arguments, 1)
        times.append(once)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the script runs")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.targets, arguments.runs = 3_000, 2
    print(machine_note())
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        stores = {}
        for count in (SMALL, arguments.targets):
            csv_path = workdir / f"targets-{count}.csv"
            write_target_csv(csv_path, count)
            stores[count] = workdir / f"store-{count}"
            seconds = import_into_new_store(stores[count], csv_path)
            print(f"built a store of {count:,} targets (tom-tui target import) in {seconds:.1f} s")
        floor, _ = time_process([sys.executable, "-c", "import pyarrow"], arguments.runs)
        print(f"floor: python -c 'import pyarrow': {floor:.3f} s")
        numbers = itertools.count()
        small = median_add(stores[SMALL], arguments.runs, numbers)
        large = median_add(stores[arguments.targets], arguments.runs, numbers)
        print(f"tom-tui target add into {SMALL:,} targets: median {small:.3f} s")
        growth = large / small
        verdict = "PASS" if large <= ADD_TARGET_S and growth <= GROWTH_LIMIT else "FAIL"
        print(
            f"tom-tui target add into {arguments.targets:,} targets: median {large:.3f} s, "
            f"{growth:.2f}× the {SMALL:,}-target add; target <= {ADD_TARGET_S} s and "
            f"<= {GROWTH_LIMIT}×: {verdict}"
        )
        show, _ = time_process(
            [
                *TOM_TUI,
                "--store",
                str(stores[arguments.targets]),
                "target",
                "show",
                f"ZTF26{arguments.targets // 2:07d}",
                "--json",
            ],
            arguments.runs,
        )
        print(
            f"tom-tui target show NAME --json on {arguments.targets:,} targets: median {show:.3f} s "
            f"target <= {SHOW_TARGET_S} s: {'PASS' if show <= SHOW_TARGET_S else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
