"""Inter-process reader/writer lock on a store directory.

Readers share the lock, a writer holds it alone. ``flock`` locks belong to an open file
description, so two threads of one process that each open the lock file exclude each other exactly
as two processes do; a thread that already holds the lock re-enters without blocking itself.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreLock:
    """Shared/exclusive lock on ``<store>/.lock``, re-entrant per thread."""

    def __init__(self, lock_path: Path) -> None:
        self._path = lock_path
        self._local = threading.local()

    def _state(self) -> tuple[int | None, int, bool]:
        return (
            getattr(self._local, "fd", None),
            getattr(self._local, "depth", 0),
            getattr(self._local, "exclusive", False),
        )

    @property
    def held_exclusive(self) -> bool:
        fd, depth, exclusive = self._state()
        return fd is not None and depth > 0 and exclusive

    @contextmanager
    def acquire(self, exclusive: bool) -> Iterator[None]:
        fd, depth, held_exclusive = self._state()
        if fd is not None and depth > 0:
            if exclusive and not held_exclusive:
                raise RuntimeError("cannot upgrade a shared store lock to an exclusive one")
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        new_fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(new_fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._local.fd, self._local.depth, self._local.exclusive = new_fd, 1, exclusive
            try:
                yield
            finally:
                self._local.fd, self._local.depth, self._local.exclusive = None, 0, False
                fcntl.flock(new_fd, fcntl.LOCK_UN)
        finally:
            os.close(new_fd)
