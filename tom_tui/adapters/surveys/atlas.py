"""ATLAS forced photometry, through the queue of the ATLAS forced-photometry server.

The server (https://fallingstar-data.com/forcedphot/, its API guide at ``/apiguide/``) runs
forced PSF photometry on every ATLAS difference image covering a position. A fetch:

1. looks for a task already submitted for the same position and start date: first in the
   :class:`~tom_tui.adapters.surveys.base.TaskMemory` it is given, then in the account's own task
   list (``GET /queue/``, paged), so a run killed after submitting never submits twice;
2. otherwise submits one (``POST /queue/`` with ``ra``, ``dec``, ``mjd_min``, ``send_email``;
   ``Authorization: Token ...``; answer 201 with the task ``url``) and remembers its URL at once.
   A 429 ("Request was throttled. Expected available in 47 seconds.") is waited out, as its
   ``Retry-After`` header or its message says; the POST is never sent again after any other failure;
3. polls the task URL until ``finishtimestamp`` is set (every ``poll_seconds``, at most
   ``wait_seconds``; past that the task stays remembered and the fetch reports it pending);
4. downloads ``result_url`` (a text table, ``###MJD m dm uJy duJy F err chi/N RA Dec x y maj min
   phi apfit mag5sig Sky Obs``), deletes the finished task as the guide asks, and forgets it.

The table is read by the same reader as an uploaded ATLAS file
(:func:`tom_tui.processing.photometry.read_photometry`): ``uJy``/``duJy`` are the difference flux
and its error in µJy (AB, m = 23.9 − 2.5 log10 uJy), ``F`` the filter (``o`` orange, ``c`` cyan →
``atlaso``/``atlasc``), ``mag5sig`` the image's 5σ limit, ``Obs`` the exposure (its first three
characters, e.g. ``01a``, the unit). ``MJD`` is the start of the 30 s exposure, kept as the file
reader keeps it so that an uploaded copy of the same file is recognised as the same points. A
point is a detection above S/N 3, otherwise a limit. ``m``/``dm`` are the server's magnitudes of
|flux| (negative for negative flux) and are not used.

Credentials (``[atlas]`` in the credentials file or ``TOM_TUI_ATLAS_TOKEN``): ``token``, or
``username`` and ``password`` from which a token is obtained (``POST /api-token-auth/``).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.adapters.http import Credentials, HttpRequest, retry_after_seconds
from tom_tui.adapters.surveys.base import (
    NoTaskMemory,
    SurveyAnswer,
    SurveyPendingError,
    SurveyService,
    TaskMemory,
)
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.options import Option
from tom_tui.domain.photometry import empty_measurements
from tom_tui.processing.photometry import ReadOptions, read_photometry
from tom_tui.processing.photometry.readers import PhotometryFormat, read_raw

# The ATLAS survey's first science images (2015-08).
ATLAS_START_MJD = 57_230.0
# Two tasks are for the same request when their positions and start dates agree this closely.
SAME_TASK_DEGREES = 1e-5
SAME_TASK_DAYS = 1e-3
MAX_TASK_PAGES = 50
_WAIT_IN_MESSAGE = re.compile(r"available in (\d+) (second|minute)")


class AtlasForcedPhotometry(SurveyService):
    """ATLAS forced photometry (difference-image fluxes in µJy, o and c bands)."""

    name: ClassVar[str] = "atlas"
    label: ClassVar[str] = "ATLAS forced photometry"
    default_base_url: ClassVar[str] = "https://fallingstar-data.com/forcedphot"
    credential_keys: ClassVar[tuple[str, ...]] = ("token",)
    default_radius_arcsec: ClassVar[float] = 1.0
    position_epoch_mjd: ClassVar[float | None] = 59215.5  # J2021.0, the middle of ATLAS
    settings_options: ClassVar[tuple[Option, ...]] = (
        Option("start_mjd", "float", ATLAS_START_MJD, "earliest date asked for, MJD"),
        Option("use_reduced", "bool", False, "photometry on the reduced images, not the differences"),
        Option("poll_seconds", "float", 10.0, "seconds between looks at a queued task", minimum=0.0),
        Option(
            "wait_seconds",
            "float",
            600.0,
            "how long to wait for a task before leaving it pending",
            minimum=0.0,
        ),
        Option("throttle_retries", "int", 5, "how often to wait out 'too many requests'", minimum=0),
        Option("radius_arcsec", "float", None, "unused: forced photometry is at the exact position"),
    )

    # -- authentication --
    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("token") or self._token_from_password()
        return {"Authorization": f"Token {token}", "Accept": "application/json"}

    def _token_from_password(self) -> str:
        self.credentials.require("username", "password")
        request = HttpRequest(
            "POST",
            f"{self.base_url}/api-token-auth/",
            data={"username": self.credentials["username"], "password": self.credentials["password"]},
            secrets=frozenset({"password"}),
            repeatable=True,  # asking for one's token creates nothing
        )
        payload = self.client.send_json(request)
        with self.reading(request, "token answer"):
            token = str(payload["token"])
        self._credentials = Credentials(self.name, {**self.credentials, "token": token})
        return token

    # -- the queue --
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
        mjd_min = float(self.settings["start_mjd"]) if since_mjd is None else since_mjd
        memory = tasks or NoTaskMemory()
        key = task_key(ra, dec, mjd_min, bool(self.settings["use_reduced"]))
        headers = self._headers()
        task_url = memory.recall(key) or self._existing_task(ra, dec, mjd_min, headers)
        if task_url is None:
            task_url = self._submit(ra, dec, mjd_min, headers)
        memory.remember(key, task_url)
        task = self._wait_for(task_url, headers, name or f"({ra:.5f}, {dec:+.5f})")
        text = self._result_text(task, task_url, headers)
        try:
            raw, photometry = read_atlas_text(text, difference=not self.settings["use_reduced"])
        except ValidationError as error:
            raise AdapterError(
                f"{self.label}: the result of {task_url} is not a forced-photometry table ({error})"
            ) from None
        # Only a result that was read is let go of: otherwise the next run fetches it again.
        self.client.send(HttpRequest("DELETE", task_url, headers=headers), check_status=False)
        memory.forget(key)
        return self.answer(ra, dec, radius, raw, photometry)

    def _existing_task(self, ra: float, dec: float, mjd_min: float, headers: dict[str, str]) -> str | None:
        """The URL of an unfinished or finished task of this account for the same request."""
        url: str | None = f"{self.base_url}/queue/"
        for _ in range(MAX_TASK_PAGES):
            if url is None:
                return None
            request = HttpRequest("GET", url, headers=headers)
            page = self.client.send_json(request)
            with self.reading(request, "task list"):
                for task in page["results"]:
                    if _same_request(task, ra, dec, mjd_min):
                        return str(task["url"])
                url = page.get("next") or None
        return None

    def _submit(self, ra: float, dec: float, mjd_min: float, headers: dict[str, str]) -> str:
        request = HttpRequest(
            "POST",
            f"{self.base_url}/queue/",
            data={
                "ra": ra,
                "dec": dec,
                "mjd_min": mjd_min,
                "send_email": False,
                "use_reduced": bool(self.settings["use_reduced"]),
            },
            headers=headers,
        )
        for _ in range(int(self.settings["throttle_retries"]) + 1):
            response = self.client.send(request, check_status=False)
            if response.status_code == 201:
                with self.reading(request, "queued task"):
                    return str(response.json()["url"])
            if response.status_code != 429:
                break
            self.client.sleep(_throttle_seconds(response))
        raise AdapterError(
            f"{self.label}: POST {request.display_url()}: HTTP {response.status_code}"
            f"{_detail(response)}; the request was not queued"
        )

    def _wait_for(self, task_url: str, headers: dict[str, str], what: str) -> dict[str, Any]:
        request = HttpRequest("GET", task_url, headers=headers)
        waited, started = 0.0, time.monotonic()
        poll, limit = float(self.settings["poll_seconds"]), float(self.settings["wait_seconds"])
        while True:
            task = self.client.send_json(request)
            if not isinstance(task, dict):
                raise AdapterError(f"{self.label}: unexpected task answer from {task_url}")
            if task.get("error_msg"):
                raise AdapterError(f"{self.label}: the task for {what} failed: {task['error_msg']}")
            if task.get("finishtimestamp"):
                return task
            if waited >= limit or time.monotonic() - started > limit + 60:
                raise SurveyPendingError(
                    f"{self.label}: the task for {what} is still queued at {task_url}; "
                    "run the fetch again later to collect it",
                    task_url,
                )
            self.client.sleep(poll)
            waited += poll

    def _result_text(self, task: dict[str, Any], task_url: str, headers: dict[str, str]) -> str:
        result_url = task.get("result_url")
        if not result_url:  # finished without a result file: no image covers the position
            return ""
        request = HttpRequest("GET", urljoin(task_url, str(result_url)), headers=headers)
        return str(self.client.send(request).text)


def task_key(ra: float, dec: float, mjd_min: float, use_reduced: bool) -> str:
    """The name a request's task is remembered under."""
    mode = "reduced" if use_reduced else "difference"
    return f"{ra:.6f} {dec:+.6f} from {mjd_min:.4f} {mode}"


def _same_request(task: dict[str, Any], ra: float, dec: float, mjd_min: float) -> bool:
    try:
        return (
            abs(float(task["ra"]) - ra) < SAME_TASK_DEGREES
            and abs(float(task["dec"]) - dec) < SAME_TASK_DEGREES
            and abs(float(task["mjd_min"]) - mjd_min) < SAME_TASK_DAYS
            and not task.get("error_msg")
        )
    except (KeyError, TypeError, ValueError):
        return False


def _throttle_seconds(response: Any) -> float:
    """How long a 429 asks to wait: its ``Retry-After`` header, else the number in its message."""
    asked = retry_after_seconds(response.headers.get("Retry-After"))
    if asked is not None:
        return asked
    found = _WAIT_IN_MESSAGE.search(response.text or "")
    if found:
        return float(found.group(1)) * (60.0 if found.group(2) == "minute" else 1.0)
    return 10.0


def _detail(response: Any) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f" ({str(detail)[:120]})" if detail else ""


def read_atlas_text(text: str, *, difference: bool = True) -> tuple[pa.Table, pa.Table]:
    """An ATLAS forced-photometry result (its own columns) and its measurements. On difference
    images a negative flux marks the source fainter than in the reference (``negative_subtraction``)."""
    if not text.strip():
        return pa.table({}), empty_measurements()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "atlas_forced_photometry.txt"
        path.write_text(text)
        raw = read_raw(path, PhotometryFormat.ATLAS)
        measured = read_photometry(path, ReadOptions(format=PhotometryFormat.ATLAS))
    table = measured.table
    rows = table.num_rows
    negative = (
        pc.fill_null(pc.less(table.column("flux"), 0.0), False) if difference else pa.nulls(rows, pa.bool_())
    )
    table = table.set_column(
        table.schema.get_field_index("negative_subtraction"), "negative_subtraction", negative
    )
    source = pa.array(["ATLAS forced photometry"] * rows, pa.string())
    table = table.set_column(table.schema.get_field_index("source"), "source", source)
    return raw.table, table
