"""Where a run's per-frame work runs: in this process, or on Dask workers.

:func:`open_executor` gives an :class:`Executor` whose :meth:`~Executor.map_unordered` hands back
results as they finish (for progress). One worker runs the work here, with no cluster to start;
more start a ``dask.distributed.LocalCluster`` of that many single-threaded worker processes on
127.0.0.1; a scheduler address (``tcp://HOST:PORT``) connects to a cluster started elsewhere
(``dask scheduler`` / ``dask worker``), whose workers must see the store at the same path (a
shared file system) and have tom-tui installed.
"""

from __future__ import annotations

import importlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from tom_tui.domain.errors import ValidationError

Item = TypeVar("Item")
Result = TypeVar("Result")

IN_PROCESS = "in-process"
# Starting a local cluster takes seconds; unless told how many workers, fewer frames than this
# are reduced in this process.
SMALL_RUN_ITEMS = 8


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Runs a function over items; results come back in the order they finish."""

    description: str = IN_PROCESS
    workers: int = 1

    @abstractmethod
    def map_unordered(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        """``function(item)`` for every item, yielded as each finishes. ``function`` is expected
        not to raise; when a worker is lost, the error is raised here."""

    @abstractmethod
    def close(self) -> None:
        """Let go of workers and connections."""


class InProcessExecutor(Executor):
    """Everything in the calling process, one item after another."""

    def map_unordered(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        for item in items:
            yield function(item)

    def close(self) -> None:
        pass  # nothing was started


WORKER_WAIT_SECONDS = 60.0


class DaskExecutor(Executor):
    """Items as Dask tasks: on a local cluster of worker processes, or on a running scheduler."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        distributed = _distributed()
        self.cluster: Any = None
        if scheduler:
            try:
                self.client: Any = distributed.Client(scheduler, timeout="10s")
            except OSError as error:
                raise ValidationError(
                    f"--scheduler {scheduler}: no Dask scheduler answered ({error}); "
                    "expected the address `dask scheduler` prints, tcp://HOST:PORT"
                ) from None
            try:
                # A scheduler with no workers would take the tasks and never run them.
                self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
            except (TimeoutError, OSError):
                self.client.close()
                raise ValidationError(
                    f"--scheduler {scheduler}: the scheduler answered but has no workers after "
                    f"{WORKER_WAIT_SECONDS:g} s; start some with `dask worker {scheduler}`"
                ) from None
            self.description = scheduler
            self.workers = len(self.client.scheduler_info().get("workers", {})) or 1
            return
        self.workers = workers or default_workers()
        self.cluster = distributed.LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = distributed.Client(self.cluster)
        self.description = f"local cluster of {self.workers} worker processes"

    def map_unordered(self, function: Callable[[Item], Result], items: Sequence[Item]) -> Iterator[Result]:
        if not items:
            return
        futures = self.client.map(function, list(items), pure=False)
        try:
            for future in _distributed().as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _distributed() -> Any:
    """``dask.distributed``, imported only by runs that use it (it takes a while to import)."""
    return importlib.import_module("dask.distributed")


def check_scheduler_address(address: str) -> str:
    """A scheduler address as Dask takes it; ValidationError saying what is expected."""
    if not address.startswith(("tcp://", "tls://", "inproc://", "ucx://")) or address.endswith("://"):
        raise ValidationError(f"--scheduler {address!r} is not a scheduler address; expected tcp://HOST:PORT")
    return address


@contextmanager
def open_executor(scheduler: str | None, workers: int | None, items: int) -> Iterator[Executor]:
    """The executor for ``items`` pieces of work: the scheduler's, else a local cluster of
    ``workers`` processes (default: one per core), else this process when one worker is enough
    (or when ``workers`` is not given and there are fewer than :data:`SMALL_RUN_ITEMS` items)."""
    if workers is not None and workers < 1:
        raise ValidationError(f"--workers {workers}: expected at least 1")
    if scheduler:
        executor: Executor = DaskExecutor(check_scheduler_address(scheduler))
    else:
        count = min(workers or default_workers(), max(items, 1))
        if workers is None and items < SMALL_RUN_ITEMS:
            count = 1
        executor = InProcessExecutor() if count <= 1 else DaskExecutor(workers=count)
    try:
        yield executor
    finally:
        executor.close()
