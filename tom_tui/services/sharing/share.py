"""Sharing targets, their photometry and spectra with a TOM Toolkit.

:func:`share_targets` finds each target at the destination by its name, each alias and its
position (so a target the TOM holds under another name is not created twice), creates it there
when missing (aliases, extras, tags and lists as target lists), and sends the points and spectra
asked for as reduced datums, the form the TOM stores them in without running a processor.

What was sent is remembered per destination and target in ``state/sharing/<destination>.json``
(written after each target, in a transaction), so sharing again sends only what is new; the TOM
itself also answers "already exists" for a datum it holds, which counts as skipped too. A target
the TOM refuses (or a datum it refuses) does not stop the others: the summary names each refusal
and its reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from tom_tui.adapters.sharing.tomtoolkit import RemoteTarget, TomToolkitClient
from tom_tui.domain.clock import from_mjd, now_iso
from tom_tui.domain.dataproducts import SpectrumRecord
from tom_tui.domain.errors import AdapterError, TomError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import NUMERIC_FIELDS, Target, TargetRef
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.sharing.destinations import destination, tomtoolkit_client
from tom_tui.services.surveys.fetch import TargetListRef
from tom_tui.services.targets.lists import ListService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import StoreView

STATE_DIR = "state/sharing"
DEFAULT_SOURCE = "tom-tui"


def state_path(destination_name: str) -> str:
    return f"{STATE_DIR}/{destination_name}.json"


@dataclass
class TargetShare:
    """What happened to one target: ``sent``, ``skipped`` (nothing new), ``refused``, or for a dry
    run ``would send``."""

    name: str
    status: str = "skipped"
    remote_id: int | None = None
    remote_name: str | None = None
    created: bool = False
    points_sent: int = 0
    points_skipped: int = 0
    spectra_sent: int = 0
    spectra_skipped: int = 0
    refusals: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.refusals)


@dataclass
class ShareSummary:
    destination: str
    dry_run: bool = False
    targets: list[TargetShare] = field(default_factory=list)

    @property
    def refused(self) -> list[TargetShare]:
        return [result for result in self.targets if result.refusals]

    def to_json(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "dry_run": self.dry_run,
            "targets": [{**asdict(result), "reason": result.reason} for result in self.targets],
            "refused": len(self.refused),
        }

    def describe(self) -> str:
        sent = sum(result.points_sent for result in self.targets)
        skipped = sum(result.points_skipped for result in self.targets)
        spectra = sum(result.spectra_sent for result in self.targets)
        verb = "would send" if self.dry_run else "sent"
        return (
            f"{self.destination}: {len(self.targets)} target(s), "
            f"{sum(r.created for r in self.targets)} {'to create' if self.dry_run else 'created'}; "
            f"{verb} {sent} point(s) and {spectra} spectra, {skipped} point(s) already there; "
            f"{len(self.refused)} refused"
        )


@dataclass(frozen=True)
class ShareRequest:
    """What to send besides the target itself, from when, and whether only to say what would go."""

    photometry: bool = False
    spectra: bool = False
    since_mjd: float | None = None
    dry_run: bool = False


def share_targets(
    store: Store,
    targets: Sequence[TargetRef] | TargetListRef,
    to: str,
    request: ShareRequest,
    client: TomToolkitClient | None = None,
) -> ShareSummary:
    """Share ``targets`` (references, or a target list's members) with the destination ``to``;
    see the module docstring."""
    where = destination(store, to)
    tom = client or tomtoolkit_client(store, where)
    if isinstance(targets, TargetListRef):
        references: list[TargetRef] = list(ListService(store).get(targets.name).members)
    else:
        references = list(targets)
    with store.read() as view:
        chosen = [TargetRepository(view).resolve(reference) for reference in references]
    summary = ShareSummary(to, request.dry_run)
    for target in chosen:
        result = TargetShare(target.name)
        try:
            _share_one(store, tom, where.name, where.match_radius_arcsec, target, request, result)
        except AdapterError as error:
            result.refusals.append(str(error))
        result.status = _status(result, request.dry_run)
        summary.targets.append(result)
    return summary


def _status(result: TargetShare, dry_run: bool) -> str:
    if result.refusals:
        return "refused"
    if result.created or result.points_sent or result.spectra_sent:
        return "would send" if dry_run else "sent"
    return "skipped"


def _share_one(
    store: Store,
    tom: TomToolkitClient,
    destination_name: str,
    radius_arcsec: float,
    target: Target,
    request: ShareRequest,
    result: TargetShare,
) -> None:
    assert target.id is not None
    remote = tom.find_target(target.names, target.ra, target.dec, radius_arcsec)
    if remote is None:
        result.created = True
        if request.dry_run:
            remote = RemoteTarget(id=-1, name=target.name)
        else:
            remote = tom.create_target(target_body(target))
    result.remote_id, result.remote_name = (None if remote.id < 0 else remote.id), remote.name
    memory = _remembered(store, destination_name, target.id, remote.id)
    with store.read() as view:
        points = _points(view, target.id, request) if request.photometry else pa.table({})
        spectra = _spectra(view, target.id, request) if request.spectra else []
    try:
        if request.photometry:
            _send_points(tom, remote.id, points, memory, request.dry_run, result)
        if request.spectra:
            _send_spectra(tom, remote.id, spectra, memory, request.dry_run, result)
    finally:
        if not request.dry_run:
            _remember(store, destination_name, target, remote, memory)


def target_body(target: Target) -> dict[str, Any]:
    """The target as ``POST /api/targets/`` takes it: TOM Toolkit's field names are tom-tui's."""
    body: dict[str, Any] = {"name": target.name, "type": target.type}
    body.update({key: getattr(target, key) for key in NUMERIC_FIELDS if getattr(target, key) is not None})
    if target.scheme:
        body["scheme"] = target.scheme
    body["aliases"] = [{"name": alias} for alias in target.aliases if alias != target.name]
    extras = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in target.extra.items()
    }
    if target.tags:
        extras.setdefault("tags", ", ".join(target.tags))
    body["targetextra_set"] = [{"key": key, "value": value} for key, value in extras.items()]
    body["target_lists"] = [{"name": name} for name in target.lists]
    return body


# -- what was sent before --
def _remembered(store: Store, destination_name: str, target_id: int, remote_id: int) -> dict[str, set[str]]:
    """Keys of the points and spectra already sent to this remote target."""
    with store.read() as view:
        document = view.read_json(state_path(destination_name))
    entry = (document or {}).get("targets", {}).get(str(target_id)) if isinstance(document, dict) else None
    if not isinstance(entry, dict) or entry.get("remote_id") != remote_id:
        return {"points": set(), "spectra": set()}  # a remote target made again: nothing is there yet
    return {part: set(entry.get(part) or []) for part in ("points", "spectra")}


def _remember(
    store: Store, destination_name: str, target: Target, remote: RemoteTarget, memory: dict[str, set[str]]
) -> None:
    rel = state_path(destination_name)
    with store.transaction() as tx:
        stored = tx.read_json(rel)
        document = dict(stored) if isinstance(stored, dict) else {}
        targets = dict(document.get("targets") or {})
        targets[str(target.id)] = {
            "name": target.name,
            "remote_id": remote.id,
            "remote_name": remote.name,
            "shared": now_iso(),
            "points": sorted(memory["points"]),
            "spectra": sorted(memory["spectra"]),
        }
        document["targets"] = targets
        tx.write_json(rel, document)


def shared_records(store: Store, destination_name: str) -> dict[str, dict[str, Any]]:
    """Per local target id, what was shared with the destination (remote id, when, how much)."""
    with store.read() as view:
        document = view.read_json(state_path(destination_name))
    targets = document.get("targets") if isinstance(document, dict) else None
    return dict(targets) if isinstance(targets, dict) else {}


# -- photometry --
def _points(view: StoreView, target_id: int, request: ShareRequest) -> pa.Table:
    return target_photometry(view, target_id, since_mjd=request.since_mjd)


def point_key(row: dict[str, Any]) -> str:
    """One point's identity at the destination: its second, band, instrument, telescope and value."""
    value = row.get("mag") if row.get("mag") is not None else row.get("limit")
    return (
        f"{round(float(row['mjd']) * 86400.0)}/{row.get('filter') or ''}/{row.get('instrument') or ''}/"
        f"{row.get('telescope') or ''}/{'' if value is None else round(float(value), 4)}"
    )


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def point_datum(remote_id: int, row: dict[str, Any]) -> dict[str, Any] | None:
    """A measurement as a photometry reduced datum; None for a point with neither a magnitude nor
    a limit (a flux alone), which a TOM Toolkit cannot hold."""
    value: dict[str, Any] = {"filter": row.get("filter") or ""}
    if _present(row.get("mag")):
        value["magnitude"] = row["mag"]
        if _present(row.get("magerr")):
            value["error"] = row["magerr"]
    elif _present(row.get("limit")):
        value["limit"] = row["limit"]
    else:
        return None
    # TOM Toolkit reads its brightness as a magnitude; "AB" is the only system its readers name.
    value["unit"] = "AB" if str(row.get("magsys") or "AB").upper() == "AB" else ""
    for key in ("telescope", "instrument"):
        if row.get(key):
            value[key] = row[key]
    return {
        "target": remote_id,
        "data_type": "photometry",
        "source_name": row.get("source") or DEFAULT_SOURCE,
        "timestamp": from_mjd(float(row["mjd"])).isoformat(timespec="microseconds"),
        "value": value,
    }


def _send_points(
    tom: TomToolkitClient,
    remote_id: int,
    points: pa.Table,
    memory: dict[str, set[str]],
    dry_run: bool,
    result: TargetShare,
) -> None:
    unsendable = 0
    for row in points.to_pylist():
        key = point_key(row)
        if key in memory["points"]:
            result.points_skipped += 1
            continue
        datum = point_datum(remote_id, row)
        if datum is None:
            unsendable += 1
        elif dry_run:
            result.points_sent += 1
        elif tom.send_datum(datum):
            result.points_sent += 1
            memory["points"].add(key)
        else:
            result.points_skipped += 1
            memory["points"].add(key)
    if unsendable:
        result.refusals.append(f"{unsendable} point(s) with neither a magnitude nor a limit not sent")


# -- spectra --
def _spectra(view: StoreView, target_id: int, request: ShareRequest) -> list[tuple[SpectrumRecord, Spectrum]]:
    repository = SpectrumRepository(view)
    records = [
        record
        for record in repository.for_target(target_id)
        if request.since_mjd is None or (record.mjd is not None and record.mjd >= request.since_mjd)
    ]
    loaded = [(record, repository.load(record)) for record in records]
    for record, spectrum in loaded:
        spectrum.mjd = spectrum.mjd if spectrum.mjd is not None else record.mjd
    return loaded


def spectrum_datum(remote_id: int, spectrum: Spectrum) -> dict[str, Any]:
    """A spectrum as a spectroscopy reduced datum (wavelength, flux and error arrays with units)."""
    value: dict[str, Any] = {
        "wavelength": [float(x) for x in spectrum.wavelength],
        "flux": [float(x) for x in spectrum.flux],
        "wavelength_unit": spectrum.wavelength_unit,
        "flux_unit": spectrum.flux_unit or "",
    }
    if spectrum.flux_error is not None:
        value["error"] = [float(x) if math.isfinite(x) else 0.0 for x in spectrum.flux_error]
    for key in ("telescope", "instrument"):
        if getattr(spectrum, key):
            value[key] = getattr(spectrum, key)
    return {
        "target": remote_id,
        "data_type": "spectroscopy",
        "source_name": DEFAULT_SOURCE,
        "timestamp": from_mjd(float(spectrum.mjd or 0.0)).isoformat(timespec="microseconds"),
        "value": value,
    }


def _send_spectra(
    tom: TomToolkitClient,
    remote_id: int,
    spectra: Iterable[tuple[SpectrumRecord, Spectrum]],
    memory: dict[str, set[str]],
    dry_run: bool,
    result: TargetShare,
) -> None:
    for record, spectrum in spectra:
        key = str(record.id)
        if key in memory["spectra"]:
            result.spectra_skipped += 1
        elif spectrum.mjd is None:
            result.refusals.append(f"spectrum {record.id} has no date of observation; not sent")
        elif dry_run:
            result.spectra_sent += 1
        else:
            try:
                stored = tom.send_datum(spectrum_datum(remote_id, spectrum))
            except TomError as error:
                result.refusals.append(f"spectrum {record.id}: {error}")
                continue
            result.spectra_sent += int(stored)
            result.spectra_skipped += int(not stored)
            memory["spectra"].add(key)
