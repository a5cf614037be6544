"""Read alert packets from Avro files: ZTF (``candidate`` + ``prv_candidates``, also the
broker-enriched Fink variants) and Rubin/LSST (``diaSource``, ``prvDiaSources``,
``prvDiaForcedSources``, ``diaObject``; schema 10.0 and later).

Every file is read with the writer schema it carries (fastavro), so a packet written with any
schema version decodes; fields are then looked up by name. ``.avro.gz`` files are read too.
Photometry of all packets goes into one Arrow table (:class:`tom_tui.domain.photometry.PhotometryColumns`),
with the points repeated from packet to packet (each packet carries its object's history) kept once.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import multiprocessing
import os
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fastavro.schema import SchemaParseException

from tom_tui.adapters.alerts.rubin import rubin_measurement
from tom_tui.adapters.alerts.ztf import ZTF_MAGSYS, ztf_band, ztf_measurement
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.photometry import PhotometryColumns
from tom_tui.domain.text import strip_control
from tom_tui.domain.units import flux_to_mag, jd_to_mjd, tai_to_utc_mjd

ALERT_SUFFIXES = (".avro", ".avro.gz")
LSST_MIN_MAJOR_VERSION = 10
_LSST_VERSION = re.compile(r"lsst\.v(\d+)_(\d+)")
# Fink's science columns worth keeping on a target (scores and cross-matches), when present.
FINK_EXTRAS = (
    "cdsxmatch",
    "tns",
    "rf_snia_vs_nonia",
    "snn_snia_vs_nonia",
    "snn_sn_vs_all",
    "mulens",
    "rf_kn_vs_nonkn",
    "roid",
)


# Only these fields are decoded (a reader schema projected from each file's writer schema): a ZTF
# packet holds ~3,500 fields (cutouts, 100 per candidate, dozens of previous candidates) of which
# ingest needs a few dozen, and skipping the rest more than doubles the decoding rate.
_ZTF_POINT = {"jd", "fid", "ra", "dec", "magpsf", "sigmapsf", "diffmaglim", "candid", "isdiffpos"}
_LSST_SOURCE = {
    "diaSourceId",
    "diaObjectId",
    "ssObjectId",
    "ra",
    "dec",
    "midpointMjdTai",
    "band",
    "psfFlux",
    "psfFluxErr",
}
_NESTED_FIELDS: dict[str, set[str]] = {
    "candidate": _ZTF_POINT,
    "prv_candidates": _ZTF_POINT,
    "diaSource": _LSST_SOURCE,
    "prvDiaSources": _LSST_SOURCE,
    "prvDiaForcedSources": {"midpointMjdTai", "band", "psfFlux", "psfFluxErr", "diaObjectId"},
    "diaObject": {"diaObjectId", "ra", "dec"},
}
_TOP_FIELDS = {
    "objectId",
    "candid",
    "schemavsn",
    "finkclass",
    "cdsxmatch",
    "lsst_schema_version",
    "tns_type_recomputed",
    *FINK_EXTRAS,
    *_NESTED_FIELDS,
}


def _project(schema: Any, wanted: set[str] | None) -> Any:
    if isinstance(schema, list):
        return [_project(member, wanted) for member in schema]
    if isinstance(schema, dict):
        if schema.get("type") == "record":
            fields = [
                {**f, "type": _project(f["type"], _NESTED_FIELDS.get(f["name"]))}
                for f in schema["fields"]
                if wanted is None or f["name"] in wanted
            ]
            return {**schema, "fields": fields}
        if schema.get("type") == "array":
            return {**schema, "items": _project(schema["items"], wanted)}
    return schema


def reader_schema_for(writer_schema: Any) -> Any:
    """The writer schema with only the fields ingest reads (None when it is not a record)."""
    if not isinstance(writer_schema, dict) or writer_schema.get("type") != "record":
        return None
    return _project(writer_schema, _TOP_FIELDS)


@dataclass
class AlertPacket:
    """One alert, reduced to what ingest needs."""

    survey: str  # "ztf" or "lsst"
    object_id: str  # the target name: ZTF objectId, or "LSST-<diaObjectId>"
    alert_id: str  # candid or diaSourceId
    ra: float
    dec: float
    mjd: float
    filter: str
    mag: float | None
    magerr: float | None
    classification: str | None = None
    schema: str = ""
    source_file: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AlertBatch:
    packets: list[AlertPacket]
    photometry: pa.Table
    files: int
    skipped: list[str] = field(default_factory=list)  # why each skipped packet or file was left out
    unreadable_files: int = 0  # files skipped whole (not alert files, or broken)


def alert_files(paths: Iterable[Path | str]) -> list[Path]:
    """The Avro files named, directories searched recursively, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(ALERT_SUFFIXES))
            )
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(2, "no such file", str(path))
    return found


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


class _Collector:
    def __init__(self) -> None:
        self.packets: list[AlertPacket] = []
        self.skipped: list[str] = []
        # ZTF and Rubin both publish AB magnitudes (Rubin's fluxes are nJy, converted at AB).
        self.photometry = PhotometryColumns(magsys=ZTF_MAGSYS)
        self.unreadable_files = 0
        self._seen: set[tuple[str, int, str, str]] = set()
        self._added_keys: list[tuple[str, int, str, str]] = []

    def checkpoint(self) -> tuple[int, int, int]:
        """Where the collector stands, to go back there when a file turns out unreadable."""
        return len(self.packets), len(self.photometry), len(self._added_keys)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        """Forget everything collected since ``mark``."""
        packets, points, keys = mark
        del self.packets[packets:]
        for values in self.photometry.columns.values():
            del values[points:]
        for key in self._added_keys[keys:]:
            self._seen.discard(key)
        del self._added_keys[keys:]

    def measurement(self, target: str, row: dict[str, Any], source: str) -> None:
        """Add a measurement-schema row (``mjd``, ``filter`` and measured values); ``row`` is the
        caller's fresh dictionary and gets ``source`` set."""
        # Points repeat in every later packet's history; a millisecond-level key finds them.
        key = (target, round(row["mjd"] * 86_400_000), row["filter"], source)
        if key in self._seen:
            return
        self._seen.add(key)
        self._added_keys.append(key)
        row["source"] = source
        self.photometry.append_row(target, row)


def default_workers() -> int:
    return min(4, os.cpu_count() or 1)


def read_alerts(paths: Iterable[Path | str], workers: int = 1) -> AlertBatch:
    """Every packet of every readable alert file; a file that is not one (or is broken) is left
    out whole and named, with the reason, in ``skipped``.

    Decoding is CPU-bound, so many files can be read by ``workers`` forked processes (only from a
    single-threaded program such as the CLI or a job: forking a threaded one is unsafe); the
    result is the same as reading them one after the other.
    """
    files = alert_files(paths)
    if workers > 1 and len(files) >= 2 * workers:
        chunks = [files[k::workers] for k in range(workers)]
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_read_files, chunks))
        packets = [packet for part in parts for packet in part[0]]
        skipped = [reason for part in parts for reason in part[2]]
        unreadable = sum(part[3] for part in parts)
        photometry = _first_of_each_point(pa.concat_tables([part[1] for part in parts]))
    else:
        collector = _read_files(files, as_collector=True)
        packets, skipped, photometry = collector.packets, collector.skipped, collector.photometry.to_table()
        unreadable = collector.unreadable_files
    order = {str(path): k for k, path in enumerate(files)}
    packets.sort(key=lambda p: order.get(p.source_file.rsplit(" (alert", 1)[0], 0))
    skipped.sort(key=lambda reason: order.get(reason.split(":", 1)[0].rsplit(" (alert", 1)[0], 0))
    return AlertBatch(packets, photometry, len(files), skipped, unreadable)


def _first_of_each_point(table: pa.Table) -> pa.Table:
    """Rows read by several processes: keep the first of each repeated point (as one reader does)."""
    keyed = table.select(["target", "filter", "source"])
    keyed = keyed.append_column("_ms", pc.round(pc.multiply(table.column("mjd"), 86_400_000.0)))
    keyed = keyed.append_column("_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    first = keyed.group_by(["target", "_ms", "filter", "source"], use_threads=False).aggregate(
        [("_row", "min")]
    )
    rows = np.sort(np.asarray(first.column("_row_min").to_numpy(), dtype=np.int64))
    return table.take(pa.array(rows))


def _read_files(files: list[Path], as_collector: bool = False) -> Any:
    collector = _Collector()
    for path in files:
        _read_file(collector, path)
    if as_collector:
        return collector
    return collector.packets, collector.photometry.to_table(), collector.skipped, collector.unreadable_files


def _read_file(collector: _Collector, path: Path) -> None:
    """Collect one file's packets, or none of them when it cannot be read (the reason is kept)."""
    mark = collector.checkpoint()
    try:
        _read_packets(collector, path)
    except ValidationError as error:
        collector.rollback(mark)
        collector.unreadable_files += 1
        collector.skipped.append(f"{error}; file skipped")


def _read_packets(collector: _Collector, path: Path) -> None:
    schema_name = ""
    try:
        with _open(path) as handle:
            reader = _projected_reader(handle)
            writer = reader.writer_schema
            schema_name = str(writer.get("name", "")) if isinstance(writer, dict) else ""
            _check_alert_schema(path, writer, schema_name)
            for number, record in enumerate(reader, start=1):
                if not isinstance(record, dict):
                    raise ValidationError(
                        f"{path} (alert {number}): expected a record, got {type(record).__name__}"
                    )
                _read_record(collector, record, schema_name, f"{path} (alert {number})")
    except ValidationError:
        raise
    except FileNotFoundError:
        raise
    except KeyError as error:
        kind = f"an Avro file of {schema_name!r} records" if schema_name else "an Avro file"
        raise ValidationError(
            f"{path}: {kind} without the field {error} that alert packets carry, not a supported kind; "
            f"supported: {SUPPORTED_ALERTS}"
        ) from None
    except _DAMAGED_AVRO as error:
        raise ValidationError(
            f"{path}: not a readable Avro alert file ({type(error).__name__}: {error}); "
            "expected ZTF or Rubin/LSST alert packets"
        ) from None


# What fastavro raises on a damaged file (truncated, bits flipped, a bad block codec or schema;
# MemoryError when a damaged length asks for terabytes, which it refuses before taking any).
_DAMAGED_AVRO = (
    ValueError, EOFError, OSError, TypeError, IndexError, OverflowError, zlib.error, struct.error,
    SchemaParseException, MemoryError,
)  # fmt: skip

SUPPORTED_ALERTS = (
    "ZTF alert packets (ztf.alert, also as relayed by Fink) and Rubin/LSST alert packets "
    f"(lsst.v{LSST_MIN_MAJOR_VERSION}_0.alert and later)"
)


def _check_alert_schema(path: Path, writer: Any, schema_name: str) -> None:
    """Refuse, naming what it holds, an Avro file whose records are not alerts of a supported kind."""
    fields = writer.get("fields") if isinstance(writer, dict) else None
    if not isinstance(fields, list):
        return
    names = [str(f.get("name")) for f in fields if isinstance(f, dict)]
    if "candidate" in names or "diaSource" in names:
        return
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    raise ValidationError(
        f"{path}: an Avro file of {schema_name or 'unnamed'!r} records ({shown}), not alert packets; "
        f"supported: {SUPPORTED_ALERTS}"
    )


def _projected_reader(handle: IO[bytes]) -> Any:
    reader = fastavro.reader(handle)
    projected = reader_schema_for(reader.writer_schema)
    if projected is None:
        return reader
    handle.seek(0)
    try:
        return fastavro.reader(handle, reader_schema=projected)
    except Exception:  # a schema the projection cannot express (e.g. a named type it dropped)
        handle.seek(0)
        return fastavro.reader(handle)


def _read_record(collector: _Collector, record: dict[str, Any], schema_name: str, where: str) -> None:
    if "candidate" in record:
        _read_ztf(collector, record, schema_name, where)
    elif "diaSource" in record:
        _read_lsst(collector, record, schema_name, where)
    else:
        raise ValidationError(
            f"{where}: neither a ZTF alert (no 'candidate') nor a Rubin/LSST alert (no 'diaSource')"
        )


def _required(record: dict[str, Any], key: str, where: str) -> Any:
    value = record.get(key)
    if value is None:
        raise ValidationError(f"{where}: field {key!r} is missing or null")
    return value


def _read_ztf(collector: _Collector, record: dict[str, Any], schema_name: str, where: str) -> None:
    candidate = _required(record, "candidate", where)
    name = strip_control(str(_required(record, "objectId", where)))
    mjd = jd_to_mjd(float(_required(candidate, "jd", f"{where}: candidate")))
    band = ztf_band(candidate["fid"])
    # A negative subtraction has no magnitude of the source, so alert rules see none.
    row = ztf_measurement(candidate, detected=True)
    extra: dict[str, Any] = {}
    for key in FINK_EXTRAS:
        value = record.get(key)
        if isinstance(value, (int, float, str)) and value not in ("", "Unknown", "nan"):
            extra[f"fink_{key}"] = value
    classification = record.get("finkclass") or record.get("cdsxmatch")
    packet = AlertPacket(
        survey="ztf",
        object_id=name,
        alert_id=str(record.get("candid") or candidate.get("candid")),
        ra=float(_required(candidate, "ra", f"{where}: candidate")),
        dec=float(_required(candidate, "dec", f"{where}: candidate")),
        mjd=mjd,
        filter=band,
        mag=row["mag"],
        magerr=row["magerr"],
        classification=classification if classification not in (None, "Unknown") else None,
        schema=str(record.get("schemavsn") or schema_name),
        source_file=where,
        extra=extra,
    )
    collector.packets.append(packet)
    collector.measurement(name, row, "ztf-alert")
    for previous in record.get("prv_candidates") or ():
        # A previous candidate without candid (or magnitude) is a non-detection with a limit.
        detected = previous.get("candid") is not None and previous.get("magpsf") is not None
        collector.measurement(name, ztf_measurement(previous, detected=detected), "ztf-alert")


def lsst_schema_major(record: dict[str, Any], schema_name: str) -> int | None:
    for text in (record.get("lsst_schema_version"), schema_name):
        match = _LSST_VERSION.search(str(text or ""))
        if match:
            return int(match.group(1))
    return None


def _lsst_point(collector: _Collector, name: str, source: dict[str, Any], kind: str) -> None:
    row = rubin_measurement(
        source["midpointMjdTai"],
        source["band"],
        source.get("psfFlux"),
        source.get("psfFluxErr"),
        forced=kind == "lsst-forced",
    )
    collector.measurement(name, row, kind)


def _read_lsst(collector: _Collector, record: dict[str, Any], schema_name: str, where: str) -> None:
    major = lsst_schema_major(record, schema_name)
    if major is not None and major < LSST_MIN_MAJOR_VERSION:
        raise ValidationError(f"{where}: Rubin alert schema v{major} is older than the supported 10.0")
    source = _required(record, "diaSource", where)
    dia_object = record.get("diaObject") or {}
    object_id = dia_object.get("diaObjectId") or source.get("diaObjectId")
    if not object_id:
        if source.get("ssObjectId"):
            # A moving object: a fixed-position target would be wrong; it needs orbital elements.
            collector.skipped.append(
                f"{where}: solar-system source (ssObjectId {source['ssObjectId']}) skipped"
            )
            return
        raise ValidationError(f"{where}: diaSource has neither a diaObjectId nor an ssObjectId")
    name = f"LSST-{object_id}"
    ra = dia_object.get("ra") if dia_object.get("ra") is not None else source.get("ra")
    dec = dia_object.get("dec") if dia_object.get("dec") is not None else source.get("dec")
    for key, value in (("ra", ra), ("dec", dec), ("midpointMjdTai", source.get("midpointMjdTai"))):
        if value is None:
            raise ValidationError(f"{where}: field {key!r} is missing or null")
    flux = source.get("psfFlux")
    mag, magerr = flux_to_mag(
        None if flux is None else flux / 1000.0,
        None if source.get("psfFluxErr") is None else source["psfFluxErr"] / 1000.0,
    )
    classification = record.get("tns_type_recomputed")
    packet = AlertPacket(
        survey="lsst",
        object_id=name,
        alert_id=str(source.get("diaSourceId")),
        ra=float(ra),  # type: ignore[arg-type]  # checked for None above
        dec=float(dec),  # type: ignore[arg-type]
        mjd=tai_to_utc_mjd(float(source["midpointMjdTai"])),
        filter=str(source["band"]),
        mag=mag,
        magerr=magerr,
        classification=classification if classification not in (None, "Unknown") else None,
        schema=str(record.get("lsst_schema_version") or schema_name),
        source_file=where,
        extra={"diaObjectId": int(object_id)},
    )
    collector.packets.append(packet)
    _lsst_point(collector, name, source, "lsst-alert")
    for previous in record.get("prvDiaSources") or ():
        _lsst_point(collector, name, previous, "lsst-alert")
    for forced in record.get("prvDiaForcedSources") or ():
        _lsst_point(collector, name, forced, "lsst-forced")


def iter_packets(paths: Iterable[Path | str]) -> Iterator[AlertPacket]:
    """Packets only (no photometry), for previews."""
    yield from read_alerts(paths).packets
