"""Polarimetry in the store: one Parquet file per target, ``polarimetry/<target-id>.parquet``.

One row per measurement (:class:`~tom_tui.domain.polarimetry.PolarizationMeasurement`), sorted
by ``mjd``; units and meanings are in each column's Parquet field metadata, so the files are
readable without tom-tui (``pandas.read_parquet("STORE/polarimetry")``). A measurement of the
same band and instrument less than :data:`SAME_SET_SECONDS` from a stored one replaces it: a
set measured again (a run forced, a better reduction) is one row, the newest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields

import pyarrow as pa

from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.store.transaction import StoreView, Transaction

POLARIMETRY_FOLDER = "polarimetry"
SAME_SET_SECONDS = 1.0

# name: (type, unit in astropy's spelling, description)
COLUMNS: dict[str, tuple[pa.DataType, str, str]] = {
    "target_id": (pa.int64(), "", "target id"),
    "mjd": (pa.float64(), "d", "MJD, UTC, middle of the set of exposures"),
    "band": (pa.string(), "", "filter"),
    "q": (pa.float64(), "", "normalised Stokes Q/I, corrected for the instrument, on the sky"),
    "u": (pa.float64(), "", "normalised Stokes U/I, corrected for the instrument, on the sky"),
    "q_err": (pa.float64(), "", "1-sigma error of q"),
    "u_err": (pa.float64(), "", "1-sigma error of u"),
    "p": (pa.float64(), "", "degree of linear polarisation sqrt(q^2 + u^2), a fraction"),
    "p_err": (pa.float64(), "", "1-sigma error of p"),
    "p_debiased": (pa.float64(), "", "p with the noise bias removed (Plaszczynski et al. 2014 MAS)"),
    "chi_deg": (pa.float64(), "deg", "polarisation angle east of north, 0 to 180"),
    "chi_err_deg": (pa.float64(), "deg", "1-sigma error of the angle"),
    "telescope": (pa.string(), "", "telescope"),
    "instrument": (pa.string(), "", "instrument"),
    "mode": (pa.string(), "", "polarizer (0/45/90/135) or hwp (0/22.5/45/67.5)"),
    "run": (pa.string(), "", "the reduction run that measured it"),
    "frame_ids": (pa.list_(pa.int64()), "", "the frames of the set, in analyser order"),
}


def _field(name: str) -> pa.Field:
    kind, unit, description = COLUMNS[name]
    return pa.field(name, kind, metadata={"description": description, **({"unit": unit} if unit else {})})


SCHEMA = pa.schema([_field(item.name) for item in fields(PolarizationMeasurement)])


def polarimetry_path(target_id: int) -> str:
    return f"{POLARIMETRY_FOLDER}/{int(target_id)}.parquet"


def to_arrow(measurements: Iterable[PolarizationMeasurement]) -> pa.Table:
    return pa.Table.from_pylist([item.to_record() for item in measurements], schema=SCHEMA)


@dataclass(frozen=True)
class Saved:
    """What :meth:`PolarimetryRepository.add` did: new rows, and stored rows they replaced."""

    added: int
    replaced: int


def _same_set(a: PolarizationMeasurement, b: PolarizationMeasurement) -> bool:
    return (
        a.band == b.band and a.instrument == b.instrument and abs(a.mjd - b.mjd) * 86400.0 < SAME_SET_SECONDS
    )


class PolarimetryRepository:
    def __init__(self, view: StoreView) -> None:
        self.view = view

    def for_target(self, target_id: int) -> list[PolarizationMeasurement]:
        """The target's measurements, oldest first (none: an empty list)."""
        table = self.view.read_parquet(polarimetry_path(target_id))
        if table is None:
            return []
        return [PolarizationMeasurement.from_record(row) for row in table.to_pylist()]

    def _tx(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("polarimetry changes need a store transaction")
        return self.view

    def replace_target(self, target_id: int, measurements: list[PolarizationMeasurement]) -> None:
        """Write the target's measurements as given (none: its file goes)."""
        tx = self._tx()
        if measurements:
            tx.write_parquet(polarimetry_path(target_id), to_arrow(sorted(measurements, key=lambda m: m.mjd)))
        elif tx.exists(polarimetry_path(target_id)):
            tx.delete(polarimetry_path(target_id))

    def add(self, measurements: Iterable[PolarizationMeasurement]) -> Saved:
        """Store measurements (each target's file written once); a stored measurement of the
        same set (same band and instrument, under a second apart) is replaced by the new one."""
        by_target: dict[int, list[PolarizationMeasurement]] = defaultdict(list)
        for item in measurements:
            by_target[item.target_id].append(item)
        added = replaced = 0
        for target_id, new in by_target.items():
            stored = self.for_target(target_id)
            kept = [old for old in stored if not any(_same_set(old, item) for item in new)]
            replaced += len(stored) - len(kept)
            added += len(new)
            self.replace_target(target_id, [*kept, *new])
        return Saved(added, replaced)


class PolarimetryTargetData:
    """Keeps a target's polarimetry with it when targets merge, and removes it with the target
    (registered in the ``tom_tui.target_data`` entry point group)."""

    def reassign_target(self, tx: Transaction, from_id: int, to_id: int) -> None:
        repository = PolarimetryRepository(tx)
        moved = [
            PolarizationMeasurement.from_record({**item.to_record(), "target_id": to_id})
            for item in repository.for_target(from_id)
        ]
        if moved:
            repository.replace_target(from_id, [])
            repository.add(moved)

    def delete_target(self, tx: Transaction, target_id: int) -> None:
        PolarimetryRepository(tx).replace_target(target_id, [])
