"""A survey service whose answers the test chooses by the source's name, for projects.

``ok-*`` gets a flat noisy light curve, ``event-*`` the same with a bright bump at MJD 59150,
``empty-*`` an empty answer, ``throttled-*`` a 429 error, ``garbled-*`` an unreadable answer.
While ``ScriptedSurvey.broken`` is true every request fails, and so does every request after the
first ``fail_after``. ``ScriptedSurvey.asked`` lists the names asked for, in order, and
``asked_at`` when (monotonic seconds). Registered in the running process only: runs that use it
keep to one worker, which works in this process.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pytest

from tom_tui.adapters.surveys.base import SurveyAnswer, SurveyService, TaskMemory
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.photometry import MEASUREMENT_SCHEMA
from tom_tui.services import plugins

EVENT_MJD = 59150.0
NOISE_UJY = 10.0


class ScriptedSurvey(SurveyService):
    name: ClassVar[str] = "scripted"
    label: ClassVar[str] = "Scripted survey"
    broken: ClassVar[bool] = False
    fail_after: ClassVar[int | None] = None
    asked: ClassVar[list[str]] = []
    asked_at: ClassVar[list[float]] = []

    def search(
        self,
        ra: float,
        dec: float,
        radius: float,
        *,
        name: str | None,
        since_mjd: float | None,
        tasks: TaskMemory | None,
    ) -> SurveyAnswer:
        label = name or ""
        ScriptedSurvey.asked.append(label)
        ScriptedSurvey.asked_at.append(time.monotonic())
        worn_out = self.fail_after is not None and len(ScriptedSurvey.asked) > self.fail_after
        if self.broken or worn_out or label.startswith("throttled"):
            raise AdapterError("Scripted survey: HTTP 429 Too Many Requests from http://127.0.0.1/lc")
        if label.startswith("garbled"):
            raise AdapterError(
                "Scripted survey: unexpected answer from http://127.0.0.1/lc (KeyError: 'mjd')"
            )
        if label.startswith("empty"):
            empty = MEASUREMENT_SCHEMA.empty_table()
            return self.answer(ra, dec, radius, empty, empty)
        table = light_curve(label, ra, dec)
        return self.answer(ra, dec, radius, table, table)


def light_curve(label: str, ra: float, dec: float) -> pa.Table:
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    mjd = np.sort(rng.uniform(59000.0, 59300.0, 200))
    flux = 300.0 + rng.normal(0.0, NOISE_UJY, len(mjd))
    if label.startswith("event"):
        flux += 12 * NOISE_UJY * np.exp(-0.5 * ((mjd - EVENT_MJD) / 4.0) ** 2)
    count = len(mjd)
    return pa.table(
        {
            "mjd": mjd,
            "filter": ["ztfr"] * count,
            "flux": flux,
            "fluxerr": np.full(count, NOISE_UJY),
            "magsys": ["AB"] * count,
            "source": ["scripted"] * count,
            "ra": np.full(count, ra),
            "dec": np.full(count, dec),
            "catflags": np.zeros(count, dtype=np.int64),
        }
    )


@pytest.fixture
def scripted_survey(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ScriptedSurvey]]:
    monkeypatch.setitem(plugins.SURVEYS.builtins, "scripted", ScriptedSurvey)
    ScriptedSurvey.asked = []
    ScriptedSurvey.asked_at = []
    ScriptedSurvey.broken = False
    ScriptedSurvey.fail_after = None
    yield ScriptedSurvey
    ScriptedSurvey.broken = False
    ScriptedSurvey.fail_after = None
