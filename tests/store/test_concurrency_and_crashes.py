"""Several writers at once lose nothing; a writer killed at any moment leaves all or nothing."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from tom_tui.store.store import Store
from tom_tui.store.targets import SHARD_COUNT, TargetRepository
from tom_tui.store.transaction import JOURNAL_NAME

# These tests start many processes; they run on their own after the parallel part of the suite,
# so that they neither slow down nor are slowed down by the rest.
pytestmark = pytest.mark.serial

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tom_tui.store.store import Store
    from tom_tui.services.targets.operations import TargetService

    process, count = int(sys.argv[2]), int(sys.argv[3])
    service = TargetService(Store.open(Path(sys.argv[1])))
    for i in range(count):
        service.add({"name": f"P{process}-{i}", "ra": str(process * 40 + i * 0.1), "dec": str(-60 + i * 0.4)})
    """
)


def assert_store_consistent(store: Store) -> set[int]:
    """Index and documents agree, every file parses, no commit is left half done.

    A commit interrupted after its journal was written is finished by the next reader, so the
    journal may exist before this read but never after it.
    """
    with store.read() as view:
        assert not (store.root / JOURNAL_NAME).exists()
        index_ids = set(TargetRepository(view).index.ids.tolist())
        document_ids: set[int] = set()
        for shard in range(SHARD_COUNT):
            raw = store.root / "db" / "targets" / f"{shard:02x}.json"
            if raw.exists():
                document_ids.update(int(key) for key in orjson.loads(raw.read_bytes())["targets"])
    assert index_ids == document_ids
    return index_ids


def test_eight_processes_adding_at_once_lose_nothing(store: Store) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), str(p), "250"]) for p in range(8)
    ]
    assert [process.wait(timeout=600) for process in processes] == [0] * 8
    ids = assert_store_consistent(store)
    assert len(ids) == 2000
    with store.read() as view:
        names = set(TargetRepository(view).index.table.column("name").to_pylist())
    assert names == {f"P{p}-{i}" for p in range(8) for i in range(250)}


def _write_csv(path: Path, count: int) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "name2", "ra", "dec", "groups", "redshift"])
        for i in range(count):
            writer.writerow(
                [
                    f"CRASH{i:05d}",
                    f"ALT{i:05d}",
                    f"{(i * 0.011) % 360:.6f}",
                    f"{-80 + (i * 0.0053) % 160:.6f}",
                    "Bulk",
                    "0.05",
                ]
            )


def _import(store: Store, csv_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tom_tui", "--store", str(store.root), "target", "import", str(csv_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_bulk_import_killed_at_random_moments_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    csv_path = tmp_path / "bulk.csv"
    count = 4000
    _write_csv(csv_path, count)
    with store.transaction():
        pass
    started = time.monotonic()
    probe_store = Store.init(tmp_path / "probe")
    assert _import(probe_store, csv_path).wait(timeout=300) == 0
    duration = time.monotonic() - started
    rng = random.Random(20261122)
    outcomes = []
    for attempt in range(6):
        process = _import(store, csv_path)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        ids = assert_store_consistent(Store.open(store.root))
        assert len(ids) in (0, count), f"attempt {attempt}: {len(ids)} targets after a kill"
        outcomes.append(len(ids))
        if ids:  # start again from an empty store so that later kills can also land mid-import
            undo = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tom_tui",
                    "--store",
                    str(store.root),
                    "target",
                    "import",
                    "--undo",
                    f"imp-{_last_import_number(store)}",
                ],
                capture_output=True,
            )
            assert undo.returncode == 0, undo.stderr
            assert assert_store_consistent(store) == set()
    # The store still works after all that.
    assert _import(store, csv_path).wait(timeout=300) == 0
    assert len(assert_store_consistent(store)) == count


def _last_import_number(store: Store) -> int:
    with store.read() as view:
        return int(view.read_json("state/counters.json")["import"])
