"""A `tom-tui cron` killed with SIGKILL leaves no job process running, no job lock held and no run
"running" for ever."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tom_tui.services.jobs.scheduler import JobService
from tom_tui.services.session import open_store
from tom_tui.store.jobs import runs_of
from tom_tui.store.store import Store


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in state  # a zombie has ended; only its exit status is left


def _wait_for(condition: object, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _lock_is_free(path: Path) -> bool:
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def _running_pid(store: Store) -> int | None:
    with store.read() as view:
        runs = runs_of(view, "slow")
    return runs[-1].pid if runs and runs[-1].status == "running" else None


def test_a_killed_cron_takes_its_job_down_and_the_next_cron_closes_the_run(
    store: Store, tmp_path: Path
) -> None:
    pid_file = tmp_path / "command.pid"
    store.config_path.write_text(
        "[[jobs]]\n"
        'name = "slow"\n'
        'kind = "command"\n'
        'every = "1h"\n'
        f'command = ["/bin/sh", "-c", "echo $$ > {pid_file}; exec sleep 120"]\n'
    )
    started: list[int | None] = []
    cron = subprocess.Popen([sys.executable, "-m", "tom_tui.cli.main", "--store", str(store.root), "cron"])
    try:
        assert _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() and _running_pid(store))
        job_pid = _running_pid(store)
        started.append(job_pid)
        command_pid = int(pid_file.read_text())
        assert job_pid is not None and _alive(job_pid) and _alive(command_pid)
        cron.send_signal(signal.SIGKILL)
        cron.wait()

        assert _wait_for(lambda: not _alive(job_pid) and not _alive(command_pid), 15)
        assert _wait_for(lambda: _lock_is_free(store.root / "state" / "job-locks" / "slow.lock"), 15)

        assert JobService(open_store(store.root)).close_abandoned_runs() == 1
        with store.read() as view:
            (run,) = runs_of(view, "slow")
        assert run.status == "failed" and run.ended is not None
        assert run.error is not None and f"pid {job_pid}" in run.error and "killed" in run.error
    finally:
        cron.kill()
        for pid in started:
            if pid is not None and _alive(pid):
                os.killpg(pid, signal.SIGKILL)
