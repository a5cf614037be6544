"""Inter-process reader/writer lock on a store directory.

Readers share the lock, a writer holds it alone. ``flock`` locks belong to an open file
description, so two threads of one process that each open the lock file exclude each other exactly
as two processes do; a thread that already holds the lock re-enters without blocking itself.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tom_tui.domain.errors import StoreError

# What opening a file for writing raises on a store that cannot be written.
READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


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

    def _open(self, exclusive: bool) -> int | None:
        """A descriptor of the lock file: read-only for a shared lock (``flock`` needs no write
        access, so readers work on a read-only store). None when a reader cannot open or create
        it because the store cannot be written at all."""
        if not exclusive:
            try:
                return os.open(self._path, os.O_RDONLY)
            except FileNotFoundError:
                pass
        try:
            return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            if not exclusive and error.errno in READ_ONLY_ERRNOS:
                return None
            if error.errno in READ_ONLY_ERRNOS:
                raise StoreError(
                    f"{self._path.parent}: the store is read-only ({error.strerror}); "
                    "reading works, changes need write access"
                ) from None
            raise

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
        new_fd = self._open(exclusive)
        if new_fd is None:
            # A store nobody may write (read-only medium or permissions): readers need no lock.
            yield
            return
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
