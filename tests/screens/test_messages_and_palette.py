"""What the TUI says and offers: messages keep square brackets, an untouched form writes nothing,
every key of every screen and panel is in the command palette, remapped keys never take a key
silently (Pilot)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.widgets import Input, Select
from textual.widgets._toast import Toast

from tests.support.pilot import screen_text, settle
from tom_tui.screens.app import TomApp
from tom_tui.screens.bindings import bindings_of
from tom_tui.screens.commands import commands_for, key_help
from tom_tui.screens.registry import SCREENS
from tom_tui.screens.resolve import ResolveScreen
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.target_forms import TargetFormScreen
from tom_tui.screens.targets import TargetsScreen
from tom_tui.screens.upload_dialog import UploadDialog
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def toasts(app: TomApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query(Toast)]


def test_an_error_naming_a_config_section_keeps_its_brackets(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            dialog = ResolveScreen("SN 2026abc")
            await app.push_screen(dialog)
            dialog.query_one("#resolve-catalog", Select).value = "tns"  # no TNS credentials here
            await pilot.pause()
            dialog.query_one("#resolve-name", Input).focus()
            await pilot.press("enter")
            await settle(pilot, lambda: bool(app.errors))
            assert "under [tns] in credentials.toml" in app.errors[0]
            await settle(
                pilot, lambda: any("under [tns] in credentials.toml" in text for text in toasts(app))
            )

    asyncio.run(scenario())


def test_saving_an_untouched_edit_form_writes_nothing(make_app: Callable[..., TomApp], store: Store) -> None:
    before = TargetService(store).get("SN 2026abc")
    generation = store.generation()

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.index is not None
            )
            app.screen.table.move_cursor_to_target(before.id or 0)  # type: ignore[attr-defined]
            await pilot.press("e")
            await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))
            form = app.screen
            await settle(pilot, lambda: form.original is not None)  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))

    asyncio.run(scenario())
    after = TargetService(store).get("SN 2026abc")
    assert after.modified == before.modified and after.to_json() == before.to_json()
    assert store.generation() == generation  # not one commit


def palette_titles(screen: Any, app: TomApp) -> dict[str, str]:
    return {title: help_text for title, help_text, _ in commands_for(screen, app)}


def test_every_key_of_every_screen_and_panel_is_in_the_palette(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(110, 34)) as pilot:
            screens: list[Any] = []
            for entry in SCREENS:
                app.switch_mode(entry.name)
                await pilot.pause()
                screens.append(app.screen)
            await app.push_screen(TargetDetailScreen(1))
            await pilot.pause()
            screens.append(app.screen)
            for screen in screens:
                offered = palette_titles(screen, app)
                helps = set(offered.values())
                for node in [screen, *screen.query("*")]:
                    if not type(node).__module__.startswith("tom_tui."):
                        continue
                    for binding in bindings_of(node):
                        if binding.action == "command_palette":
                            continue
                        wanted = binding.tooltip or binding.description.lower()
                        assert any(title.endswith(f": {wanted}") for title in offered), (type(node), wanted)
                        assert key_help(binding) in helps
            detail = palette_titles(screens[-1], app)
            for title in (
                "data: upload a file to this target",
                "lightcurve: plot flux or magnitude",
                "spectrum: previous spectrum",
            ):
                assert title in detail, sorted(detail)

    asyncio.run(scenario())


def test_the_palette_runs_a_panel_action(make_app: Callable[..., TomApp]) -> None:
    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(110, 34)) as pilot:
            await app.push_screen(TargetDetailScreen(1))
            await pilot.pause()
            commands = {title: run for title, _, run in commands_for(app.screen, app)}
            await commands["data: upload a file to this target"]()
            await settle(pilot, lambda: isinstance(app.screen, UploadDialog))

    asyncio.run(scenario())


def test_a_remapped_key_that_takes_another_bindings_key_is_reported_and_not_applied(store: Store) -> None:
    with store.config_path.open("a") as config:
        config.write('\n[tui.keys]\n"targets.add" = "n"\n')  # n resolves a name

    async def scenario() -> None:
        app = TomApp(Store.open(store.root), low_bandwidth=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(
                pilot, lambda: isinstance(app.screen, TargetsScreen) and app.screen.index is not None
            )
            assert app.errors == [
                'tom-tui.toml: [tui.keys] "targets.add" = "n": n is already the key to resolve a name in '
                'catalogs and add it ("targets.resolve"); the remapping is not applied: choose another key '
                "or remap that binding too"
            ]
            await pilot.press("n")
            await settle(pilot, lambda: isinstance(app.screen, ResolveScreen))
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, TargetsScreen))
            await pilot.press("a")
            await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))

    asyncio.run(scenario())


def test_a_name_with_square_brackets_is_shown_as_written(
    make_app: Callable[..., TomApp], store: Store
) -> None:
    target = TargetService(store).add({"name": "GRB 261122A [bright]", "ra": "12", "dec": "-30"}).target

    async def scenario() -> None:
        app = make_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await app.push_screen(TargetDetailScreen(target.id or 0))
            await settle(pilot, lambda: "GRB 261122A [bright]" in screen_text(app))
            assert app.errors == []

    asyncio.run(scenario())
