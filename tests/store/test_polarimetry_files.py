"""Polarimetry files: one Parquet file per target, read back whole, one row per set."""

from __future__ import annotations

import dataclasses

import pyarrow.parquet as pq
import pytest

from tom_tui.domain.polarimetry import PolarizationMeasurement
from tom_tui.store.polarimetry import PolarimetryRepository, PolarimetryTargetData, polarimetry_path
from tom_tui.store.store import Store

MEASURED = PolarizationMeasurement(
    target_id=7,
    mjd=61000.51234,
    band="R",
    q=0.0433,
    u=0.025,
    q_err=0.0011,
    u_err=0.0012,
    p=0.05,
    p_err=0.0012,
    p_debiased=0.04998,
    chi_deg=15.0,
    chi_err_deg=0.69,
    telescope="OSN-T090",
    instrument="Andor",
    mode="polarizer",
    run="3",
    frame_ids=(11, 12, 13, 14),
)


def test_measurements_are_read_back_as_written(store: Store) -> None:
    later = dataclasses.replace(MEASURED, mjd=61001.5, chi_deg=179.5, frame_ids=(21, 22, 23, 24))
    with store.transaction() as tx:
        saved = PolarimetryRepository(tx).add([later, MEASURED])
    assert (saved.added, saved.replaced) == (2, 0)
    with store.read() as view:
        assert PolarimetryRepository(view).for_target(7) == [MEASURED, later]
        assert PolarimetryRepository(view).for_target(8) == []


def test_the_same_set_measured_again_replaces_the_stored_one(store: Store) -> None:
    with store.transaction() as tx:
        PolarimetryRepository(tx).add([MEASURED, dataclasses.replace(MEASURED, band="V")])
    redone = dataclasses.replace(MEASURED, mjd=MEASURED.mjd + 0.5 / 86400, p=0.051, run="4")
    other_instrument = dataclasses.replace(MEASURED, instrument="DIPOL")
    with store.transaction() as tx:
        saved = PolarimetryRepository(tx).add([redone, other_instrument])
    assert (saved.added, saved.replaced) == (2, 1)
    with store.read() as view:
        stored = PolarimetryRepository(view).for_target(7)
    assert sorted((item.band, item.instrument, item.run) for item in stored) == [
        ("R", "Andor", "4"),
        ("R", "DIPOL", "3"),
        ("V", "Andor", "3"),
    ]


def test_the_file_says_its_units_and_is_readable_without_tom_tui(store: Store) -> None:
    with store.transaction() as tx:
        PolarimetryRepository(tx).add([MEASURED])
    path = store.root / polarimetry_path(7)
    schema = pq.read_schema(path)
    assert schema.field("chi_deg").metadata[b"unit"] == b"deg"
    assert schema.field("mjd").metadata[b"unit"] == b"d"
    assert b"Plaszczynski" in schema.field("p_debiased").metadata[b"description"]
    row = pq.read_table(path).to_pylist()[0]
    assert row["frame_ids"] == [11, 12, 13, 14] and row["p"] == pytest.approx(0.05)


def test_polarimetry_follows_a_merged_target_and_goes_with_a_deleted_one(store: Store) -> None:
    with store.transaction() as tx:
        PolarimetryRepository(tx).add([MEASURED, dataclasses.replace(MEASURED, target_id=9, mjd=61002.0)])
    holder = PolarimetryTargetData()
    with store.transaction() as tx:
        holder.reassign_target(tx, 7, 9)
    with store.read() as view:
        assert PolarimetryRepository(view).for_target(7) == []
        assert [item.target_id for item in PolarimetryRepository(view).for_target(9)] == [9, 9]
    with store.transaction() as tx:
        holder.delete_target(tx, 9)
    assert not (store.root / polarimetry_path(9)).exists()


def test_changes_need_a_transaction(store: Store) -> None:
    with store.read() as view, pytest.raises(PermissionError):
        PolarimetryRepository(view).add([MEASURED])
