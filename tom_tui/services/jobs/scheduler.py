"""Scheduled jobs: declared in the store's ``tom-tui.toml``, run by ``tom-tui cron``.

::

    [[jobs]]
    name = "simulated-broker"     # unique
    kind = "broker_query"         # a registered job kind (below)
    every = "30m"                 # or: cron = "*/15 * * * *"   (s, m, h, d units for every)
    timeout = "10m"               # default 15m; an overrunning job is stopped and marked failed
    broker = "simulated"          # everything else is the kind's own parameters
    options = { lookback_days = 1 }

One crontab line drives everything: ``*/5 * * * * tom-tui --store DIR cron``. Each run happens in
its own process (so a timeout can stop it) while the cron process holds a per-job lock, which the
job process inherits: two cron processes never run one job at the same time, even if the one
that started it dies. Every run is recorded (start, end, status, counts, log, traceback).

Adding a job kind
-----------------
A job kind is a function ``kind(context: JobContext) -> dict[str, int]`` (the types are in
:mod:`tom_tui.services.jobs.base`, which kinds import instead of this module) returning counts (e.g.
``{"updated": 3}``); it logs through ``context.log`` and raises to fail. Register it through the
``tom_tui.job_kinds`` entry point group in ``pyproject.toml`` (found by
:mod:`tom_tui.services.plugins`), or in the running process with ``@register_job_kind("name")``::

    [project.entry-points."tom_tui.job_kinds"]
    observation_status = "tom_tui.services.observations.requests:update_status_job"

The job's own parameters are ``context.job.params`` (the job's table minus name/kind/schedule).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import logging
import os
import re
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from tom_tui.adapters.http import known_secret_values, redact
from tom_tui.domain.clock import now as clock_now
from tom_tui.domain.config import ConfigTables
from tom_tui.domain.errors import NotFoundError, TomError, ValidationError
from tom_tui.domain.jobs import JobRun
from tom_tui.services import plugins
from tom_tui.services.jobs.base import DEFAULT_TIMEOUT_SECONDS, JobContext, JobKind, JobSpec, format_duration
from tom_tui.services.jobs.lifetime import die_with_parent
from tom_tui.store.jobs import all_runs, job_state, last_runs, runs_of, save_run, write_job_state
from tom_tui.store.store import Store

LOCK_DIR = "state/job-locks"
SCHEDULE_KEYS = {"name", "kind", "every", "cron", "timeout", "enabled"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


JOB_KINDS: dict[str, JobKind] = {}


def register_job_kind(name: str) -> Callable[[JobKind], JobKind]:
    def register(function: JobKind) -> JobKind:
        JOB_KINDS[name] = function
        return function

    return register


def job_kind(name: str) -> JobKind:
    if name in JOB_KINDS:
        return JOB_KINDS[name]
    function: JobKind = plugins.load_plugin(plugins.JOB_KINDS, name)
    return function


def known_job_kinds() -> list[str]:
    return sorted(set(JOB_KINDS) | set(plugins.plugin_names(plugins.JOB_KINDS)))


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``90``, ``"45s"``, ``"30m"``, ``"2h"`` or ``"1d"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.match(str(value))
    if not match or float(match.group(1)) <= 0:
        raise ValidationError(f"{where}: {value!r} is not a duration; expected e.g. 45s, 30m, 2h or 1d")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def load_jobs(config: Mapping[str, Any], config_name: str = "tom-tui.toml") -> list[JobSpec]:
    """The ``[[jobs]]`` of a store config; every problem reported at once."""
    from croniter import croniter

    tables = ConfigTables(config, "jobs", config_name)
    problems = tables.problems
    jobs: list[JobSpec] = []
    seen: set[str] = set()
    for where, raw in tables:
        name = str(raw.get("name") or "").strip()
        if not name or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            problems.append(f"{where}.name: {raw.get('name')!r}; expected letters, digits, '-', '_' or '.'")
            continue
        if name in seen:
            problems.append(f"{where}.name: {name!r} is declared twice")
        seen.add(name)
        kind = str(raw.get("kind") or "")
        if not kind:
            problems.append(f"{where}.kind: missing; one of {', '.join(known_job_kinds())}")
        every, cron = raw.get("every"), raw.get("cron")
        every_seconds = None
        try:
            if (every is None) == (cron is None):
                raise ValidationError(f'{where}: give exactly one of every = "30m" or cron = "*/15 * * * *"')
            if every is not None:
                every_seconds = parse_duration(every, f"{where}.every")
            elif not croniter.is_valid(str(cron)):
                raise ValidationError(
                    f'{where}.cron: {cron!r} is not a cron expression (e.g. "*/15 * * * *")'
                )
            timeout = parse_duration(raw.get("timeout", DEFAULT_TIMEOUT_SECONDS), f"{where}.timeout")
        except ValidationError as error:
            problems.append(str(error))
            continue
        params = {key: value for key, value in raw.items() if key not in SCHEDULE_KEYS}
        jobs.append(
            JobSpec(
                name,
                kind,
                every_seconds,
                None if cron is None else str(cron),
                timeout,
                bool(raw.get("enabled", True)),
                params,
            )
        )
    tables.raise_problems()
    return jobs


def next_due(job: JobSpec, last_start: dt.datetime | None, first_seen: dt.datetime) -> dt.datetime:
    """When a job should next run: ``every`` after its last start (at once if it never ran), or the
    first cron time after its last start (or after it was first seen)."""
    if job.cron:
        from croniter import croniter

        base = last_start or first_seen
        result: dt.datetime = croniter(job.cron, base).get_next(dt.datetime)
        return result
    if last_start is None:
        return first_seen
    return last_start + dt.timedelta(seconds=job.every_seconds or 0)


def _parse_time(text: str | None) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(text)


class JobLock:
    """A non-blocking per-job ``flock``; its descriptor is handed to the job process."""

    def __init__(self, store: Store, job: str) -> None:
        directory = store.root / LOCK_DIR
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{job}.lock"
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class JobService:
    """Jobs of one store: list them, run one, run every due one."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def jobs(self) -> list[JobSpec]:
        return load_jobs(self.store.config)

    def job(self, name: str) -> JobSpec:
        for job in self.jobs():
            if job.name == name:
                return job
        raise NotFoundError(f"no job named {name!r} in {self.store.config_path}")

    def status(self) -> list[dict[str, Any]]:
        now = clock_now()
        with self.store.read() as view:
            latest, state = last_runs(view), job_state(view)
        rows = []
        for job in self.jobs():
            run = latest.get(job.name)
            first_seen = _parse_time(state.get(job.name, {}).get("first_seen")) or now
            due_at = next_due(job, _parse_time(run.started) if run else None, first_seen)
            rows.append(
                {
                    "name": job.name,
                    "kind": job.kind,
                    "schedule": job.schedule,
                    "enabled": job.enabled,
                    "timeout": format_duration(job.timeout_seconds),
                    "last_run": run.to_json() if run else None,
                    "next_due": due_at.isoformat(timespec="seconds"),
                    "due": job.enabled and due_at <= now,
                }
            )
        return rows

    def runs(self, name: str, limit: int = 20) -> list[JobRun]:
        self.job(name)
        with self.store.read() as view:
            return runs_of(view, name)[-limit:]

    def _note_first_seen(self, jobs: list[JobSpec], now: dt.datetime) -> dict[str, dict[str, Any]]:
        with self.store.read() as view:
            state = job_state(view)
        missing = [job.name for job in jobs if job.name not in state]
        if missing:
            with self.store.transaction() as tx:
                state = job_state(tx)
                for name in missing:
                    state.setdefault(name, {"first_seen": now.isoformat(timespec="seconds")})
                write_job_state(tx, state)
        return state

    def is_due(self, job: JobSpec, now: dt.datetime, state: Mapping[str, Mapping[str, Any]]) -> bool:
        with self.store.read() as view:
            previous = runs_of(view, job.name)
        last_start = _parse_time(previous[-1].started) if previous else None
        first_seen = _parse_time(state.get(job.name, {}).get("first_seen")) or now
        return job.enabled and next_due(job, last_start, first_seen) <= now

    def run_due(self) -> list[JobRun]:
        """What ``tom-tui cron`` does: run every due job once; a failure does not stop the others."""
        now = clock_now()
        jobs = self.jobs()
        self.close_abandoned_runs()
        state = self._note_first_seen(jobs, now)
        results: list[JobRun] = []
        for job in jobs:
            if not self.is_due(job, now, state):
                continue
            run = self.run(job, trigger="cron", only_if_due_at=now, state=state)
            if run is not None:
                results.append(run)
        return results

    def run(
        self,
        job: JobSpec,
        trigger: str = "manual",
        only_if_due_at: dt.datetime | None = None,
        state: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> JobRun | None:
        """Run one job in its own process under its lock. None when another process is running it
        (or, for cron, ran it meanwhile)."""
        lock = JobLock(self.store, job.name)
        if not lock.try_acquire():
            return None
        try:
            self._close_abandoned_runs(job.name)
            # Another cron may have finished this job between our check and the lock.
            if only_if_due_at is not None and not self.is_due(job, only_if_due_at, state or {}):
                return None
            with self.store.transaction() as tx:
                run = save_run(
                    tx, JobRun(job.name, 0, clock_now().isoformat(timespec="seconds"), trigger=trigger)
                )
            assert lock.fd is not None
            self._execute(job, run, lock.fd)
            hide_secrets(run, known_secret_values(self.store.root))
            with self.store.transaction() as tx:
                save_run(tx, run)
            return run
        finally:
            lock.release()

    def close_abandoned_runs(self) -> int:
        """Mark as failed the runs still "running" of every job nobody is running; how many."""
        closed = 0
        for job in self.jobs():
            lock = JobLock(self.store, job.name)
            if lock.try_acquire():
                try:
                    closed += self._close_abandoned_runs(job.name)
                finally:
                    lock.release()
        return closed

    def _close_abandoned_runs(self, job_name: str) -> int:
        """Under the job's lock, a run still marked "running" lost its process (cron killed)."""
        with self.store.read() as view:
            if not any(run.status == "running" for run in runs_of(view, job_name)):
                return 0
        with self.store.transaction() as tx:
            abandoned = [run for run in runs_of(tx, job_name) if run.status == "running"]
            for run in abandoned:
                run.status, run.ended = "failed", clock_now().isoformat(timespec="seconds")
                run.error = (
                    f"interrupted: its process (pid {run.pid}) ended without a result, "
                    "as when the `tom-tui cron` running it is killed"
                )
                save_run(tx, run)
        return len(abandoned)

    def _execute(self, job: JobSpec, run: JobRun, lock_fd: int) -> None:
        command = [
            sys.executable,
            "-m",
            "tom_tui.services.jobs.scheduler",
            "--store",
            str(self.store.root),
            "--job",
            job.name,
            "--parent-pid",
            str(os.getpid()),
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(lock_fd,),
            start_new_session=True,  # its own process group, so a timeout stops its children too
        )
        run.pid = process.pid
        with self.store.transaction() as tx:  # who runs it, for the cron that finds it abandoned
            save_run(tx, run)
        try:
            stdout, stderr = process.communicate(timeout=job.timeout_seconds)
        except subprocess.TimeoutExpired:
            _stop(process)
            stdout, stderr = process.communicate()
            run.status = "timeout"
            run.error = f"stopped after exceeding its timeout of {format_duration(job.timeout_seconds)}"
        run.ended = clock_now().isoformat(timespec="seconds")
        run.log = stderr.decode(errors="replace")
        if run.status == "timeout":
            return
        result = _last_json_line(stdout)
        if result is None:
            run.status, run.error = (
                "failed",
                f"job process exited with status {process.returncode} and no result",
            )
            return
        run.status = str(result.get("status", "failed"))
        run.counts = {str(k): int(v) for k, v in (result.get("counts") or {}).items()}
        run.error, run.traceback = result.get("error"), result.get("traceback")


def hide_secrets(run: JobRun, secrets: set[str]) -> None:
    """Replace every known credential in what a run recorded (log, error, traceback) by ``***``."""
    run.log = redact(run.log, secrets)
    run.error = redact(run.error, secrets) if run.error else run.error
    run.traceback = redact(run.traceback, secrets) if run.traceback else run.traceback


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _last_json_line(stdout: bytes) -> dict[str, Any] | None:
    for line in reversed(stdout.decode(errors="replace").strip().splitlines()):
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def run_in_this_process(store: Store, job: JobSpec) -> dict[str, Any]:
    """Run a job here and return its result document (what the job process prints)."""
    log = logging.getLogger(f"tom_tui.job.{job.name}")
    try:
        counts = job_kind(job.kind)(JobContext(store, job, log))
        return {"status": "ok", "counts": dict(counts)}
    except TomError as error:
        log.error("%s", error)
        return {"status": "failed", "error": str(error), "traceback": traceback.format_exc()}
    except Exception as error:
        log.exception("job %s failed", job.name)
        return {
            "status": "failed",
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }


def main(argv: list[str] | None = None) -> int:
    """The job process: ``python -m tom_tui.services.jobs.scheduler --store DIR --job NAME``."""
    parser = argparse.ArgumentParser(prog="tom_tui.services.jobs.scheduler")
    parser.add_argument("--store", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--parent-pid", type=int, default=None)
    arguments = parser.parse_args(argv)
    if arguments.parent_pid is not None:
        die_with_parent(arguments.parent_pid)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    store = Store.open(Path(arguments.store))
    result = run_in_this_process(store, JobService(store).job(arguments.job))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0 if result["status"] == "ok" else 1


__all__ = ["JOB_KINDS", "JobContext", "JobService", "JobSpec", "all_runs", "register_job_kind"]

if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy, so kinds register in one registry.
    from tom_tui.services.jobs.scheduler import main as module_main

    sys.exit(module_main())
