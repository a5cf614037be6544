"""Which stored points a flag names: the same exposure as duplicate detection sees it."""

from __future__ import annotations

import pyarrow as pa

from tom_tui.domain.photometry_flags import FLAG_SCHEMA
from tom_tui.processing.photometry.flags import flagged_mask, matched_rows, with_identity, without_flagged

ONE_SECOND = 1.0 / 86_400.0


def points(**columns: list[object]) -> pa.Table:
    count = len(columns["mjd"])
    defaults = {"target_id": [1] * count, "telescope": ["P48"] * count, "instrument": ["ZTF"] * count}
    defaults |= {"source": ["upload"] * count, "mag": [18.0] * count}
    return pa.table({**defaults, **columns})


def flags(**columns: list[object]) -> pa.Table:
    count = len(columns["mjd"])
    row = {"target_id": [1] * count, "telescope": ["P48"] * count, "instrument": ["ZTF"] * count}
    row |= {"source": ["upload"] * count, "flagged_by": ["a"] * count, "flagged_at": [None] * count}
    row |= {"reason": ["r"] * count}
    return pa.table({**row, **columns}).select(FLAG_SCHEMA.names).cast(FLAG_SCHEMA)


def test_a_flag_names_the_same_exposure_only() -> None:
    stored = points(
        target_id=[1, 1, 2, 1],
        mjd=[60000.0 + 0.4 * ONE_SECOND, 60000.0 + 3 * ONE_SECOND, 60000.0, 60000.0],
        filter=["ztfr", "ztfr", "ztfr", "ztfg"],
    )
    flag = flags(mjd=[60000.0], filter=["ztfr"])
    # Within a second, same target and band: flagged; 3 s later, another target, another band: not.
    assert flagged_mask(stored, flag).tolist() == [True, False, False, False]


def test_band_spellings_and_facilities_follow_dedup() -> None:
    # A point stored as "r" taken with P48 is the ZTF r band, which a flag may spell "ztfr".
    stored = points(
        mjd=[60000.0, 60000.0], filter=["r", "r"], telescope=["P48", "LT"], instrument=["ZTF", "IO:O"]
    )
    point_mask, flag_mask = matched_rows(stored, flags(mjd=[60000.0, 60001.0], filter=["ztfr", "ztfr"]))
    assert point_mask.tolist() == [True, False] and flag_mask.tolist() == [True, False]


def test_without_flagged_keeps_asked_columns() -> None:
    stored = points(mjd=[60000.0, 60001.0], filter=["g", "g"])
    flag = flags(mjd=[60001.0], filter=["g"], telescope=["P48"])
    assert with_identity(["mjd", "mag"], flag) == [
        "mjd",
        "mag",
        "target_id",
        "filter",
        "telescope",
        "instrument",
        "source",
    ]
    assert with_identity(["mjd"], flags(mjd=[], filter=[])) == ["mjd"]
    kept = without_flagged(stored, flag, ["mjd", "mag"])
    assert kept.column_names == ["mjd", "mag"] and kept.column("mjd").to_pylist() == [60000.0]
