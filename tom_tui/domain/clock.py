"""The current time, injectable so tests, the demo and the simulated facility can move time.

Set ``TOM_TUI_NOW`` to an ISO 8601 time (``2026-11-22T03:00:00``) to pin "now".
"""

from __future__ import annotations

import datetime as dt
import os

NOW_ENV = "TOM_TUI_NOW"
MJD_EPOCH = dt.datetime(1858, 11, 17, tzinfo=dt.UTC)


def now() -> dt.datetime:
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        moment = dt.datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def to_mjd(moment: dt.datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - MJD_EPOCH).total_seconds() / 86400.0


def from_mjd(mjd: float) -> dt.datetime:
    return MJD_EPOCH + dt.timedelta(days=mjd)


def now_mjd() -> float:
    return to_mjd(now())


def now_iso() -> str:
    return now().isoformat(timespec="seconds")
