"""Records of job runs (``db/job_runs.json``) and when each job was first seen (``state/jobs.json``).

A run is written twice: when it starts (status ``running``) and when it ends (``ok``, ``failed`` or
``timeout``, with its counts, log and any traceback). Only the newest :data:`RUNS_KEPT` runs of
each job are kept so the file stays small.
"""

from __future__ import annotations

from typing import Any

from tom_tui.domain.jobs import JobRun
from tom_tui.store.transaction import StoreView, Transaction

RUNS_DB = "job_runs"
RUNS_TABLE = "runs"
STATE_FILE = "state/jobs.json"
RUNS_KEPT = 100
LOG_CHARS_KEPT = 20_000


def _table(view: StoreView) -> dict[str, dict[str, Any]]:
    raw = view.read_json(f"db/{RUNS_DB}.json") or {}
    return dict(raw.get(RUNS_TABLE, {}))


def all_runs(view: StoreView) -> list[JobRun]:
    known = set(JobRun.__dataclass_fields__)
    runs = [JobRun(**{k: v for k, v in doc.items() if k in known}) for doc in _table(view).values()]
    runs.sort(key=lambda run: run.run_id)
    return runs


def runs_of(view: StoreView, job: str) -> list[JobRun]:
    return [run for run in all_runs(view) if run.job == job]


def last_runs(view: StoreView) -> dict[str, JobRun]:
    """The newest run of every job."""
    latest: dict[str, JobRun] = {}
    for run in all_runs(view):
        latest[run.job] = run
    return latest


def save_run(tx: Transaction, run: JobRun) -> JobRun:
    """Insert (run_id 0 → a new id) or replace a run, pruning old runs of the same job."""
    if run.run_id == 0:
        run.run_id = tx.next_id("job_run")
    run.log = run.log[-LOG_CHARS_KEPT:]
    table = _table(tx)
    table[str(run.run_id)] = run.to_json()
    same_job = sorted((int(key) for key, doc in table.items() if doc.get("job") == run.job))
    for old in same_job[:-RUNS_KEPT]:
        table.pop(str(old), None)
    raw = dict(tx.read_json(f"db/{RUNS_DB}.json") or {})
    raw[RUNS_TABLE] = table
    # A run's log and traceback may quote what a job printed: keep them from other users.
    tx.keep_private(f"db/{RUNS_DB}.json")
    tx.write_json(f"db/{RUNS_DB}.json", raw)
    return run


def job_state(view: StoreView) -> dict[str, dict[str, Any]]:
    return dict(view.read_json(STATE_FILE) or {})


def write_job_state(tx: Transaction, state: dict[str, dict[str, Any]]) -> None:
    tx.write_json(STATE_FILE, state)
