"""The words of a reduction run: selections checked as typed, flags named, records round-tripped."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.reduction import (
    FrameFlag,
    FrameOutcome,
    FrameStatus,
    MasterUsed,
    RunRecord,
    RunSelection,
    configuration_hash,
    flag_names,
    frames_summary,
)
from tom_tui.processing.reduction import stages


def frame(telescope: str, night: str) -> Frame:
    return Frame("raw/x.fits", telescope, "CCD", night, 61000.0, 60.0, "r", ImageType.LIGHT)


def test_the_flag_bits_are_defined_once_and_named() -> None:
    assert stages.FrameFlag is FrameFlag
    assert flag_names(int(FrameFlag.NO_STARS | FrameFlag.SIZE_MISMATCH)) == ["size_mismatch", "no_stars"]
    assert flag_names(0) == []
    assert len({int(flag) for flag in FrameFlag}) == len(list(FrameFlag))


def test_a_selection_takes_dates_as_typed_and_refuses_what_is_no_date() -> None:
    selection = RunSelection.of(telescope="T1", date_from="2026-01-10", date_to="20260112")
    assert (selection.date_from, selection.date_to) == ("20260110", "20260112")
    assert selection.includes(frame("T1", "20260111"))
    assert not selection.includes(frame("T1", "20260113"))
    assert not selection.includes(frame("T2", "20260111"))
    assert RunSelection.of(night="2026-01-15").includes(frame("any", "20260115"))
    assert RunSelection().describe() == "every frame"
    with pytest.raises(ValidationError, match="--night '15/01/2026' is not a date"):
        RunSelection.of(night="15/01/2026")
    with pytest.raises(ValidationError, match="after --to"):
        RunSelection.of(date_from="20260112", date_to="20260110")
    with pytest.raises(ValidationError, match="either --night or --from"):
        RunSelection.of(night="20260112", date_to="20260110")


def test_a_run_record_round_trips_and_counts_its_frames() -> None:
    done = FrameOutcome(1, "raw/a.fits", FrameStatus.DONE, timings={"bias": 0.1}, zero_point=23.1)
    failed = FrameOutcome(2, "raw/b.fits", FrameStatus.FAILED, int(FrameFlag.NO_STARS), ["b: no stars"])
    master = MasterUsed(
        "bias", "binning=1x1", "20260115", "reduced/T/20260115/masters/bias.fits", source_frame_ids=(3, 4)
    )
    record = RunRecord(
        id=7,
        created="2026-01-16T00:00:00+00:00",
        configuration={"aperture_fwhm": 1.5},
        config_hash=configuration_hash({"aperture_fwhm": 1.5}, "1.0"),
        version="1.0",
        selection=RunSelection.of(night="20260115"),
        outcomes=[done, failed],
        masters=[master],
        log=["started"],
    )
    again = RunRecord.from_record(record.to_record())
    assert again == record
    assert again.counts == {"done": 1, "failed": 1, "skipped": 0, "pending": 0}
    assert again.failed and again.outcome_of(2) == failed
    assert record.to_json()["outcomes"][1]["flag_names"] == ["no_stars"]
    assert "outcomes" not in record.summary_json()
    assert frames_summary(record.outcomes) == "1 done, 1 failed"


def test_the_configuration_hash_changes_with_configuration_and_version() -> None:
    base = configuration_hash({"a": 1, "b": [1, 2]}, "1.0")
    assert base == configuration_hash({"b": [1, 2], "a": 1}, "1.0")
    assert base != configuration_hash({"a": 2, "b": [1, 2]}, "1.0")
    assert base != configuration_hash({"a": 1, "b": [1, 2]}, "1.1")
