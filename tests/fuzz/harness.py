"""Feed mutated real files to every reader of tom-tui and sort what comes back.

A case passes when the reader returns, or refuses with the project's own error
(:class:`~tom_tui.domain.errors.TomError`) carrying a message; for readers that write (uploads,
alert and YSE-PZ ingest, target import) a refusal must also leave every file of the store as it
was. Anything else (another exception, an empty message, a changed store, a case running longer
than :data:`CASE_SECONDS`) is a failure, reported with what replays it: reader, seed file, case
number and mutations. Used by ``tests/fuzz`` (a few thousand cases) and
``bench/fuzz_readers.py`` (a long run).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import json
import random
import re
import signal
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.mutations import BINARY_MUTATIONS, TEXT_MUTATIONS, Mutation, mutate
from tests.support.paths import ALERTS, DATA, PHOTOMETRY, SPECTRA
from tom_tui.adapters.alerts.avro import read_alerts
from tom_tui.domain.errors import TomError
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint
from tom_tui.processing.photometry import read_photometry
from tom_tui.processing.spectra.readers import read_spectrum
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.alerts.rules import load_rules
from tom_tui.services.alerts.yse import ingest_yse_file
from tom_tui.services.data.products import upload_data_product
from tom_tui.services.jobs.scheduler import load_jobs
from tom_tui.services.observations.followup import load_followup_rules
from tom_tui.services.observations.planning import site_from
from tom_tui.services.targets.csv_files import read_target_csv
from tom_tui.services.targets.imports import TargetImporter
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import CONFIG_NAME, DEFAULT_CONFIG, Store

CASE_SECONDS = 10.0


class CaseTimeout(Exception):
    """A case ran longer than CASE_SECONDS (a hang, as far as a user is concerned)."""


@dataclass(frozen=True)
class Reader:
    """One way into tom-tui: the real files it is fed and what reads one (given the store)."""

    name: str
    seeds: list[Path]
    read: Callable[[Store, Path], object]
    mutations: list[Mutation] = field(default_factory=lambda: TEXT_MUTATIONS)
    writes: bool = False  # a refusal must leave the store as it was


@dataclass(frozen=True)
class Failure:
    reader: str
    seed: str
    case: int
    mutations: list[str]
    error: str
    where: str

    def __str__(self) -> str:
        replay = f"{self.reader} {self.seed} case {self.case} ({'+'.join(self.mutations)})"
        return f"{replay}: {self.error} at {self.where}"


@dataclass
class Counts:
    accepted: int = 0
    refused: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.accepted + self.refused + len(self.failures)


def store_hash(store: Store) -> str:
    """One hash of every file of the store (names and contents; the lock file aside)."""
    digest = hashlib.sha256()
    for path in sorted(store.root.rglob("*")):
        if path.is_file() and path.name != ".lock":
            digest.update(path.relative_to(store.root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(_signal: int, _frame: object) -> None:
        raise CaseTimeout(f"still running after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _where(error: BaseException) -> str:
    """The innermost tom_tui line the error passed through (else the innermost line)."""
    frames = list(traceback.extract_tb(error.__traceback__))
    ours = [frame for frame in frames if "/tom_tui/" in frame.filename]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    return f"{frame.filename.split('/tom_tui/')[-1]}:{frame.lineno}"


def run_case(reader: Reader, store: Store, seed: Path, case: int, workdir: Path) -> Failure | bool:
    """True if accepted, False if refused cleanly, else the failure."""
    rng = random.Random(f"{reader.name}:{seed.name}:{case}")
    data, applied = mutate(rng, seed.read_bytes(), reader.mutations)
    path = workdir / seed.name
    path.write_bytes(data)
    before = store_hash(store) if reader.writes else ""
    try:
        with _time_limit(CASE_SECONDS), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # readers warn about damaged input; the outcome is what counts
            reader.read(store, path)
        return True
    except TomError as error:
        if not str(error).strip():
            return Failure(reader.name, seed.name, case, applied, "TomError with no message", _where(error))
        if reader.writes and store_hash(store) != before:
            return Failure(reader.name, seed.name, case, applied, f"store changed by a refusal ({error})", "")
        return False
    except Exception as error:  # anything else is what the fuzzing is looking for
        return Failure(
            reader.name, seed.name, case, applied, f"{type(error).__name__}: {error}"[:300], _where(error)
        )


def run_reader(reader: Reader, store: Store, cases_per_seed: int, workdir: Path) -> Counts:
    counts = Counts()
    for seed in reader.seeds:
        for case in range(cases_per_seed):
            outcome = run_case(reader, store, seed, case, workdir)
            if isinstance(outcome, Failure):
                counts.failures.append(outcome)
            elif outcome:
                counts.accepted += 1
            else:
                counts.refused += 1
    return counts


# -- the readers --
def _full_config() -> str:
    """The config `tom-tui init` writes, with every commented example switched on."""
    lines = []
    for line in DEFAULT_CONFIG.splitlines():
        example = re.match(r"# (\[.*\]|[\w\"\.]+ = .*)$", line)
        lines.append(example.group(1) if example else line)
    return "\n".join(lines) + "\n"


def _read_config(store: Store, path: Path) -> None:
    """Everything that reads tom-tui.toml, on a fresh Store object (no cached config)."""
    (store.root / CONFIG_NAME).write_bytes(path.read_bytes())
    fresh = Store(store.root)
    config = fresh.config
    load_jobs(config)
    load_rules(config)
    load_followup_rules(config)
    TargetService(fresh).duplicate_radius_arcsec  # noqa: B018  (reading it is the test)
    site_from(fresh, None)


def yse_document_from(photometry_csv: Path) -> dict[str, Any]:
    """A YSE-PZ upload dictionary holding the points of a real SkyPortal photometry file."""
    with open(photometry_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))[:40]
    photdata = {}
    for index, row in enumerate(rows):
        when = dt.datetime(1858, 11, 17) + dt.timedelta(days=float(row["mjd"]))
        point: dict[str, Any] = {
            "obs_date": when.isoformat(timespec="seconds"),
            "band": f"{row['filter'][-1]}-ZTF",
        }
        point |= {"flux": float(row["flux"]) if row["flux"] else None, "flux_err": float(row["fluxerr"])}
        point |= {"flux_zero_point": float(row["zp"]), "mag": None, "mag_err": None}
        photdata[str(index)] = point
    transient = {"name": "ZTF21aaqjmps", "ra": 10.0, "dec": 20.0, "status": "Watch", "obs_group": "ZTF"}
    transient["transientphotometry"] = {
        "mjdmatchmin": 0.01,
        "clobber": False,
        "ZTF": {"instrument": "ZTF-Cam", "obs_group": "ZTF", "photdata": photdata},
    }
    return {"noupdatestatus": True, "ZTF21aaqjmps": transient}


ODD_VALUES: list[Any] = [
    None,
    -50,
    0,
    -1.0,
    1e308,
    -1e308,
    99,
    99.0,
    "",
    "nan",
    "x\x1b[2J",
    [],
    {},
    True,
    2**70,
]


def odd_json_value(rng: random.Random, data: bytes) -> bytes:
    """Replace or drop a few leaves of a JSON document (falls back to a byte mutation)."""
    try:
        document = json.loads(data)
    except ValueError:
        return rng.choice(TEXT_MUTATIONS)(rng, data)
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 4)):
        parent, key = _random_leaf(rng, document)
        if parent is None:
            break
        if rng.random() < 0.2:
            del parent[key]
        else:
            parent[key] = rng.choice(ODD_VALUES)
    return json.dumps(document).encode()


def _random_leaf(rng: random.Random, document: Any) -> tuple[Any, Any]:
    parent, key, node = None, None, document
    while isinstance(node, dict | list) and node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        parent, node = node, node[key]
        if rng.random() < 0.15:
            break
    return parent, key


def _upload(data_type: str, target: str) -> Callable[[Store, Path], object]:
    def upload(store: Store, path: Path) -> object:
        # Points already stored are skipped, so that every case reaches the ingest, not only the first.
        skip_stored = DedupPolicy(OnDuplicatePoint.IGNORE)
        return upload_data_product(store, target, path, data_type, allow_same_file=True, dedup=skip_stored)

    return upload


def readers(workdir: Path) -> list[Reader]:
    """Every reader, each with its real seed files (two are written to ``workdir`` from real data)."""
    config = workdir / "seeds" / CONFIG_NAME
    yse = workdir / "seeds" / "yse_upload.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(_full_config())
    yse.write_text(json.dumps(yse_document_from(PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv")))
    photometry = sorted(PHOTOMETRY.iterdir())
    spectra = sorted(SPECTRA.iterdir())
    alerts = sorted(ALERTS.glob("*.avro"))
    targets = sorted((DATA / "targets").glob("*.csv"))

    def import_targets(store: Store, path: Path) -> object:
        return TargetImporter(TargetService(store)).import_csv(path)

    return [
        Reader("photometry", photometry, lambda _store, path: read_photometry(path)),
        Reader("spectra", spectra, lambda _store, path: read_spectrum(path)),
        Reader("target-csv", targets, lambda _store, path: read_target_csv(path)),
        Reader("avro", alerts, lambda _store, path: read_alerts([path]), BINARY_MUTATIONS),
        Reader("config", [config], _read_config),
        Reader("photometry-upload", photometry, _upload("photometry", "SN 2024abc"), writes=True),
        Reader("spectrum-upload", spectra, _upload("spectroscopy", "SN 2024abc"), writes=True),
        Reader("target-import", targets, import_targets, writes=True),
        Reader(
            "alert-ingest",
            alerts,
            lambda store, path: ingest_alert_files(store, [path]),
            BINARY_MUTATIONS,
            True,
        ),
        Reader("yse-ingest", [yse], ingest_yse_file, [odd_json_value] * 8 + TEXT_MUTATIONS, True),
    ]


def fuzz_store(root: Path) -> Store:
    """A store with one target to upload to."""
    store = Store.init(root)
    TargetService(store).add({"name": "SN 2024abc", "ra": 65.00165, "dec": -54.93795})
    return store
