"""What a job kind is given and returns, shared by the scheduler and the kinds it runs.

A job kind is a function ``kind(context: JobContext) -> Mapping[str, int]`` returning counts
(e.g. ``{"updated": 3}``); it logs through ``context.log`` and raises to fail. Kinds import this
module, never the scheduler, so the scheduler can load them without an import circle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tom_tui.store.store import Store

DEFAULT_TIMEOUT_SECONDS = 15 * 60


def format_duration(seconds: float) -> str:
    """``"2h"``, ``"30m"``, ``"1d"`` for whole units, else seconds (``"90s"``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class JobSpec:
    """One ``[[jobs]]`` table of the store config: when to run which kind, with what parameters."""

    name: str
    kind: str
    every_seconds: float | None = None
    cron: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    enabled: bool = True
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def schedule(self) -> str:
        if self.cron:
            return f"cron {self.cron}"
        return f"every {format_duration(self.every_seconds or 0)}"


@dataclass
class JobContext:
    """What a running job kind gets: the store, its own job table and a logger for its run log."""

    store: Store
    job: JobSpec
    log: logging.Logger


JobKind = Callable[[JobContext], Mapping[str, int]]
