"""Download: each source of one RA bin from one survey, in a thread pool, rate limited.

Answers are saved every :data:`SAVE_EVERY` cones (one transaction each), so a killed run loses at
most those in flight. A cone the survey has already answered (for this project or any other) is
not asked again; a failure is recorded with its reason and retried on the next run. After
:data:`MAX_FAILURES_IN_A_ROW` failures in a row the bin stops: something is wrong with the
service, not with the sources.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import pandas as pd

from tom_tui.adapters.http import RateLimiter
from tom_tui.adapters.surveys.base import SurveyPendingError, SurveyService
from tom_tui.domain.errors import TomError
from tom_tui.services.projects.project_file import DownloadSettings
from tom_tui.services.projects.raw_data import Answer, answered, position_key, raw_rows, save_answers
from tom_tui.store.store import Store

SAVE_EVERY = 200
MAX_FAILURES_IN_A_ROW = 10


@dataclass
class BinDownload:
    """What downloading one bin from one survey did. ``outcomes`` has one row per source:
    ``source``, ``survey``, ``status`` (``downloaded``, ``empty``, ``known`` — answered before —,
    ``failed``, ``pending``), ``reason`` and ``rows``. ``stopped`` says why the bin stopped early."""

    outcomes: list[dict[str, object]] = field(default_factory=list)
    stopped: str = ""

    def table(self) -> pd.DataFrame:
        columns = ["source", "survey", "status", "reason", "rows"]
        return pd.DataFrame(self.outcomes, columns=columns)


class _NotTried(Exception):
    """A source left unasked because the bin stopped before its turn."""


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, TomError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class _BinDownloader:
    """The state of one bin's download: answers waiting to be saved and the failure streak."""

    def __init__(self, store: Store, survey: SurveyService, ra_bin: int, settings: DownloadSettings) -> None:
        self.store, self.survey, self.ra_bin, self.settings = store, survey, ra_bin, settings
        self.limiter = RateLimiter(default_per_second=settings.requests_per_second)
        self.stop = threading.Event()
        self.unsaved: list[Answer] = []
        self.result = BinDownload()
        self.failures_in_a_row = 0

    def fetch(self, source: int, ra: float, dec: float, name: str) -> Answer:
        if self.stop.is_set():
            raise _NotTried("not asked: the bin stopped after repeated failures")
        self.limiter.wait(self.survey.name)
        radius = self.settings.radius_arcsec
        since = self.settings.since_mjd or None
        answer = self.survey.fetch(ra, dec, radius_arcsec=radius, name=name, since_mjd=since)
        key = position_key(ra, dec, radius)
        return Answer(key, ra, dec, radius, raw_rows(key, ra, dec, answer.photometry, answer.raw))

    def record(self, source: int, future: Future[Answer]) -> None:
        error = future.exception()
        if error is None:
            answer = future.result()
            self.unsaved.append(answer)
            status = "downloaded" if answer.rows.num_rows else "empty"
            self.outcome(source, status, "", answer.rows.num_rows)
            self.failures_in_a_row = 0
        elif isinstance(error, SurveyPendingError | _NotTried):
            self.outcome(source, "pending", str(error), 0)
        else:
            self.outcome(source, "failed", _failure_reason(error), 0)
            self.failures_in_a_row += 1
            if self.failures_in_a_row >= MAX_FAILURES_IN_A_ROW and not self.result.stopped:
                self.result.stopped = (
                    f"{self.survey.label}: {MAX_FAILURES_IN_A_ROW} downloads failed in a row "
                    f"(the last: {_failure_reason(error)})"
                )
                self.stop.set()
        if len(self.unsaved) >= SAVE_EVERY:
            self.save()

    def outcome(self, source: int, status: str, reason: str, rows: int) -> None:
        self.result.outcomes.append(
            {"source": source, "survey": self.survey.name, "status": status, "reason": reason, "rows": rows}
        )

    def save(self) -> None:
        save_answers(self.store, self.survey.name, self.ra_bin, self.unsaved)
        self.unsaved = []


def _to_fetch(
    store: Store, survey: str, ra_bin: int, sources: pd.DataFrame, radius: float
) -> Iterator[tuple[int, float, float, str]]:
    done = set(answered(store, survey, ra_bin)["key"])
    for source, ra, dec, name in zip(
        sources["source"], sources["ra"], sources["dec"], sources["name"], strict=True
    ):
        if position_key(float(ra), float(dec), radius) not in done:
            yield int(source), float(ra), float(dec), str(name)


def download_bin(
    store: Store,
    survey: SurveyService,
    ra_bin: int,
    sources: pd.DataFrame,
    settings: DownloadSettings,
) -> BinDownload:
    """Ask ``survey`` for every source of the bin it has not answered yet."""
    downloader = _BinDownloader(store, survey, ra_bin, settings)
    pending = list(_to_fetch(store, survey.name, ra_bin, sources, settings.radius_arcsec))
    known = set(sources["source"].astype(int)) - {item[0] for item in pending}
    for source in sorted(known):
        downloader.outcome(source, "known", "", 0)
    with ThreadPoolExecutor(
        max_workers=settings.threads, thread_name_prefix=f"download-{survey.name}"
    ) as pool:
        queue = iter(pending)
        running: dict[Future[Answer], int] = {}
        while True:
            while len(running) < 2 * settings.threads and not downloader.stop.is_set():
                item = next(queue, None)
                if item is None:
                    break
                running[pool.submit(downloader.fetch, *item)] = item[0]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                downloader.record(running.pop(future), future)
    downloader.save()
    return downloader.result
