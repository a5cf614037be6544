"""A job process never outlives the `tom-tui cron` (or `jobs run`) that started it.

The job runs in its own process group so that a timeout can stop it with everything it started.
That also means it would survive its parent being killed, still holding the job lock. So the job
process asks the kernel for a signal when its parent dies (``PR_SET_PDEATHSIG`` on Linux, a
watching thread elsewhere) and answers that signal by killing its whole group.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from types import FrameType

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0


def stop_whole_group(signal_number: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
    """Kill this process and every process it started (they share its process group)."""
    os.killpg(os.getpgrp(), signal.SIGKILL)


def die_with_parent(parent_pid: int) -> None:
    """From now on, the death of ``parent_pid`` (this process's parent) stops this process group."""
    signal.signal(signal.SIGTERM, stop_whole_group)
    if not _ask_kernel_for_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch parent").start()
    # The parent may have died before the request above was made: then no signal will come.
    if os.getppid() != parent_pid:
        stop_whole_group()


def _ask_kernel_for_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    stop_whole_group()
