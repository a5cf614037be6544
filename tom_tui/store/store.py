"""The store: a directory of TinyDB JSON, Parquet and FITS files that several processes share.

See ``docs/store.md`` for the layout. Every read happens under a shared lock and every write in a
:class:`~tom_tui.store.transaction.Transaction` under the exclusive lock, so the TUI, cron jobs and
scripts can all work on one store at once.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from tom_tui.domain.errors import StoreError
from tom_tui.store.locking import StoreLock
from tom_tui.store.transaction import (
    COUNTERS_FILE,
    JOURNAL_NAME,
    StoreView,
    Transaction,
    atomic_write_bytes,
    recover,
)

SCHEMA_VERSION = 2
MANIFEST_NAME = "store.json"
CONFIG_NAME = "tom-tui.toml"
STORE_ENV = "TOM_TUI_STORE"

# Why a write can fail that is about the disk, not about tom-tui.
WRITE_FAILURES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the store is on a read-only file system",
    errno.EACCES: "no permission to write the store",
    errno.EPERM: "no permission to write the store",
}

DEFAULT_CONFIG = """\
# tom-tui store configuration. Edit freely; tom-tui reads it on every command.
# Every section is optional; the values shown commented out are the defaults.

[targets]
# Two targets closer than this are taken to be the same object (arcseconds).
duplicate_radius_arcsec = 2.0

[observatory]
# Default site for visibility and night planning (an astropy site name or "LAT,LON,HEIGHT").
site = "Roque de los Muchachos"

# [observations]
# default_facility = "simulated"          # or "lco", "manual"

# Every service's address can point at a mirror:
# [brokers.alerce]
# base_url = "https://api.alerce.online/ztf/v1"
# [catalogs.simbad]
# base_url = "https://simbad.cds.unistra.fr/simbad/sim-tap"
# [catalogs]
# order = ["simbad", "ned", "tns", "mpc", "jpl_horizons"]
# [facilities.lco]
# proposal = "LCO2026B-001"

# How a camera writes its frames, for `tom-tui frames import` (see `tom-tui frames profiles`):
# [instruments.my_ccd]
# instruments = ["STE3 CCD"]              # frames whose INSTRUME is this use the profile
# gain = 1.9                              # e-/ADU; read_noise, saturation, pixel_scale_arcsec too
# overscan = "[4:13,1:520]"               # and trim; else BIASSEC/TRIMSEC from each header
# image_types = { "sky exposure" = "light" }

# Scheduled jobs run by `tom-tui cron` (one crontab line: */5 * * * * tom-tui --store DIR cron):
# [[jobs]]
# name = "sky"
# kind = "broker_query"  # also ingest_alerts, catalog_refresh, observation_update, followup, command
# every = "30m"                           # or cron = "*/15 * * * *"
# timeout = "10m"
# broker = "simulated"
# options = { lookback_days = 1 }

# Alerts matching a rule are imported and tagged with the rule's name:
# [[alert_rules]]
# name = "bright-sne"
# classification = ["SN candidate", "SN Ia"]
# max_mag = 19.0

# Status changes of observations by e-mail (password in $TOM_TUI_SMTP_PASSWORD):
# [notifications.email]
# host = "smtp.example.org"
# port = 587
# sender = "tom@example.org"
# recipients = ["me@example.org"]

# TUI keys, by binding id (shown with each key in the `?` screen):
# [tui.keys]
# "targets.add" = "n"

# Reference catalogs of reductions (else the simulated sky, else Gaia DR3, cached in catalogs/):
# [reduction]
# catalog = "refcat2-field.ecsv"      # ECSV, CSV or FITS with RA, Dec and magnitudes
# gaia = true                         # false: never ask the Gaia archive
# [reduction.catalogs]
# "SIM-1m0" = "sim-field.ecsv"        # per telescope
"""


# Each migration takes the store root and upgrades it by one schema version, under the exclusive
# lock: MIGRATIONS[n] upgrades version n to n + 1.
def _photometry_to_schema_2(tx: Transaction) -> None:
    # Imported here: the photometry module brings pyarrow.compute, which every command would
    # otherwise pay for at start-up although migrations run once per store.
    from tom_tui.store import photometry

    photometry.migrate_to_schema_2(tx)


MIGRATIONS: dict[int, Callable[[Transaction], None]] = {
    1: _photometry_to_schema_2,  # undo rows out of photometry/, column metadata
}


def default_store_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("tom-tui", appauthor=False) / "store"


def resolve_store_path(explicit: str | os.PathLike[str] | None) -> Path:
    """``--store`` first, then ``$TOM_TUI_STORE``, then the user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_store_path()


class Store:
    """A store directory. Cheap to construct; nothing is read until asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._lock = StoreLock(self.root / ".lock")
        self._config: dict[str, Any] | None = None
        # Checks a parsed config, returning one sentence per problem; set by whoever opens the
        # store for a user (the store itself does not know which brokers or job kinds exist).
        self.config_check: Callable[[dict[str, Any]], list[str]] | None = None
        self._config_mtime: float | None = None

    # -- creation and opening --
    @classmethod
    def init(cls, root: Path) -> Store:
        """Create a store at ``root``, or leave an existing one as it is (idempotent)."""
        root = root.expanduser()
        manifest = root / MANIFEST_NAME
        if manifest.exists():
            return cls.open(root)
        if root.exists() and any(p.name not in {".lock"} for p in root.iterdir()):
            raise StoreError(f"{root}: directory is not empty and is not a tom-tui store")
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root)
        with store._lock.acquire(exclusive=True):
            if not (root / CONFIG_NAME).exists():
                atomic_write_bytes(root / CONFIG_NAME, DEFAULT_CONFIG.encode())
            for folder in ("db", "index", "state", "raw", "data", "photometry", "spectra"):
                (root / folder).mkdir(exist_ok=True)
            atomic_write_bytes(
                manifest,
                orjson.dumps(
                    {
                        "format": "tom-tui store",
                        "schema_version": SCHEMA_VERSION,
                        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    },
                    option=orjson.OPT_INDENT_2,
                ),
            )
        return store

    @classmethod
    def open(cls, root: Path) -> Store:
        """Open an existing store, finishing any interrupted write and migrating an old schema."""
        root = root.expanduser()
        manifest_path = root / MANIFEST_NAME
        if not manifest_path.exists():
            raise StoreError(
                f"{root}: no tom-tui store here; create one with `tom-tui init {root}`, or try `tom-tui demo`"
            )
        store = cls(root)
        manifest = store.manifest()
        version = int(manifest.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{root}: store schema version {version} is newer than this tom-tui understands "
                f"({SCHEMA_VERSION}); upgrade tom-tui"
            )
        if version < SCHEMA_VERSION:
            store._migrate(version)
        return store

    def manifest(self) -> dict[str, Any]:
        try:
            data = orjson.loads((self.root / MANIFEST_NAME).read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise StoreError(f"{self.root / MANIFEST_NAME}: unreadable store manifest ({error})") from error
        if not isinstance(data, dict):
            raise StoreError(f"{self.root / MANIFEST_NAME}: expected a JSON object")
        return data

    def _migrate(self, from_version: int) -> None:
        with self.transaction() as tx:
            version = from_version
            while version < SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise StoreError(f"{self.root}: no migration from schema version {version}")
                step(tx)
                version += 1
            manifest = self.manifest()
            manifest["schema_version"] = SCHEMA_VERSION
            tx.write_bytes(MANIFEST_NAME, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))

    # -- configuration --
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def config(self) -> dict[str, Any]:
        """The parsed ``tom-tui.toml``, re-read when the file changes."""
        try:
            mtime = self.config_path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._config is None or mtime != self._config_mtime:
            data = self.config_path.read_bytes()
            try:
                self._config = tomllib.loads(data.decode("utf-8"))
            except UnicodeDecodeError as error:
                line = data[: error.start].count(b"\n") + 1
                raise StoreError(
                    f"{self.config_path}: line {line}: not UTF-8 text (save it as UTF-8)"
                ) from None
            except tomllib.TOMLDecodeError as error:
                raise StoreError(f"{self.config_path}: {error}") from error
            problems = self.config_check(self._config) if self.config_check is not None else []
            if problems:
                self._config = None
                raise StoreError("\n".join(problems))
            self._config_mtime = mtime
        return self._config

    def setting(self, section: str, key: str, default: Any) -> Any:
        """One value of a ``[section]`` table, or ``default``."""
        table = self.config.get(section, {})
        if not isinstance(table, dict):
            raise StoreError(f"{self.config_path}: [{section}] must be a table, not {table!r}")
        return table.get(key, default)

    # -- reading and writing --
    def _recover_if_needed(self) -> None:
        # Only a journal matters to readers; abandoned staging is cleaned by the next writer.
        if (self.root / JOURNAL_NAME).exists():
            with self._lock.acquire(exclusive=True):
                recover(self.root)
        # Imported here: the target modules bring pyarrow.compute, which a command that never
        # reads targets should not pay for at start-up.
        from tom_tui.store.target_index import INDEX_PATH
        from tom_tui.store.targets import has_target_documents

        if not (self.root / INDEX_PATH).exists() and has_target_documents(StoreView(self.root)):
            self._repair_derived_files()

    def _repair_derived_files(self) -> None:
        """Write derived files (the target index) again from the documents they mirror.

        A store that cannot be written is left alone: readers rebuild the index in memory."""
        from tom_tui.store.targets import repair_index

        try:
            with self.transaction() as tx:
                repair_index(tx)
        except StoreError:
            pass  # a store that cannot be written now: readers rebuild the index in memory

    @contextmanager
    def read(self) -> Iterator[StoreView]:
        """A consistent view of the store for as long as the block runs (shared lock)."""
        if not self._lock.held_exclusive:
            self._recover_if_needed()
        with self._lock.acquire(exclusive=False):
            yield StoreView(self.root)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Stage writes; commit them all when the block ends, or none if it raises."""
        with self._lock.acquire(exclusive=True), self._write_failures_explained():
            recover(self.root)
            tx = Transaction(self.root)
            try:
                yield tx
                tx.commit()
            except BaseException:
                if not (self.root / JOURNAL_NAME).exists():
                    tx.abandon()
                raise

    @contextmanager
    def _write_failures_explained(self) -> Iterator[None]:
        """A full disk or a store that cannot be written becomes one sentence, not a traceback."""
        try:
            yield
        except OSError as error:
            reason = WRITE_FAILURES.get(error.errno or 0)
            where = Path(error.filename) if error.filename else self.root
            # A permission error on a file outside the store (an input file) is the caller's to report.
            if reason is None or not (where == self.root or where.is_relative_to(self.root)):
                raise
            if (self.root / JOURNAL_NAME).exists():
                outcome = "the change was committed and the next command finishes writing it"
            else:
                outcome = "nothing was changed"
            raise StoreError(f"{where}: {reason} ({error.strerror}); {outcome}") from None

    def generation(self) -> int:
        """A number that grows with every committed write, from any process (cheap to poll)."""
        try:
            return int(orjson.loads((self.root / COUNTERS_FILE).read_bytes()).get("generation", 0))
        except (FileNotFoundError, orjson.JSONDecodeError):
            return 0
