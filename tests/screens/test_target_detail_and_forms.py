"""The target detail screen and the add/edit/delete/merge dialogs, checked against the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.widgets import Input

from tests.support.pilot import screen_text, settle
from tom_tui.domain.errors import NotFoundError
from tom_tui.screens.app import TomApp
from tom_tui.screens.dialogs import ConfirmScreen
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.target_forms import MergeScreen, TargetFormScreen
from tom_tui.screens.targets import TargetsScreen
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def loaded(app: TomApp) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, TargetsScreen) and app.screen.index is not None


def table_names(app: TomApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, TargetsScreen)
    return screen.table.visible_names()


async def open_form(pilot: object, app: TomApp, key: str) -> TargetFormScreen:
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, TargetFormScreen)
    return screen


def fill(screen: TargetFormScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#field-{name}", Input).value = value


def test_add_form_shows_each_problem_under_its_field_and_writes_nothing(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            generation = store.generation()
            form = await open_form(pilot, app, "a")
            fill(form, name="SN 2026new", ra="25:00:00", dec="-95", tags="sn, ,x")
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: bool(form.shown_problems))
            shown = form.shown_problems
            assert shown["ra"].startswith("ra: '25:00:00' is not an angle; expected right ascension")
            assert shown["dec"] == "dec: '-95' is outside [-90, 90] degrees"
            assert "name" not in shown
            assert app.screen is form  # still open, input kept
            assert form.query_one("#field-ra", Input).value == "25:00:00"
            assert store.generation() == generation
            assert TargetService(store).index().table.num_rows == 7

    asyncio.run(scenario())


def test_add_form_reports_a_duplicate_at_the_top(make_app: Callable[..., TomApp], store: Store) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            form = await open_form(pilot, app, "a")
            fill(form, name="Some new name", ra="150.0", dec="20.0")  # 0.0″ from SN 2026abc
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: bool(form.shown_problems))
            assert "SN 2026abc" in form.shown_problems["form-error"]
            assert TargetService(store).index().table.num_rows == 7

    asyncio.run(scenario())


def test_add_form_saves_and_the_list_lands_on_the_new_target(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            form = await open_form(pilot, app, "a")
            fill(form, name="SN 2026new", ra="12:30:00", dec="-05:00:00", aliases="ZTF26new", tags="sn")
            form.query_one("#field-extra").text = "redshift = 0.05\nclassified = true"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.table.row_count == 8
            )
            screen = app.screen
            assert isinstance(screen, TargetsScreen)
            assert screen.table.row_values(screen.table.cursor_row)["name"] == "SN 2026new"
            saved = TargetService(store).get("ZTF26new")
            assert (saved.ra, saved.dec) == (pytest.approx(187.5), pytest.approx(-5.0))
            assert saved.extra == {"redshift": 0.05, "classified": True}

    asyncio.run(scenario())


def test_edit_form_changes_the_stored_target(make_app: Callable[..., TomApp], store: Store) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("down", "down", "down")  # RR Lyr
            form = await open_form(pilot, app, "e")
            await settle(pilot, lambda: form.original is not None)
            assert form.query_one("#field-name", Input).value == "RR Lyr"
            assert form.query_one("#field-tags", Input).value == "variable"
            fill(form, tags="variable, rrlyrae")
            form.query_one("#field-extra").text = "period_days = 0.56686776"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
            edited = TargetService(store).get("RR Lyr")
            assert edited.tags == ["variable", "rrlyrae"]
            assert edited.extra == {"period_days": 0.56686776}
            assert edited.aliases == ["HD 182989"]

    asyncio.run(scenario())


def test_delete_asks_first_and_no_keeps_the_target(make_app: Callable[..., TomApp], store: Store) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("down", "down")  # M 13
            await pilot.press("d")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "M 13" in str(app.screen.query_one("#confirm-question").content)
            await pilot.press("n")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
            assert TargetService(store).get("M 13").name == "M 13"
            await pilot.press("d")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await settle(pilot, lambda: "M 13" not in table_names(app))
            try:
                TargetService(store).get("M 13")
                raise AssertionError("M 13 should be deleted")
            except NotFoundError:
                pass

    asyncio.run(scenario())


def test_detail_screen_shows_fields_aliases_and_typed_extras(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("down", "down", "down", "down", "enter")  # SN 2026abc
            await settle(
                pilot, lambda: isinstance(app.screen, TargetDetailScreen) and app.screen.target is not None
            )
            text = screen_text(app)
            for expected in (
                "SN 2026abc",
                "10:00:00.00",
                "+20:00:00.0",
                "ZTF26aaaaaaa",
                "tonight",
                "redshift",
            ):
                assert expected in text, expected
            detail = app.screen
            assert isinstance(detail, TargetDetailScreen)
            assert detail.target is not None and detail.target.extra == {"redshift": 0.031}
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))

    asyncio.run(scenario())


def test_merge_from_the_detail_screen(make_app: Callable[..., TomApp], store: Store) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("down", "down", "down", "down", "enter")  # SN 2026abc
            await settle(
                pilot, lambda: isinstance(app.screen, TargetDetailScreen) and app.screen.target is not None
            )
            await pilot.press("m")
            await settle(pilot, lambda: isinstance(app.screen, MergeScreen))
            await pilot.press(*"nosuch", "enter")
            await settle(pilot, lambda: "-shown" in app.screen.query_one("#merge-error").classes)
            assert "no target named 'nosuch'" in str(app.screen.query_one("#merge-error").content)
            app.screen.query_one("#merge-other", Input).value = "SN 2026abd"
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, TargetDetailScreen))
            merged = TargetService(store).get("SN 2026abc")
            assert "SN 2026abd" in merged.aliases
            assert "priority" in merged.tags
            assert TargetService(store).get("SN 2026abd").id == merged.id  # the old name now resolves here
            await pilot.press("escape")
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.table.row_count == 6
            )

    asyncio.run(scenario())


def test_detail_screen_leaves_when_another_process_deletes_the_target(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=0.05)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("enter")  # AT 2026xyz
            await settle(
                pilot, lambda: isinstance(app.screen, TargetDetailScreen) and app.screen.target is not None
            )
            TargetService(Store.open(store.root)).delete("AT 2026xyz")
            for _ in range(200):
                await pilot.pause(0.02)
                if isinstance(app.screen, TargetsScreen) and app.screen.table.row_count == 6:
                    break
            assert isinstance(app.screen, TargetsScreen)
            assert "AT 2026xyz" not in table_names(app)

    asyncio.run(scenario())


def test_non_sidereal_form_asks_for_the_scheme_elements(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    from textual.widgets import Select

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            form = await open_form(pilot, app, "a")
            form.query_one("#field-type", Select).value = "NON_SIDEREAL"
            await pilot.pause()
            assert (
                form.query_one("#orbital-fields").display and not form.query_one("#sidereal-fields").display
            )
            form.query_one("#field-scheme", Select).value = "MPC_MINOR_PLANET"
            fill(form, name="433 Eros", epoch_of_elements="61000", inclination="10.83", lng_asc_node="304.3")
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: bool(form.shown_problems))
            assert set(form.shown_problems) == {
                "arg_of_perihelion",
                "eccentricity",
                "mean_anomaly",
                "semimajor_axis",
            }
            fill(
                form,
                arg_of_perihelion="178.9",
                eccentricity="0.2229",
                mean_anomaly="110.8",
                semimajor_axis="1.458",
            )
            await pilot.press("ctrl+s")
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.table.row_count == 8
            )
            eros = TargetService(store).get("433 Eros")
            assert (eros.type, eros.scheme, eros.semimajor_axis) == (
                "NON_SIDEREAL",
                "MPC_MINOR_PLANET",
                1.458,
            )
            assert eros.ra is None

    asyncio.run(scenario())


def test_registered_tabs_are_mounted_and_digits_switch_to_them(make_app: Callable[..., TomApp]) -> None:
    from textual.widgets import TabbedContent

    from tom_tui.screens.registry import TARGET_TABS
    from tom_tui.screens.target_detail import tab_id

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("enter")
            await settle(
                pilot, lambda: isinstance(app.screen, TargetDetailScreen) and app.screen.target is not None
            )
            tabs = app.screen.query_one("#target-tabs", TabbedContent)
            assert tabs.active == "tab-overview"
            assert tabs.tab_count == 1 + len(TARGET_TABS)
            if TARGET_TABS:
                await pilot.press("2")
                assert tabs.active == tab_id(TARGET_TABS[0].title)
            await pilot.press("1")
            assert tabs.active == "tab-overview"

    asyncio.run(scenario())


def test_q_in_a_dialog_does_not_throw_the_form_away(make_app: Callable[..., TomApp]) -> None:
    from textual.widgets import Button

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            form = await open_form(pilot, app, "a")
            fill(form, name="half typed")
            form.query_one("#form-save", Button).focus()
            await pilot.press("q", "g")
            assert app.screen is form and app.is_running
            assert form.query_one("#field-name", Input).value == "half typed"

    asyncio.run(scenario())


def test_saving_an_untouched_edit_form_changes_nothing(make_app: Callable[..., TomApp], store: Store) -> None:
    # Full float precision: a form that rounds to 10 digits would move this target on save.
    TargetService(store).add(
        {
            "name": "Precise",
            "ra": "123.45678901234567",
            "dec": "-0.000123456789012",
            "extra": {"z": "0.12345678901234"},
        }
    )

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            before = {
                t.name: t for t in (TargetService(store).get(n) for n in ("RR Lyr", "Precise", "C/2025 K1"))
            }
            for name in before:
                screen = app.screen
                assert isinstance(screen, TargetsScreen)
                screen.table.move_cursor_to_target(before[name].id or 0)
                form = await open_form(pilot, app, "e")
                await settle(pilot, lambda form=form: form.original is not None)
                await pilot.press("ctrl+s")
                await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
                after = TargetService(store).get(name)
                assert after.to_json() | {"modified": None} == before[name].to_json() | {"modified": None}

    asyncio.run(scenario())
