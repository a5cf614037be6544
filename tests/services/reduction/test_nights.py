"""Nights by telescope: frames counted by type and by the latest outcome of each; the masters a
night was calibrated with come from the newest run that reduced it."""

from __future__ import annotations

from tom_tui.domain.frames import Frame, ImageType
from tom_tui.domain.reduction import FrameOutcome, FrameStatus, MasterUsed, RunRecord, RunSelection
from tom_tui.services.reduction.nights import masters_of_night, summarise_nights


def frame(frame_id: int, telescope: str, night: str, kind: ImageType) -> Frame:
    return Frame(
        f"raw/{telescope}/{night}/{frame_id}.fits", telescope, "", night, None, None, None, kind, id=frame_id
    )


def test_nights_are_grouped_by_telescope_newest_first_and_counted() -> None:
    frames = [
        frame(1, "T2", "20260101", ImageType.BIAS),
        frame(2, "T1", "20260101", ImageType.LIGHT),
        frame(3, "T1", "20260103", ImageType.LIGHT),
        frame(4, "T1", "20260103", ImageType.LIGHT),
        frame(5, "T1", "20260103", ImageType.FLAT),
        frame(6, "T1", "20260103", ImageType.UNKNOWN),
    ]
    outcomes = {
        3: FrameOutcome(3, "", status=FrameStatus.DONE),
        4: FrameOutcome(4, "", status=FrameStatus.FAILED),
    }
    nights = summarise_nights(frames, outcomes)
    assert [(n.telescope, n.night) for n in nights] == [
        ("T1", "20260103"),
        ("T1", "20260101"),
        ("T2", "20260101"),
    ]
    busy = nights[0]
    assert (busy.frame_count, busy.reduced, busy.failed) == (4, 1, 1)
    assert busy.types_text() == "1 flat 2 light 1 unknown"


def test_the_newest_run_that_reduced_the_night_names_its_masters() -> None:
    def run(run_id: int, masters: list[MasterUsed]) -> RunRecord:
        return RunRecord(run_id, "", {}, "", "", RunSelection(), masters=masters)

    old = MasterUsed("bias", "binning=1x1", "20260103", "old.fits", telescope="T1", for_night="20260103")
    borrowed = MasterUsed(
        "flat",
        "filter=r",
        "20251220",
        "flat.fits",
        telescope="T1",
        for_night="20260103",
        warning="14 days away",
    )
    other_telescope = MasterUsed("bias", "", "20260103", "t2.fits", telescope="T2", for_night="20260103")
    runs = [run(1, [old]), run(2, [borrowed, other_telescope]), run(3, [])]
    assert masters_of_night(runs, "T1", "20260103") == [borrowed]
    assert masters_of_night(runs, "T2", "20260103") == [other_telescope]
    assert masters_of_night(runs, "T1", "20260104") == []
