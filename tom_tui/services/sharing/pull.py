"""Pulling targets and their photometry in from a TOM Toolkit.

:func:`pull_targets` reads every target the account can see at the destination (page by page),
adds each through the target service with duplicates merged (a target already here under its
name, an alias or within the duplicate radius gains the TOM's aliases and extras instead of
being added twice), and hands its photometry to the one photometry engine with duplicate points
skipped, so pulling twice adds nothing; its spectra are added unless one of the same second,
length and telescope is already here. The TOM's answer is read by the same reader as an
uploaded ``/api/reduceddatums/`` file. ``into_list`` puts the pulled targets in a list here
(TOM Toolkit 3.1.0's API cannot name the members of one of its own lists: its target-list
endpoint fails, and targets are answered without their lists).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.adapters.sharing.tomtoolkit import RemoteTarget, TomToolkitClient
from tom_tui.domain.clock import to_mjd
from tom_tui.domain.errors import TomError
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint, with_target_ids
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import NUMERIC_FIELDS
from tom_tui.processing.photometry import read_photometry
from tom_tui.services.photometry.ingest import ingest
from tom_tui.services.sharing.destinations import destination, tomtoolkit_client
from tom_tui.services.targets.operations import OnDuplicate, TargetService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store

DUPLICATES_SKIPPED = DedupPolicy(on_duplicate=OnDuplicatePoint.IGNORE)


@dataclass
class TargetPull:
    """One remote target: ``created`` or ``merged`` here (or ``refused``), and its points."""

    name: str
    remote_id: int
    status: str = "created"
    local_name: str | None = None
    points_added: int = 0
    points_skipped: int = 0
    spectra_added: int = 0
    spectra_skipped: int = 0
    reason: str = ""


@dataclass
class PullSummary:
    source: str
    targets: list[TargetPull] = field(default_factory=list)

    @property
    def refused(self) -> list[TargetPull]:
        return [result for result in self.targets if result.status == "refused"]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "targets": [asdict(result) for result in self.targets],
            "refused": len(self.refused),
        }

    def describe(self) -> str:
        created = sum(result.status == "created" for result in self.targets)
        added = sum(result.points_added for result in self.targets)
        skipped = sum(result.points_skipped for result in self.targets)
        spectra = sum(result.spectra_added for result in self.targets)
        return (
            f"{self.source}: {len(self.targets)} target(s), {created} new here; {added} point(s) and "
            f"{spectra} spectra added, {skipped} point(s) already here; {len(self.refused)} refused"
        )


def pull_targets(
    store: Store,
    source: str,
    *,
    into_list: str | None = None,
    since_mjd: float | None = None,
    client: TomToolkitClient | None = None,
) -> PullSummary:
    """Bring the destination's targets and photometry in (see the module docstring)."""
    where = destination(store, source)
    tom = client or tomtoolkit_client(store, where)
    summary = PullSummary(source)
    for remote in list(tom.targets()):
        result = TargetPull(remote.name, remote.id)
        try:
            _pull_one(store, tom, remote, into_list, since_mjd, result)
        except TomError as error:
            result.status, result.reason = "refused", str(error)
        summary.targets.append(result)
    return summary


def target_fields(remote: RemoteTarget, into_list: str | None) -> dict[str, Any]:
    """The remote target as the fields the target service takes."""
    fields: dict[str, Any] = {"name": remote.name, "type": remote.type, "ra": remote.ra, "dec": remote.dec}
    fields.update({key: remote.fields[key] for key in NUMERIC_FIELDS if remote.fields.get(key) is not None})
    if remote.fields.get("scheme"):
        fields["scheme"] = remote.fields["scheme"]
    fields["aliases"] = [alias for alias in remote.aliases if alias != remote.name]
    fields["extra"] = dict(remote.extras)
    fields["lists"] = [into_list] if into_list else []
    return fields


def _pull_one(
    store: Store,
    tom: TomToolkitClient,
    remote: RemoteTarget,
    into_list: str | None,
    since_mjd: float | None,
    result: TargetPull,
) -> None:
    outcome = TargetService(store).add(target_fields(remote, into_list), OnDuplicate.MERGE)
    result.status, result.local_name = outcome.action, outcome.target.name
    assert outcome.target.id is not None
    points = photometry_table(tom.datums(remote.id), f"{tom.base_url} target {remote.id}")
    if since_mjd is not None:
        points = points.filter(pc.greater_equal(points.column("mjd"), since_mjd))
    if points.num_rows:
        with store.transaction() as tx:
            added = ingest(
                tx, with_target_ids(points, outcome.target.id), policy=DUPLICATES_SKIPPED, source="tomtoolkit"
            )
        result.points_added, result.points_skipped = added.added, added.duplicates_skipped
    spectra = [spectrum_from_datum(datum) for datum in tom.datums(remote.id, "spectroscopy")]
    _store_spectra(store, outcome.target.id, [s for s in spectra if s is not None], since_mjd, result)


def spectrum_from_datum(datum: dict[str, Any]) -> Spectrum | None:
    """A spectroscopy datum as a spectrum; None when its arrays are missing or of unequal length."""
    value = datum.get("value")
    if not isinstance(value, dict) or not datum.get("timestamp"):
        return None
    try:
        wavelength = np.asarray(value.get("wavelength") or [], dtype=float)
        flux = np.asarray(value.get("flux") or [], dtype=float)
        error = np.asarray(value.get("error") or [], dtype=float)
        moment = dt.datetime.fromisoformat(str(datum["timestamp"]))
    except (TypeError, ValueError):
        return None
    if len(wavelength) == 0 or len(wavelength) != len(flux):
        return None
    return Spectrum(
        wavelength=wavelength,
        flux=flux,
        flux_error=error if len(error) == len(flux) else None,
        wavelength_unit=str(value.get("wavelength_unit") or "Angstrom"),
        flux_unit=str(value.get("flux_unit") or "") or None,
        mjd=to_mjd(moment),
        date_obs=moment.astimezone(dt.UTC).isoformat(),
        telescope=str(value.get("telescope") or "") or None,
        instrument=str(value.get("instrument") or "") or None,
    )


def _spectrum_key(mjd: float | None, points: int, telescope: str | None) -> tuple[int, int, str]:
    return round(float(mjd or 0.0) * 86400.0), points, telescope or ""


def _store_spectra(
    store: Store, target_id: int, spectra: list[Spectrum], since_mjd: float | None, result: TargetPull
) -> None:
    """Add the spectra not held here yet (same second, length and telescope)."""
    chosen = [s for s in spectra if since_mjd is None or (s.mjd is not None and s.mjd >= since_mjd)]
    if not chosen:
        return
    with store.transaction() as tx:
        repository = SpectrumRepository(tx)
        held = {_spectrum_key(r.mjd, r.points, r.telescope) for r in repository.for_target(target_id)}
        for spectrum in chosen:
            key = _spectrum_key(spectrum.mjd, len(spectrum), spectrum.telescope)
            if key in held:
                result.spectra_skipped += 1
                continue
            repository.add(target_id, spectrum)
            held.add(key)
            result.spectra_added += 1


def _has_value(value: Any) -> bool:
    """A datum with a magnitude; TOM Toolkit 3.1.0 answers an upper limit without its value."""
    if not isinstance(value, dict):
        return False
    return any(value.get(key) is not None for key in ("brightness", "magnitude", "mag"))


def photometry_table(datums: Sequence[dict[str, Any]], where: str) -> pa.Table:
    """A TOM's photometry datums in the measurement schema, read as an uploaded
    ``/api/reduceddatums/`` answer is; items without a magnitude are left out."""
    from tom_tui.domain.photometry import empty_measurements

    items = [
        item
        for item in datums
        if str(item.get("data_type", "photometry")) == "photometry" and _has_value(item.get("value"))
    ]
    if not items:
        return empty_measurements()
    with tempfile.TemporaryDirectory(prefix="tom-tui-pull-") as folder:
        path = Path(folder) / "reduceddatums.json"
        path.write_text(json.dumps(items))
        try:
            return read_photometry(path).table
        except TomError as error:
            raise TomError(f"{where}: {error}") from None
