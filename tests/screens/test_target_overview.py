"""The target detail's first tab at 80x24 (Pilot): latest and peak magnitude, points, tonight's
visibility, requests (and `o` to request one), reduction runs that measured it, a moving target now.

The fixed store's clock is 2026-11-22 03:00 UTC (MJD 61366.125); its site is the default one."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from tests.support.pilot import screen_text, wait_until
from tom_tui.domain.bands import canonical_band
from tom_tui.domain.photometry import INCOMING_SCHEMA, DedupPolicy
from tom_tui.domain.reduction import REDUCTION_SOURCE
from tom_tui.screens.app import TomApp
from tom_tui.screens.observations import RequestFormScreen
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.widgets.inputs import TomInput
from tom_tui.screens.widgets.observing_summary import ObservingSummary
from tom_tui.services.data import products as data_service
from tom_tui.services.observations.requests import ObservationService
from tom_tui.services.photometry.ingest import ingest
from tom_tui.store.observations import ObservationRepository
from tom_tui.store.store import Store

SN_ID = 1  # SN 2026abc: RA 10h, Dec +20°
COMET_ID = 7  # C/2025 K1
# time, band, magnitude, error: the peak is the g point, the latest detection a reduced r point
LIGHT_CURVE = (
    "time,filter,magnitude,error\n61360.25,r,18.50,0.05\n61361.25,g,17.20,0.04\n61362.25,r,17.90,0.05\n"
)
REDUCED = [(61363.1, 18.1, 11), (61363.2, 18.2, 12)]  # mjd, mag, frame id; both from run 7


def reduced_rows() -> pa.Table:
    rows = [
        {
            "target_id": SN_ID,
            "mjd": mjd,
            "filter": "r",
            "mag": mag,
            "magerr": 0.05,
            "magsys": "AB",
            "source": REDUCTION_SOURCE,
            "extra": json.dumps({"run": "7", "frame_id": frame}),
        }
        for mjd, mag, frame in REDUCED
    ]
    return pa.Table.from_pylist(rows, schema=INCOMING_SCHEMA)


@pytest.fixture
def observed_store(store: Store, tmp_path: Path) -> Store:
    lightcurve = tmp_path / "sn.csv"
    lightcurve.write_text(LIGHT_CURVE)
    data_service.upload_data_product(store, SN_ID, lightcurve, "photometry")
    with store.transaction() as tx:
        ingest(tx, reduced_rows(), policy=DedupPolicy(), source=REDUCTION_SOURCE)
    ObservationService(store).request("SN 2026abc")
    return store


async def open_detail(app: TomApp, pilot: object, target_id: int) -> ObservingSummary:
    await app.push_screen(TargetDetailScreen(target_id))
    summary = app.screen.query_one(ObservingSummary)
    await wait_until(pilot, lambda: summary.overview is not None)  # type: ignore[arg-type]
    await pilot.pause()  # type: ignore[attr-defined]
    return summary


def test_overview_shows_known_photometry_requests_and_reductions(
    observed_store: Store, make_app: Callable[..., TomApp]
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            summary = await open_detail(app, pilot, SN_ID)
            overview = summary.overview
            assert overview is not None
            assert overview.points == 5
            assert overview.latest is not None and overview.peak is not None
            assert (overview.latest.mag, overview.latest.band, overview.latest.mjd) == (
                18.2,
                canonical_band("r"),
                61363.2,
            )
            assert (overview.peak.mag, overview.peak.band, overview.peak.mjd) == (
                17.2,
                canonical_band("g"),
                61361.25,
            )
            assert [(r.run, r.frames, r.points) for r in overview.reductions] == [("7", 2, 2)]
            assert [(r.facility, r.status) for r in overview.requests] == [("simulated", "PENDING")]
            text = screen_text(app)
            assert "5 points" in text and "latest 18.20" in text and "peak 17.20" in text
            assert "2026-11-19 04:48" in text and "2026-11-17 06:00" in text
            assert "run 7: 2 points on 2 frames" in text
            assert "#1 simulated PENDING" in text

            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            assert app.screen.query_one("#field-target", TomInput).value == "SN 2026abc"

    asyncio.run(scenario())


def test_tonights_visibility_agrees_with_astropy(store: Store, make_app: Callable[..., TomApp]) -> None:
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            summary = await open_detail(app, pilot, SN_ID)
            assert summary.overview is not None
            visibility = summary.overview.visibility
            assert visibility is not None and visibility.max_altitude is not None
            assert visibility.best_time is not None and visibility.rise is not None
            assert visibility.night == "2026-11-21"
            assert "Tonight" in screen_text(app) and f"{visibility.max_altitude:.1f}°" in screen_text(app)
            # Roque de los Muchachos; the SN is at RA 150°, Dec +20°: astropy's altitude at the
            # best time is the highest the plan reports, and at rise it is on the horizon.
            site = EarthLocation(lat=28.7606 * u.deg, lon=-17.8792 * u.deg, height=2326 * u.m)
            target = SkyCoord(150.0 * u.deg, 20.0 * u.deg)

            def altitude(iso: str) -> float:
                frame = AltAz(obstime=Time(iso[:19], scale="utc"), location=site)
                return float(target.transform_to(frame).alt.deg)

            assert altitude(visibility.best_time) == pytest.approx(visibility.max_altitude, abs=0.5)
            assert visibility.max_altitude <= 90 - (28.7606 - 20.0) + 0.1
            assert altitude(visibility.rise) == pytest.approx(0.0, abs=1.5)

    asyncio.run(scenario())


def test_moving_target_shows_where_it_is_now(store: Store, make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            summary = await open_detail(app, pilot, COMET_ID)
            assert summary.overview is not None and summary.overview.position_now is not None
            text = screen_text(app)
            assert "Now" in text and "″/h" in text and "0 points" in text

    asyncio.run(scenario())


def test_stored_text_is_shown_escaped(observed_store: Store, make_app: Callable[..., TomApp]) -> None:
    record = ObservationService(observed_store).get(1)
    with observed_store.transaction() as tx:
        ObservationRepository(tx).save_many([dataclasses.replace(record, status="DONE\x1b[2J")])

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await open_detail(app, pilot, SN_ID)
            text = screen_text(app)
            assert "DONE\\x1b[2J" in text and "\x1b" not in text

    asyncio.run(scenario())
