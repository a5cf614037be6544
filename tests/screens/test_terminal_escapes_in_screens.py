"""Every screen shows stored and remote text with its control characters as visible escapes.

The store is written as an older tom-tui wrote it, before control characters were stripped on
the way in: the TinyDB documents are changed directly, so a name, an alias, a tag, an extra, an
observation's facility message, a data product's file name and FITS header values, a job's log,
band names and a spectrum's telescope and date hold an OSC 52 clipboard write, a window-title
sequence or a C1 control sequence introducer. An alert comes from a local Fink server with them
in its ``objectId``. No ESC, BEL or C1 CSI may reach what the screens draw.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pytest_httpserver import HTTPServer
from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable, Input, Select, Static
from textual_plotext import PlotextPlot

from tests.support.paths import BROKERS, PHOTOMETRY, SPECTRA
from tests.support.pilot import screen_text, settle, wait_until
from tom_tui.domain.text import escape_control
from tom_tui.screens.alerts import AlertDetail, AlertsScreen
from tom_tui.screens.app import TomApp
from tom_tui.screens.jobs import JobLog, JobsScreen
from tom_tui.screens.observations import ObservationDetailScreen, ObservationsScreen, RequestFormScreen
from tom_tui.screens.plan import PlanScreen, TrackScreen
from tom_tui.screens.target_data import DataProductsPanel, LightCurvePanel, SpectrumPanel
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.target_forms import TargetFormScreen
from tom_tui.screens.targets import TargetsScreen
from tom_tui.services.data import products as data_service
from tom_tui.services.targets.lists import ListService
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

TITLE = "\x1b]0;pwned\x07"  # sets the terminal window's title
CLIPBOARD = "\x1b]52;c;aGk=\x07"  # writes "hi" to the clipboard
CSI = "\x9b31m"  # the one-character C1 control sequence introducer

NAME = f"SN 2026abc{TITLE}"
ALIAS = f"ZTF26aaaaaaa{CLIPBOARD}"
TAG = f"sn{CLIPBOARD}"
EXTRA_KEY = f"host{TITLE}"
EXTRA_VALUE = f"NGC 1{CLIPBOARD}"
FACILITY_MESSAGE = f"queued by the portal{TITLE}"
LAST_ERROR = f"portal said no{CLIPBOARD}"
IMAGE_TYPE = f"OBJECT{TITLE}"
PRODUCT_NAME = f"frame{CLIPBOARD}.fits"
JOB_LOG = f"fetched 3 alerts{CLIPBOARD}\nnext line{TITLE}"
NOW = "2026-11-22T02:00:00+00:00"

CONTROL_CHARACTERS = ("\x1b", "\x07", "\x9b")


def assert_escaped(text: str, *values: str) -> None:
    """No control character in ``text``, and each of ``values`` in it in its escaped form."""
    found = [f"\\x{ord(character):02x}" for character in CONTROL_CHARACTERS if character in text]
    assert not found, f"{', '.join(found)} reached the screen"
    for value in values:
        assert escape_control(value) in text, f"{escape_control(value)!r} is not shown"


def static_text(app: TomApp, selector: str) -> str:
    """What a Static of the current screen draws, as text (a Rich renderable drawn by Rich)."""
    static = app.screen.query_one(selector, Static)
    if isinstance(static.content, str | Text):
        return str(static.render())
    console = Console(width=160, file=io.StringIO(), record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


def rewrite(store: Store, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change one TinyDB file of the store directly (nothing stripped, as an older version wrote)."""
    path = store.root / relative
    document: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    change(document)
    path.write_text(json.dumps(document))


def write_hostile_target(store: Store) -> int:
    with store.read() as view:
        target = TargetRepository(view).find("SN 2026abc")
    assert target is not None and target.id is not None
    target_id = target.id

    def hostile(shard: dict[str, Any]) -> None:
        document = shard["targets"][str(target_id)]
        document["name"] = NAME
        document["aliases"] = [ALIAS]
        document["tags"] = [TAG]
        document["extra"] = {**document.get("extra", {}), EXTRA_KEY: EXTRA_VALUE}

    rewrite(store, f"db/targets/{target_id % 256:02x}.json", hostile)
    # The index is derived from the documents: without it, the store rebuilds it from them.
    (store.root / "index" / "targets.arrow").unlink()
    return target_id


def write_hostile_records(store: Store, target_id: int) -> None:
    """An observation with a facility message and error, its frame, and a job run's log."""
    observation = {
        "target_id": target_id,
        "target_name": NAME,
        "facility": "simulated",
        "facility_id": "sim-1",
        "parameters": {"exposure_time": 30.0, "comment": f"rush{TITLE}"},
        "status": "PENDING",
        "submitted": NOW,
        "created": NOW,
        "modified": NOW,
        "history": [{"time": NOW, "status": "PENDING", "detail": FACILITY_MESSAGE}],
        "data_products": [1],
        "last_error": LAST_ERROR,
    }
    rewrite(
        store, "db/observations.json", lambda db: db.setdefault("observations", {}).update({"1": observation})
    )
    product = {
        "target_id": target_id,
        "type": "image_file",
        "path": f"data/{target_id}/1-frame.fits",
        "original_name": PRODUCT_NAME,
        "sha256": "0" * 64,
        "size": 2880,
        "created": NOW,
        "observation_id": "1",
        "details": {"imagetyp": IMAGE_TYPE, "filter": "rp"},
    }
    rewrite(store, "db/dataproducts.json", lambda db: db.setdefault("products", {}).update({"1": product}))
    store.config_path.write_text(
        store.config_path.read_text()
        + '\n[[jobs]]\nname = "nightly"\nkind = "command"\nevery = "1h"\ncommand = "echo hi"\n'
    )
    run = {
        "job": "nightly",
        "run_id": 1,
        "started": NOW,
        "ended": NOW,
        "status": "failed",
        "counts": {"alerts": 3},
        "log": JOB_LOG,
        "error": f"broker said{TITLE}",
        "trigger": "cron",
    }
    rewrite(store, "db/job_runs.json", lambda db: db.setdefault("runs", {}).update({"1": run}))


def test_target_list_detail_and_edit_form_show_stored_escapes_visibly(store: Store) -> None:
    target_id = write_hostile_target(store)

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.table.row_count > 0
            )
            assert_escaped(screen_text(app), "SN 2026abc\x1b")

            await app.push_screen(TargetDetailScreen(target_id))
            await settle(pilot, lambda: getattr(app.screen, "target", None) is not None)
            assert_escaped(static_text(app, "#target-overview"), NAME, ALIAS, TAG, EXTRA_KEY, EXTRA_VALUE)
            assert_escaped(static_text(app, "#screen-title"), NAME)
            assert_escaped(screen_text(app), NAME, ALIAS, TAG)

            # The form holds what saving would store: the text without its control characters.
            form = TargetFormScreen(target_id)
            await app.push_screen(form)
            await settle(pilot, lambda: form.original is not None)
            values = [field.value for field in form.query(Input)]
            assert "SN 2026abc]0;pwned" in values
            assert_escaped("\n".join(values) + screen_text(app))
            [warning] = [n for n in app._notifications if "control characters" in n.message]
            assert warning.severity == "warning"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: not isinstance(app.screen, TargetFormScreen))
        with store.read() as view:
            saved = TargetRepository(view).get(target_id)
        assert saved.name == "SN 2026abc]0;pwned" and saved.aliases == ["ZTF26aaaaaaa]52;c;aGk="]
        assert saved.tags == ["sn]52;c;aGk="] and saved.extra["host]0;pwned"] == "NGC 1]52;c;aGk="

    asyncio.run(scenario())


def test_night_plan_and_track_show_stored_escapes_visibly(store: Store) -> None:
    ListService(store).create("tonight")
    write_hostile_target(store)

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            screen = PlanScreen()
            await app.push_screen(screen)
            table = screen.query_one(DataTable)
            # The plan is computed in a worker and painted after: wait for its rows on screen.
            await settle(pilot, lambda: screen.plan is not None and table.row_count > 0)
            await settle(pilot, lambda: escape_control(NAME) in screen_text(app))
            assert_escaped(screen_text(app), NAME)
            names = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
            table.move_cursor(row=names.index(escape_control(NAME)))
            await pilot.press("enter")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, TrackScreen) and "night of" in static_text(app, "#track-title")
                ),
            )
            assert_escaped(static_text(app, "#track-title"), NAME)

    asyncio.run(scenario())


def write_hostile_photometry_and_spectrum(store: Store) -> None:
    """Real photometry and a real spectrum, then band names, a telescope and a date holding
    control characters, as files and records an older version kept."""
    data_service.upload_data_product(
        store, "SN 2026abc", PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv", "photometry"
    )
    data_service.upload_data_product(
        store, "SN 2026abc", SPECTRA / "skyportal_ZTF21aaqjmps_spec.csv", "spectroscopy"
    )
    for path in (store.root / "photometry").rglob("*.parquet"):
        table = pq.read_table(path)
        position = table.schema.get_field_index("filter")
        bands = [None if band is None else f"{band}{CSI}" for band in table.column("filter").to_pylist()]
        table = table.set_column(position, table.schema.field(position), pa.array(bands, pa.string()))
        pq.write_table(table, path)

    def hostile(db: dict[str, Any]) -> None:
        for record in db["spectra"].values():
            record["telescope"] = f"P60{CSI}"
            record["date_obs"] = f"2021-03-01T05:00:00{CLIPBOARD}"

    rewrite(store, "db/spectra.json", hostile)


def test_plot_labels_and_spectrum_status_show_stored_escapes_visibly(store: Store) -> None:
    write_hostile_photometry_and_spectrum(store)
    with store.read() as view:
        target = TargetRepository(view).find("SN 2026abc")
    assert target is not None and target.id is not None
    target_id = target.id

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            detail = TargetDetailScreen(target_id)
            await app.push_screen(detail)
            light_curve = detail.query_one(LightCurvePanel)
            await settle(pilot, lambda: light_curve.data is not None)
            detail.action_show_tab(1)
            await settle(pilot)
            # The plot's own colour codes are decoded by the widget; what is left is text.
            assert_escaped(str(light_curve.query_one(PlotextPlot).render()), CSI)
            assert_escaped(static_text(app, "#lightcurve-status") + screen_text(app), CSI)

            spectrum = detail.query_one(SpectrumPanel)
            detail.action_show_tab(2)
            await settle(pilot, lambda: bool(spectrum.records))
            await settle(pilot)
            assert_escaped(static_text(app, "#spectrum-status"), CLIPBOARD)
            assert_escaped(str(spectrum.query_one(PlotextPlot).render()), f"P60{CSI}")
            assert_escaped(screen_text(app), CLIPBOARD)

    asyncio.run(scenario())


def test_observation_table_detail_and_request_form_show_stored_escapes_visibly(store: Store) -> None:
    target_id = write_hostile_target(store)
    write_hostile_records(store, target_id)

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            screen = ObservationsScreen()
            await app.push_screen(screen)
            await settle(pilot, lambda: screen.query_one(DataTable).row_count == 1)
            assert_escaped(screen_text(app), NAME)

            await pilot.press("enter")
            await settle(
                pilot,
                lambda: (
                    isinstance(app.screen, ObservationDetailScreen)
                    and "loading" not in static_text(app, "#observation-data")
                ),
            )
            assert_escaped(static_text(app, "#observation-text"), NAME, FACILITY_MESSAGE, LAST_ERROR, TITLE)
            assert_escaped(static_text(app, "#observation-data"), IMAGE_TYPE)
            on_screen = screen_text(app)  # the dialog wraps long lines
            assert_escaped(on_screen)
            assert "portal\\x1b]0;pwned\\x07" in on_screen
            await app.pop_screen()

            # A name the form field could not show as it is is offered by id.
            await pilot.press("n")
            await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            assert app.screen.query_one("#field-target", Input).value == f"#{target_id}"
            assert_escaped(screen_text(app))

    asyncio.run(scenario())


def test_data_products_and_job_log_show_stored_escapes_visibly(store: Store) -> None:
    target_id = write_hostile_target(store)
    write_hostile_records(store, target_id)

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            detail = TargetDetailScreen(target_id)
            await app.push_screen(detail)
            detail.action_show_tab(3)
            panel = detail.query_one(DataProductsPanel)
            await settle(pilot, lambda: bool(panel.products))
            assert_escaped(screen_text(app), PRODUCT_NAME)
            await app.pop_screen()

            jobs = JobsScreen()
            await app.push_screen(jobs)
            await settle(pilot, lambda: bool(jobs.rows) and jobs.rows[0]["last_run"] is not None)
            await pilot.press("l")
            await settle(pilot, lambda: isinstance(app.screen, JobLog))
            log = static_text(app, "#job-log-text")
            assert_escaped(log, f"fetched 3 alerts{CLIPBOARD}", f"next line{TITLE}", f"broker said{TITLE}")
            assert "\nnext line" in log  # the log keeps its lines
            assert_escaped(screen_text(app), f"fetched 3 alerts{CLIPBOARD}")

    asyncio.run(scenario())


def test_an_alert_with_escapes_in_its_object_id_is_shown_escaped(
    store: Store, httpserver: HTTPServer
) -> None:
    rows = json.loads((BROKERS / "fink_ztf_api_v1_objects.json").read_text())
    for row in rows:
        row["i:objectId"] = f"{row['i:objectId']}{TITLE}{CSI}{CLIPBOARD}"
    httpserver.expect_request("/api/v1/objects", method="POST").respond_with_json(rows)
    store.config_path.write_text(
        store.config_path.read_text() + f'\n[brokers.fink]\nbase_url = "{httpserver.url_for("/api/v1")}"\n'
    )

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=3600)
        async with app.run_test(size=(160, 50)) as pilot:
            screen = AlertsScreen()
            await app.push_screen(screen)
            screen.query_one("#alerts-broker", Select).value = "fink"
            await wait_until(pilot, lambda: bool(screen.query("#opt-object_id")))
            screen.query_one("#opt-object_id", Input).value = "ZTF19aaosfcb"
            await pilot.press("ctrl+r")
            await settle(pilot, lambda: not screen.running and (bool(screen.results) or bool(app.errors)))
            assert not app.errors, app.errors
            assert_escaped(screen_text(app), "ZTF19aaosfcb")
            screen.query_one(DataTable).move_cursor(row=0)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, AlertDetail))
            # The raw answer keeps what the server sent; JSON escapes ESC and BEL, not C1 controls.
            dialog_text = "\n".join(str(static.render()) for static in app.screen.query(Static))
            assert_escaped(dialog_text, CSI)
            assert_escaped(screen_text(app))

    asyncio.run(scenario())
