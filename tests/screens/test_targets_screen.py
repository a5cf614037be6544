"""The targets screen with Pilot: what a user sees and what ends up in the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from tests.support.paths import PHOTOMETRY
from tests.support.pilot import screen_text, settle
from tom_tui.domain.errors import StoreError
from tom_tui.screens.app import TomApp
from tom_tui.screens.dialogs import OptionPicker
from tom_tui.screens.keys import KeysScreen
from tom_tui.screens.target_forms import ConeScreen
from tom_tui.screens.targets import TargetsScreen
from tom_tui.screens.widgets.status_line import StatusLine
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def targets_screen(app: TomApp) -> TargetsScreen:
    screen = app.screen
    assert isinstance(screen, TargetsScreen)
    return screen


def loaded(app: TomApp) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, TargetsScreen) and app.screen.index is not None


def test_list_shows_every_target_sorted_by_name(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            table = targets_screen(app).table
            assert table.row_count == 7
            assert table.visible_names() == [
                "AT 2026xyz",
                "C/2025 K1",
                "M 13",
                "RR Lyr",
                "SN 2026abc",
                "SN 2026abd",
                "V404 Cyg",
            ]
            status = app.screen.query_one("#targets-status", StatusLine).text
            assert "7 of 7 targets" in status

    asyncio.run(scenario())


def test_typing_a_name_or_alias_narrows_the_list(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("slash", *"sn2026")
            await settle(pilot, lambda: targets_screen(app).table.row_count == 2)
            assert targets_screen(app).table.visible_names() == ["SN 2026abc", "SN 2026abd"]
            # An alias finds its target (spaces and case ignored, as everywhere in tom-tui).
            app.screen.query_one("#target-filter", Input).value = "ngc6205"
            await settle(pilot, lambda: targets_screen(app).table.row_count == 1)
            assert targets_screen(app).table.visible_names() == ["M 13"]
            await pilot.press("escape", "x")
            await settle(pilot, lambda: targets_screen(app).table.row_count == 7)
            assert app.screen.query_one("#target-filter", Input).value == ""

    asyncio.run(scenario())


def test_keyboard_moves_the_cursor_and_the_view_follows(grid_store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(grid_store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            table = targets_screen(app).table
            assert table.row_count == 307
            await pilot.press("down", "down")
            assert table.cursor_row == 2
            await pilot.press("pagedown")
            assert table.cursor_row == 2 + table.page_rows
            await pilot.press("end")
            await pilot.pause()
            assert table.cursor_row == 306
            assert table.visible_names()[-1] == table.row_values(306)["name"]
            assert "row 307" in app.screen.query_one("#targets-status", StatusLine).text
            await pilot.press("home")
            await pilot.pause()
            assert table.cursor_row == 0
            assert table.visible_names()[0] == "AT 2026xyz"

    asyncio.run(scenario())


def test_sort_key_cycles_columns_and_reverse_flips(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            table = targets_screen(app).table
            await pilot.press("s")  # name -> RA
            await settle(pilot, lambda: table.sort_key == "ra")
            assert table.visible_names()[0] == "AT 2026xyz"  # RA 45.5°, the smallest
            await pilot.press("r")
            await settle(pilot, lambda: table.descending)
            # Descending RA; the comet has no RA and stays at the end either way.
            assert table.visible_names()[:2] == ["V404 Cyg", "RR Lyr"]
            assert table.visible_names()[-1] == "C/2025 K1"

    asyncio.run(scenario())


def test_sort_by_latest_magnitude_puts_targets_without_photometry_last(
    make_app: Callable[..., TomApp], store: Store, tmp_path: Path
) -> None:
    from tom_tui.services.data import products as data_service

    for name, magnitude in (("M 13", 17.5), ("RR Lyr", 12.25), ("V404 Cyg", 15.0)):
        light_curve = tmp_path / f"{name}.csv"
        light_curve.write_text(
            f"mjd,mag,magerr,filter\n60000.5,{magnitude + 1},0.05,g\n60001.5,{magnitude},0.05,g\n"
        )
        data_service.upload_data_product(store, name, light_curve, "photometry")

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            table = targets_screen(app).table
            for _ in range(3):  # name -> RA -> Dec -> latest magnitude
                await pilot.press("s")
            await settle(pilot, lambda: table.sort_key == "last_det_mag")
            assert table.visible_names()[:3] == ["RR Lyr", "V404 Cyg", "M 13"]  # brightest first
            status = app.screen.query_one("#targets-status", StatusLine).text
            assert "by latest magnitude ▲" in status
            await pilot.press("r")
            await settle(pilot, lambda: table.descending)
            assert table.visible_names()[:3] == ["M 13", "V404 Cyg", "RR Lyr"]
            assert "RR Lyr" not in table.visible_names()[3:]  # no photometry: after them, either way

    asyncio.run(scenario())


def test_tag_filter_from_the_picker(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("t")
            await settle(pilot, lambda: isinstance(app.screen, OptionPicker))
            options = app.screen.query_one(OptionList)
            tags = [options.get_option_at_index(i).id for i in range(options.option_count)]
            assert tags[:2] == ["sn", "variable"]  # the most used first
            options.highlighted = tags.index("variable")
            await pilot.press("enter")
            await settle(pilot, lambda: targets_screen(app).table.row_count == 2)
            assert targets_screen(app).table.visible_names() == ["RR Lyr", "V404 Cyg"]
            assert "tag:variable" in app.screen.query_one("#filter-summary", StatusLine).text

    asyncio.run(scenario())


def test_cone_search_takes_sexagesimal_and_lists_nearest_first(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("c")
            await settle(pilot, lambda: isinstance(app.screen, ConeScreen))
            await pilot.press(*"10:00:01", "tab", *"+20:00:00", "tab", "ctrl+a", *"60", "enter")
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.query_filter.cone
            )
            await settle(pilot, lambda: targets_screen(app).table.row_count == 2)
            # 10:00:01 is 15″ from SN 2026abc and ~40″ from SN 2026abd.
            assert targets_screen(app).table.visible_names() == ["SN 2026abc", "SN 2026abd"]

    asyncio.run(scenario())


def test_bad_cone_input_is_explained_in_the_dialog(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("c")
            await settle(pilot, lambda: isinstance(app.screen, ConeScreen))
            await pilot.press(*"400", "tab", *"10", "enter")
            await settle(pilot, lambda: "-shown" in app.screen.query_one("#cone-error").classes)
            assert "ra: '400' is outside [0, 360)" in str(app.screen.query_one("#cone-error").content)
            assert isinstance(app.screen, ConeScreen)

    asyncio.run(scenario())


def test_another_process_write_appears_and_the_cursor_stays(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True, poll_seconds=0.05)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            table = targets_screen(app).table
            await pilot.press("down", "down")  # on "M 13"
            assert table.row_values(table.cursor_row)["name"] == "M 13"
            # As a cron job or a script would: the same store, through the service, not the app.
            TargetService(Store.open(store.root)).add({"name": "AAA first", "ra": "1", "dec": "2"})
            for _ in range(200):
                await pilot.pause(0.02)
                if table.row_count == 8:
                    break
            assert table.row_count == 8
            assert table.visible_names()[0] == "AAA first"
            assert table.row_values(table.cursor_row)["name"] == "M 13"

    asyncio.run(scenario())


def test_keys_screen_lists_the_screen_keys(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("question_mark")
            await settle(pilot, lambda: isinstance(app.screen, KeysScreen))
            groups = dict(app.screen.groups())  # type: ignore[attr-defined]
            descriptions = {b.description for b in groups["Targets screen"]}
            assert {"Filter", "Tag", "Cone", "Add", "Delete", "Merge", "Sort"} <= descriptions
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))

    asyncio.run(scenario())


def test_command_palette_runs_namespaced_commands(make_app: Callable[..., TomApp]) -> None:
    from tom_tui.screens.commands import commands_for
    from tom_tui.screens.target_forms import TargetFormScreen

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            titles = {title for title, _help, _run in commands_for(app.screen, app)}
            assert {
                "targets: add a target",
                "targets: filter by tag",
                "targets: cone search",
                "go: targets",
            } <= titles
            assert "app: show the keys" in titles
            await pilot.press("ctrl+p")
            await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
            app.screen.query_one(Input).value = "add a target"

            def first_hit() -> str:
                options = app.screen.query_one(OptionList)
                return str(options.get_option_at_index(0).prompt) if options.option_count else ""

            await settle(pilot, lambda: "targets: add a target" in first_hit())
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))

    asyncio.run(scenario())


def test_a_failing_load_is_reported_not_swallowed(
    make_app: Callable[..., TomApp], monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)

    def damaged(self: TargetService) -> None:
        raise StoreError("index/targets.arrow: damaged")

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, lambda: bool(app.errors))
            assert app.errors == ["index/targets.arrow: damaged"]
            assert app.is_running

    monkeypatch.setattr(TargetService, "index_and_summary", damaged)
    asyncio.run(scenario())


def test_low_bandwidth_mode_turns_off_animation_and_blinking(store: Store) -> None:
    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            assert app.animation_level == "none"
            assert app.screen.query_one("#target-filter", Input).cursor_blink is False
        full = TomApp(store)
        async with full.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(full))
            assert full.screen.query_one("#target-filter", Input).cursor_blink is True

    asyncio.run(scenario())


def test_keys_can_be_remapped_in_the_store_config(store: Store) -> None:
    from tom_tui.screens.target_forms import TargetFormScreen

    with store.config_path.open("a") as config:
        # A free key: a key another binding uses is refused (see test_messages_and_palette.py).
        config.write('\n[tui.keys]\n"targets.add" = "insert"\n')

    async def scenario() -> None:
        app = TomApp(Store.open(store.root), low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            from tom_tui.screens.commands import bindings_of

            assert {b.id: b.key for b in bindings_of(app.screen)}["targets.add"] == "insert"  # as `?` shows
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, TargetsScreen)
            await pilot.press("insert")
            await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))

    asyncio.run(scenario())


def test_a_person_s_own_key_remaps_follow_them_and_win_over_the_store_s(
    store: Store, fixed_env: Path
) -> None:
    from tom_tui.screens.commands import bindings_of

    with store.config_path.open("a") as config:
        config.write('\n[tui.keys]\n"targets.add" = "f12"\n"targets.edit" = "ctrl+e"\n')
    personal = fixed_env / ".config" / "tom-tui" / "tom-tui.toml"
    personal.parent.mkdir(parents=True)
    personal.write_text('[tui.keys]\n"targets.add" = "insert"\n')

    async def scenario() -> None:
        app = TomApp(Store.open(store.root), low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            keys = {b.id: b.key for b in bindings_of(app.screen)}
            assert (keys["targets.add"], keys["targets.edit"]) == ("insert", "ctrl+e")

    asyncio.run(scenario())
    personal.write_text("[tui.keys\n")  # broken: said once, the TUI still opens with the store's keys

    async def broken() -> None:
        app = TomApp(Store.open(store.root), low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            assert len(app.errors) == 1 and str(personal) in app.errors[0]
            assert {b.id: b.key for b in bindings_of(app.screen)}["targets.edit"] == "ctrl+e"

    asyncio.run(broken())


def test_an_empty_store_shows_an_empty_list_and_keys_do_nothing_harmful(fixed_env: object) -> None:
    from pathlib import Path

    assert isinstance(fixed_env, Path)
    empty = Store.init(fixed_env / "empty")

    async def scenario() -> None:
        app = TomApp(empty, low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            await pilot.press("down", "end", "pagedown", "enter", "e", "d", "m")
            await pilot.pause()
            assert isinstance(app.screen, TargetsScreen)
            assert app.screen.query_one("#targets-status", StatusLine).text.startswith("0 of 0 targets")
            assert app.errors == []

    asyncio.run(scenario())


def test_the_list_shows_each_targets_latest_magnitude(make_app: Callable[..., TomApp], store: Store) -> None:

    from tom_tui.services.data.products import upload_data_product
    from tom_tui.services.targets.operations import TargetFilter

    sample = PHOTOMETRY / "tom_base_photometry_sample.csv"
    upload_data_product(store, "SN 2026abc", sample, "photometry")

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            screen = app.screen
            assert isinstance(screen, TargetsScreen)
            rows = {screen.table.row_values(r)["name"]: screen.table.row_values(r) for r in range(7)}
            latest = (
                TargetService(store).query(TargetFilter(name="SN 2026abc")).column("last_det_mag")[0].as_py()
            )
            assert rows["SN 2026abc"]["last_det_mag"] == latest
            assert rows["RR Lyr"]["last_det_mag"] is None
            assert f"{latest:5.2f}" in screen_text(app)

    asyncio.run(scenario())


def test_the_magnitude_filter_keeps_targets_brighter_than_the_limit(
    make_app: Callable[..., TomApp], store: Store
) -> None:

    from tom_tui.services.data.products import upload_data_product

    sample = PHOTOMETRY / "tom_base_photometry_sample.csv"
    upload_data_product(store, "SN 2026abc", sample, "photometry")  # latest detection ~15.6

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, loaded(app))
            screen = app.screen
            assert isinstance(screen, TargetsScreen)
            await pilot.press("b")
            await settle(pilot, lambda: isinstance(app.screen, OptionPicker))
            await pilot.press("down", "down", "enter")  # "off", 14, then 16
            await settle(pilot, lambda: screen.table.row_count == 1)
            assert screen.table.row_values(0)["name"] == "SN 2026abc"
            assert "latest mag < 16" in screen_text(app)
            await pilot.press("b")
            await settle(pilot, lambda: isinstance(app.screen, OptionPicker))
            await pilot.press("enter")  # the first option: "off"
            await settle(pilot, lambda: screen.table.row_count == 7)

    asyncio.run(scenario())
