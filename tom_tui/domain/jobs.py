"""Runs of scheduled jobs as records: when a run started and ended, how it went, what it counted
and logged. Times are ISO 8601 UTC strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class JobRun:
    """One run of one job, written when it starts (``running``) and again when it ends."""

    job: str
    run_id: int
    started: str
    ended: str | None = None
    status: str = "running"  # running, ok, failed, timeout, skipped
    counts: dict[str, int] = field(default_factory=dict)
    log: str = ""
    error: str | None = None
    traceback: str | None = None
    pid: int | None = None
    trigger: str = "cron"  # cron or manual

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        return self.status in {"failed", "timeout"}
