"""Every reader and the config, fed mutated real files: a clean result or tom-tui's own error.

Seeded and bounded (about 2,600 cases, under a minute on one core); a failure names the
reader, seed file, case number and mutations, which replay it exactly. ``bench/fuzz_readers.py``
runs the same cases at a larger count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import fuzz_store, readers, run_reader

# Cases per seed file, by reader: the cheap readers get many, the ones that write to a store fewer.
CASES_PER_SEED = {
    "photometry": 50,
    "spectra": 45,
    "target-csv": 500,
    "avro": 10,
    "config": 600,
    "photometry-upload": 8,
    "spectrum-upload": 10,
    "target-import": 60,
    "alert-ingest": 6,
    "yse-ingest": 200,
}


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2024-02-01T00:00:00")


@pytest.mark.parametrize("name", sorted(CASES_PER_SEED))
def test_mutated_real_files_get_a_result_or_a_clean_refusal(name: str, tmp_path: Path) -> None:
    reader = next(reader for reader in readers(tmp_path) if reader.name == name)
    store = fuzz_store(tmp_path / "store")
    counts = run_reader(reader, store, CASES_PER_SEED[name], tmp_path)
    shown = "\n".join(str(failure) for failure in counts.failures[:10])
    assert not counts.failures, f"{len(counts.failures)} of {counts.cases} cases failed:\n{shown}"
    assert counts.accepted > 0, "no mutated file was accepted: the seeds themselves are refused"


def test_every_reader_is_fuzzed(tmp_path: Path) -> None:
    assert {reader.name for reader in readers(tmp_path)} == set(CASES_PER_SEED)
