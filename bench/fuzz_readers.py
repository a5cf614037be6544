"""The long fuzz run: the cases of tests/fuzz at a larger count, over every reader and the config.

Case n of a reader and seed file is the same case in the tests and here (its seed is
``reader:file:n``), so a failure found here replays in the tests with a larger count. Prints, per
reader, the cases run, accepted, refused cleanly and failed, the time, and the first failures.

Run: .venv/bin/python bench/fuzz_readers.py [TOTAL_CASES] [READER ...]   (default 100,000)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package
os.environ.setdefault("TOM_TUI_NOW", "2024-02-01T00:00:00")

from tests.fuzz.harness import fuzz_store, readers, run_reader

# Each reader's share of the cases; the readers that write to a store cost 5-10 times more.
SHARE = {
    "photometry": 0.2,
    "spectra": 0.15,
    "target-csv": 0.1,
    "avro": 0.05,
    "config": 0.1,
    "photometry-upload": 0.1,
    "spectrum-upload": 0.08,
    "target-import": 0.05,
    "alert-ingest": 0.02,
    "yse-ingest": 0.15,
}


def main(total: int, only: list[str]) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        for reader in readers(work):
            if only and reader.name not in only:
                continue
            per_seed = max(1, round(total * SHARE[reader.name] / len(reader.seeds)))
            place = work / reader.name
            place.mkdir()
            started = time.perf_counter()
            counts = run_reader(reader, fuzz_store(place / "store"), per_seed, place)
            seconds = time.perf_counter() - started
            print(
                f"{reader.name:18} {counts.cases:7,} cases  {counts.accepted:7,} accepted  "
                f"{counts.refused:7,} refused  {len(counts.failures):5,} failed  {seconds:7.0f} s",
                flush=True,
            )
            for failure in counts.failures[:5]:
                print(f"    {failure}")
            failed += len(counts.failures)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    total = int(arguments.pop(0)) if arguments and arguments[0].isdigit() else 100_000
    sys.exit(main(total, arguments))
