"""`tom-tui target add` and `tom-tui target show NAME --json` on a store of 100k targets,
as whole processes (interpreter start included).

Targets (issue 2): each <= 0.5 s. Floor in the same run: `python -c "import pyarrow"`, the
cheapest process that could read the index at all.

Run: .venv/bin/python bench/bench_target_cli.py [--targets 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import TOM_TUI, import_into_new_store, machine_note, time_process, write_target_csv

TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    print(machine_note())
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        csv_path = workdir / "targets.csv"
        write_target_csv(csv_path, arguments.targets)
        store = workdir / "store"
        import_into_new_store(store, csv_path)
        floor, _ = time_process([sys.executable, "-c", "import pyarrow"], arguments.runs)
        print(f"floor: python -c 'import pyarrow': {floor:.3f} s")
        counter = iter(range(10**6))

        def add_arguments() -> list[str]:
            number = next(counter)
            return [
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

        times = []
        for _ in range(arguments.runs):
            median_one, _ = time_process(add_arguments(), 1)
            times.append(median_one)
        times.sort()
        add = times[len(times) // 2]
        print(
            f"tom-tui target add into {arguments.targets:,} targets: median {add:.3f} s "
            f"target <= {TARGET_S} s: {'PASS' if add <= TARGET_S else 'FAIL'}"
        )
        show, _ = time_process(
            [
                *TOM_TUI,
                "--store",
                str(store),
                "target",
                "show",
                f"ZTF26{arguments.targets // 2:07d}",
                "--json",
            ],
            arguments.runs,
        )
        print(
            f"tom-tui target show NAME --json on {arguments.targets:,} targets: median {show:.3f} s "
            f"target <= {TARGET_S} s: {'PASS' if show <= TARGET_S else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
