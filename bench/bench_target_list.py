"""`tom-tui target list --json` (and `--csv`) as whole processes, with their peak memory, next to
the way the list was built before (every Target object first, one dump) in the same run.

Targets: 1M targets <= 5 s and <= 500 MB peak; 100k targets <= 0.6 s.
The two outputs are checked to be the same bytes before anything is timed.

Run: .venv/bin/python bench/bench_target_list.py            (100k and 1M targets)
     .venv/bin/python bench/bench_target_list.py --quick    (1k and 10k: checks that it runs)
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import TOM_TUI, import_into_new_store, machine_note, median_measured, write_target_csv

TARGETS_S = {100_000: 0.6, 1_000_000: 5.0}
TARGET_MIB = 500

# The list as it was built before streaming: every target document made a Target, every Target
# a dict, the whole list held and dumped at once.
OLD_PATH = """
import sys, orjson
from pathlib import Path
from tom_tui.store.store import Store
from tom_tui.services.targets.operations import SUMMARY_COLUMNS, TargetFilter, TargetService
service = TargetService(Store.open(Path(sys.argv[1])))
rows = service.query(TargetFilter())
records = rows.select(list(SUMMARY_COLUMNS)).to_pylist()
payload = []
for target, record in zip(service.full_targets(rows), records, strict=True):
    item = target.to_json()
    item["photometry"] = {
        "points": record["n_points"] or 0, "latest_mag": record["last_det_mag"],
        "latest_filter": record["last_det_filter"], "latest_mjd": record["last_det_mjd"],
        "peak_mag": record["peak_mag"],
    }
    payload.append(item)
sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
sys.stdout.buffer.write(b"\\n")
"""


def digest(arguments: list[str]) -> str:
    return hashlib.sha256(subprocess.run(arguments, check=True, capture_output=True).stdout).hexdigest()


def measure(store: Path, count: int, runs: int, with_old: bool) -> None:
    new = [*TOM_TUI, "--store", str(store), "target", "list", "--json"]
    old = [sys.executable, "-c", OLD_PATH, str(store)]
    if with_old:
        assert digest(new) == digest(old), "the streamed list differs from the list built whole"
    seconds, peak = median_measured(new, runs)
    target = TARGETS_S.get(count)
    goal = (
        f" (target <= {target} s" + (f", <= {TARGET_MIB} MB)" if count >= 1_000_000 else ")")
        if target
        else ""
    )
    print(f"{count:>9,} targets  target list --json: {seconds:.3f} s, peak {peak:.0f} MiB{goal}")
    csv_seconds, csv_peak = median_measured([*new[:-1], "--csv"], runs)
    print(f"{count:>9,} targets  target list --csv:  {csv_seconds:.3f} s, peak {csv_peak:.0f} MiB")
    if with_old:
        old_seconds, old_peak = median_measured(old, max(1, runs // 2))
        print(
            f"{count:>9,} targets  before (objects, one dump): {old_seconds:.3f} s, peak {old_peak:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1k and 10k targets only")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-old", action="store_true", help="skip the path as it was before")
    arguments = parser.parse_args()
    counts = [1_000, 10_000] if arguments.quick else [100_000, 1_000_000]
    print(machine_note())
    for count in counts:
        with tempfile.TemporaryDirectory() as directory:
            workdir = Path(directory)
            write_target_csv(workdir / "targets.csv", count)
            import_into_new_store(workdir / "store", workdir / "targets.csv")
            measure(workdir / "store", count, 2 if arguments.quick else arguments.runs, not arguments.no_old)


if __name__ == "__main__":
    main()
