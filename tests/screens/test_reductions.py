"""The Reductions screen with Pilot at 80x24: nights -> frames -> a frame's detail with its
picture, a run started from the screen and its runs list, a run's detail, and stored text with
control characters shown as escapes. The frames are a small simulated night (96x96 pixels)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, Static

from tests.support.cli import append_config
from tests.support.pilot import screen_text, settle, wait_until
from tom_tui.adapters.simulated.frames import SimulatedNight
from tom_tui.adapters.simulated.imaging import Camera
from tom_tui.screens.app import TomApp
from tom_tui.screens.reduction_views import FrameDetailScreen, NightScreen, RunDetailScreen
from tom_tui.screens.reductions import ReductionsScreen
from tom_tui.screens.widgets.frame_picture import UPPER_HALF, FramePicture
from tom_tui.screens.widgets.run_launcher import RunLauncher
from tom_tui.services.photometry.lightcurve import lightcurve_of
from tom_tui.services.reduction.frames import import_frames, list_frames
from tom_tui.services.reduction.runs import RunProgress
from tom_tui.store.store import Store

TELESCOPE = "SIM-0m5"
NIGHT = "20260115"
TITLE = "\x1b]0;pwned\x07XXXXX"  # sets the terminal window's title (15 bytes, as the placeholder)
CLIPBOARD = "\x1b]52;c;aGk=\x07YYY"  # writes "hi" to the clipboard


SIZE = 96
RAW_SHAPE = (SIZE, SIZE + 24)  # (rows, columns): the raw frames carry 24 overscan columns
EXPOSURE_S = 30.0


def small_night() -> SimulatedNight:
    """A 96x96 camera on the field of SN 2026abc (RA 150, Dec +20) with 12 stars."""
    camera = Camera(telescope=TELESCOPE, instrument="SIMCCD", nx=SIZE, ny=SIZE, gain=1.5)
    return SimulatedNight(seed=5, camera=camera, star_count=12)


@pytest.fixture(scope="module")
def night_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 bias, 1 flat and 2 science frames, and a focus frame (a type no reduction takes) whose
    header holds a comment and a HISTORY card with escape sequences, as a broken camera might
    write them."""
    folder = tmp_path_factory.mktemp("small-night")
    night = small_night()
    for index in range(2):
        night.bias(index).writeto(folder / f"bias{index}.fits")
    night.flat(0).writeto(folder / "flat0.fits")
    for index in range(2):
        night.science(index, EXPOSURE_S).writeto(folder / f"science{index}.fits")
    focus = night.science(
        2, 5.0, extra_header={"IMAGETYP": "FOCUS", "OBSERVER": ("night assistant", "X" * 15)}
    )
    focus[0].header["HISTORY"] = "Y" * 15
    path = folder / "focus.fits"
    focus.writeto(path)
    # FITS writers refuse control characters: they are put into the bytes afterwards.
    path.write_bytes(
        path.read_bytes().replace(b"X" * 15, TITLE.encode()).replace(b"Y" * 15, CLIPBOARD.encode())
    )
    return folder


@pytest.fixture
def night_store(store: Store, night_folder: Path) -> Store:
    import_frames(store, [night_folder])
    return store


def science_id(store: Store, name: str = "science0.fits") -> int:
    return next(f.id for f in list_frames(store) if f.original_name == name and f.id is not None)


def fits_in(app: TomApp, *selectors: str) -> None:
    """Each widget is on screen whole: nothing cut off at the terminal's edges."""
    width, height = app.size
    for selector in selectors:
        region = app.screen.query_one(selector).region
        assert region.width > 0 and region.height > 0, selector
        assert region.right <= width and region.bottom <= height, (selector, region)


def test_nights_then_frames_then_a_frame_with_its_picture_at_80x24(
    make_app: Callable[..., TomApp], night_store: Store
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f8")
            await settle(pilot, lambda: isinstance(app.screen, ReductionsScreen) and bool(app.screen.nights))
            screen = app.screen
            assert isinstance(screen, ReductionsScreen)
            [night] = screen.nights
            assert (night.telescope, night.night, night.frame_count) == (TELESCOPE, NIGHT, 6)
            assert night.types_text() == "2 bias 1 flat 2 light 1 unknown"
            assert (night.reduced, night.failed) == (0, 0)
            fits_in(app, "#nights-table", "Footer")

            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, NightScreen) and app.screen.detail is not None)
            frames = app.screen.query_one("#night-frames", DataTable)
            assert frames.row_count == 6
            types = sorted(frames.get_row_at(row)[2] for row in range(6))
            assert types == ["bias", "bias", "flat", "light", "light", "unknown"]
            times = [frames.get_row_at(row)[1] for row in range(6)]
            assert times == sorted(times) and times[-1] == "22:20:00"  # in time order, UT
            assert [frames.get_row_at(row)[6] for row in range(6)] == ["—"] * 6  # never reduced
            fits_in(app, "#night-frames", "#night-masters", "Footer")

            frames.move_cursor(row=3)
            await pilot.press("enter")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, FrameDetailScreen)
                    and app.screen.query_one(FramePicture).image is not None
                ),
            )
            picture = app.screen.query_one(FramePicture)
            image = picture.image
            assert image is not None
            columns, rows = picture.cells
            # The raw pixels (with the overscan columns) in the picture's cells, aspect kept.
            assert image.image_shape == RAW_SHAPE
            assert image.pixel_columns <= columns and image.pixel_rows <= 2 * rows
            assert image.block == max(-(-RAW_SHAPE[1] // columns), -(-RAW_SHAPE[0] // (2 * rows)))
            assert UPPER_HALF in screen_text(app)
            fits_in(app, "#frame-picture", "#frame-side", "Footer")
            text = screen_text(app)
            assert "Reduced not yet" in text and "Header of science0.fits" in text
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, NightScreen))

    asyncio.run(scenario())


def test_header_text_with_control_characters_is_shown_escaped(
    make_app: Callable[..., TomApp], night_store: Store
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame_id = science_id(night_store, "focus.fits")
    # The frame index as an older tom-tui might have written it: OBJECT kept with its escapes.
    index = night_store.root / "frames" / TELESCOPE / f"{NIGHT}.parquet"
    table = pq.read_table(index)
    objects = pa.array([f"SIM FIELD{TITLE}"] * table.num_rows, pa.string())
    pq.write_table(table.set_column(table.schema.get_field_index("object"), "object", objects), index)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(120, 80)) as pilot:  # tall enough for the whole header
            await app.push_screen(NightScreen(TELESCOPE, NIGHT))
            await settle(pilot, lambda: app.screen.detail is not None)  # type: ignore[attr-defined]
            text = screen_text(app)
            assert "\x1b" not in text and "\x07" not in text
            assert "SIM FIELD\\x1b]0;pwned\\x07" in text
            await app.push_screen(FrameDetailScreen(frame_id))
            await settle(pilot, lambda: app.screen.query_one(FramePicture).image is not None)
            text = screen_text(app)
            assert "\x1b" not in text and "\x07" not in text
            assert "\\x1b]0;pwned\\x07" in text  # the comment, as visible escapes
            assert "\\x1b]52;c;aGk=\\x07" in text  # the HISTORY card

    asyncio.run(scenario())


def test_a_missing_frame_file_is_said_in_place_of_the_picture(
    make_app: Callable[..., TomApp], night_store: Store
) -> None:
    frame_id = science_id(night_store, "science1.fits")
    frame = next(f for f in list_frames(night_store) if f.id == frame_id)
    (night_store.root / frame.path).unlink()

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(FrameDetailScreen(frame_id))
            await wait_until(pilot, lambda: bool(app.errors), failures_expected=True)
            assert "science1.fits" in app.errors[-1]
            assert isinstance(app.screen, FrameDetailScreen)  # the TUI goes on

    asyncio.run(scenario())


def test_a_run_started_from_the_screen_then_failed_frames_retried_once_the_catalog_is_there(
    make_app: Callable[..., TomApp], night_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The reference catalog the configuration names is not there yet: both science frames fail.
    catalog = tmp_path / "field.ecsv"
    append_config(night_store, f'[reduction]\ncatalog = "{catalog}"\ngaia = false')
    seen: list[str] = []  # what the progress bar was told, in order
    show_progress = RunLauncher.progressed

    def recording(launcher: RunLauncher, progress: RunProgress) -> None:
        seen.append(f"{progress.stage} {progress.done}/{progress.total}")
        show_progress(launcher, progress)

    monkeypatch.setattr(RunLauncher, "progressed", recording)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f8")
            await settle(pilot, lambda: isinstance(app.screen, ReductionsScreen) and bool(app.screen.nights))
            screen = app.screen
            assert isinstance(screen, ReductionsScreen)
            launcher = screen.query_one(RunLauncher)
            await pilot.press("s")
            await settle(
                pilot, lambda: not launcher.running and bool(screen.runs) and bool(screen.runs[0].finished)
            )
            assert not app.errors, app.errors
            # Fed from the run's thread as each frame finished, then once at the end.
            assert [line for line in seen if line.startswith("frames")] == ["frames 1/2", "frames 2/2"]
            assert seen[-1] == "finished 2/2"
            bar = launcher.query_one(ProgressBar)
            assert (bar.total, bar.progress) == (2, 2)
            [record] = screen.runs
            assert record.selection.night == NIGHT and record.selection.telescope == TELESCOPE
            assert record.counts["failed"] == 2, record.outcomes
            assert all("field.ecsv" in outcome.reasons[0] for outcome in record.outcomes)
            [night] = screen.nights
            assert (night.reduced, night.failed) == (0, 2)

            # The catalog arrives; f reduces the failed frames again, and they are done.
            small_night().catalog.write(catalog, format="ascii.ecsv")
            await pilot.press("f")
            await settle(
                pilot,
                lambda: not launcher.running and len(screen.runs) == 2 and bool(screen.runs[0].finished),
            )
            retry = screen.runs[0]  # newest first
            assert retry.counts["done"] == 2, [(o.status, o.reasons) for o in retry.outcomes]
            assert [outcome.run_id for outcome in retry.outcomes] == [retry.id] * 2
            [night] = screen.nights
            assert (night.reduced, night.failed) == (2, 0)

            # The night now shows each frame's latest outcome and the masters its run built.
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, NightScreen) and app.screen.detail is not None)
            frames = app.screen.query_one("#night-frames", DataTable)
            rows = [frames.get_row_at(row) for row in range(frames.row_count)]
            assert sorted((row[2], row[6], row[7]) for row in rows) == [
                ("bias", "—", ""),
                ("bias", "—", ""),
                ("flat", "—", ""),
                ("light", "done", ""),
                ("light", "done", ""),
                ("unknown", "—", ""),
            ]
            ids: dict[str, list[int]] = {row[2]: [] for row in rows}
            for row in rows:
                ids[row[2]].append(int(row[0]))
            masters = app.screen.query_one("#night-masters", DataTable)
            made = sorted(
                (masters.get_row_at(row)[0], masters.get_row_at(row)[3]) for row in range(masters.row_count)
            )
            bias_ids, flat_ids = sorted(ids["bias"]), ids["flat"]
            assert made == [("bias", f"{bias_ids[0]}-{bias_ids[1]}"), ("flat", str(flat_ids[0]))]
            await pilot.press("escape")
            await settle(pilot, lambda: app.screen is screen)

            await pilot.press("2")
            runs = screen.query_one("#runs-table", DataTable)
            assert [runs.get_row_at(row)[0] for row in range(2)] == [str(retry.id), str(record.id)]
            await pilot.press("enter")
            await settle(
                pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.record is not None
            )
            outcomes = app.screen.query_one("#run-outcomes", DataTable)
            assert outcomes.row_count == len(retry.outcomes) == 2
            for index in range(2):
                assert outcomes.get_row_at(index)[2] == "done"
                assert 20.0 < float(outcomes.get_row_at(index)[5]) < 27.0  # a zero point was fitted
            await settle(pilot, lambda: "finished:" in screen_text(app))  # the log's last line
            fits_in(app, "#run-outcomes", "#run-log-scroll", "Footer")

    asyncio.run(scenario())
    # SN 2026abc is at the field's centre: each science frame put a point on its light curve,
    # at the frame's mid-exposure time, drawn apart from other points.
    curve = lightcurve_of(night_store, "SN 2026abc")
    [reduced] = [series for series in curve.data.series if series.reduced]
    night = small_night()
    expected = [night.mjd_of(index, EXPOSURE_S) for index in range(2)]
    assert sorted([*reduced.x.tolist(), *reduced.limit_x.tolist()]) == pytest.approx(expected, abs=1e-6)


def test_a_reduced_point_has_its_own_marker_and_legend_entry_on_the_target_light_curve(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    import json

    import plotext
    import pyarrow as pa
    from textual_plotext import PlotextPlot

    from tom_tui.domain.photometry import INCOMING_SCHEMA, DedupPolicy
    from tom_tui.domain.reduction import REDUCTION_SOURCE
    from tom_tui.processing.plots.styles import REDUCED_LABEL, REDUCED_MARKER
    from tom_tui.screens.target_data import LightCurvePanel
    from tom_tui.screens.target_detail import TargetDetailScreen
    from tom_tui.services.photometry.ingest import ingest

    # Two points uploaded by hand and one a reduction run measured (as runs store them).
    rows = [
        {"mjd": 61050.0, "filter": "r", "mag": 17.0, "magerr": 0.05, "source": "upload"},
        {"mjd": 61052.0, "filter": "r", "mag": 17.3, "magerr": 0.05, "source": "upload"},
        {
            "mjd": 61055.9,
            "filter": "r",
            "mag": 17.6,
            "magerr": 0.03,
            "magsys": "AB",
            "telescope": TELESCOPE,
            "source": REDUCTION_SOURCE,
            "extra": json.dumps({"run": "1", "frame": "science0.fits", "frame_id": 4, "aperture_px": 4.2}),
        },
    ]
    table = pa.Table.from_pylist([{"target_id": 1, **row} for row in rows], schema=INCOMING_SCHEMA)
    with store.transaction() as tx:
        ingest(tx, table, policy=DedupPolicy(), source=REDUCTION_SOURCE)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            screen = app.screen
            await pilot.press("2")  # the Light curve tab
            panel = screen.query_one(LightCurvePanel)
            await settle(pilot, lambda: panel.data is not None)
            assert panel.data is not None
            by_label = {series.label: series for series in panel.data.series}
            assert sorted(by_label) == ["r", f"r {REDUCED_LABEL}"]
            assert by_label[f"r {REDUCED_LABEL}"].x.tolist() == [61055.9]
            assert by_label["r"].x.tolist() == [61050.0, 61052.0]
            drawn = str(plotext.uncolorize(panel.query_one(PlotextPlot).plt.build()))
            assert REDUCED_MARKER in drawn and f"r {REDUCED_LABEL}" in drawn
            assert f"r {REDUCED_LABEL}" in str(panel.query_one("#lightcurve-status", Static).render())

    asyncio.run(scenario())


def test_a_reduced_frame_shows_what_its_run_measured_and_its_reduced_picture(
    make_app: Callable[..., TomApp], night_store: Store
) -> None:
    import io

    import numpy as np
    from astropy.io import fits

    from tom_tui.domain.reduction import (
        FrameFlag,
        FrameOutcome,
        FrameStatus,
        MasterUsed,
        RunRecord,
        RunSelection,
    )
    from tom_tui.store.reductions import ReductionArchive

    frame_id = science_id(night_store)
    frame = next(f for f in list_frames(night_store) if f.id == frame_id)
    reduced_path = f"reduced/{TELESCOPE}/{NIGHT}/science0.fits"
    # A reduced frame is trimmed: 64 x 64, where the raw one is 88 x 64 with its overscan.
    pixels = np.full((64, 64), 100.0, dtype=np.float32)
    pixels[:4, :4] = 5000.0  # a bright lower-left corner
    buffer = io.BytesIO()
    fits.PrimaryHDU(pixels).writeto(buffer)
    stale = (
        "the nearest bias master (night 20260105) is 10 days from night 20260115; expected one within 7 days"
    )
    outcome = FrameOutcome(
        frame_id=frame_id,
        raw_path=frame.path,
        status=FrameStatus.DONE,
        flags=int(FrameFlag.STALE_MASTER),
        reasons=[stale, f"the camera said {TITLE}"],
        night=NIGHT,
        telescope=TELESCOPE,
        band="r",
        fwhm_px=2.468,
        astrometric_rms_px=0.0431,
        zero_point=23.4567,
        zero_point_error=0.0123,
        star_count=7,
        reduced_path=reduced_path,
        measurements=1,
        run_id=1,
    )
    master = MasterUsed(
        kind="bias",
        key="binning=1x1",
        night="20260105",
        path="reduced/x/bias.fits",
        telescope=TELESCOPE,
        source_frame_ids=(11, 12, 13, 15),
        for_night=NIGHT,
        warning=stale,
    )
    record = RunRecord(
        id=1, created="2026-11-22T02:00:00+00:00", configuration={}, config_hash="abc", version="0",
        selection=RunSelection(telescope=TELESCOPE, night=NIGHT), finished="2026-11-22T02:01:05+00:00",
        outcomes=[outcome], masters=[master], log=["started", f"a worker printed {CLIPBOARD}"],
    )  # fmt: skip
    with night_store.transaction() as tx:
        tx.write_bytes(reduced_path, buffer.getvalue())
        ReductionArchive(tx).save_run(record)

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(NightScreen(TELESCOPE, NIGHT))
            night = app.screen
            await settle(pilot, lambda: night.detail is not None)  # type: ignore[attr-defined]
            masters = night.query_one("#night-masters", DataTable)
            assert masters.get_row_at(0)[:4] == ["bias", "binning=1x1", "20260105", "11-13, 15"]
            assert masters.get_row_at(0)[4].startswith("the nearest bias master")

            await app.push_screen(FrameDetailScreen(frame_id))
            screen = app.screen
            assert isinstance(screen, FrameDetailScreen)
            await settle(pilot, lambda: screen.view is not None and screen.preview is not None)
            text = screen_text(app)
            for shown_value in ("done (run 1)", "stale_master", "2.47 px", "0.043 px", "23.457 ± 0.012"):
                assert shown_value in text, shown_value
            assert screen.preview is not None and screen.preview.image.image_shape == RAW_SHAPE  # raw first

            await pilot.press("v")
            await settle(pilot, lambda: screen.preview is not None and screen.preview.reduced)
            image = screen.query_one(FramePicture).image
            assert image is not None and image.image_shape == (64, 64)
            # The bright corner is FITS pixel (1, 1): drawn at the lower left, nowhere else.
            assert image.levels[-1, 0] == 255 and image.levels[0, 0] < 255 and image.levels[-1, -1] < 255
            assert "reduced" in str(screen.query_one("#frame-title", Static).render())
            # Stored text (a reason, the run's log) with escape sequences is shown escaped.
            for _ in range(12):  # the reasons are below the measured values: scroll past them
                await pilot.press("down")
                if "the camera said" in screen_text(app):
                    break
            for _ in range(3):
                await pilot.press("down")
            text = screen_text(app)
            assert "\x1b" not in text and "the camera said \\x1b]0;pwned\\x07" in " ".join(text.split())
            await app.push_screen(RunDetailScreen(1))
            await settle(pilot, lambda: "a worker printed" in screen_text(app))
            text = screen_text(app)
            assert "\x1b" not in text and "a worker printed \\x1b]52;c;aGk=\\x07" in text

    asyncio.run(scenario())


def test_a_run_that_cannot_start_is_reported_and_the_screen_goes_on(
    make_app: Callable[..., TomApp], night_store: Store
) -> None:
    append_config(night_store, '[reduction]\nscheduler = "localhost:8786"')

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f8")
            await settle(pilot, lambda: isinstance(app.screen, ReductionsScreen) and bool(app.screen.nights))
            screen = app.screen
            launcher = screen.query_one(RunLauncher)
            await pilot.press("s")
            await wait_until(pilot, lambda: bool(app.errors) and not launcher.running, failures_expected=True)
            assert "'localhost:8786' is not a scheduler address; expected tcp://HOST:PORT" in app.errors[-1]
            assert not launcher.has_class("-running") and app.screen is screen
            await pilot.press("s")  # and another run can be started
            await wait_until(
                pilot, lambda: len(app.errors) == 2 and not launcher.running, failures_expected=True
            )

    asyncio.run(scenario())
