"""SVG snapshots of the main views (pytest-textual-snapshot). Deterministic: a store built here,
``TOM_TUI_NOW`` pinned, ``TZ=UTC``, ``HOME`` fixed (the store shows as ``~/store``), no cursor
blink (low-bandwidth mode), fixed terminal sizes.

Update after an intended change with ``pytest tests/screens/test_snapshots.py --snapshot-update``
and look at the new SVGs in ``tests/screens/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.support.pilot import settle
from tom_tui.screens.app import TomApp
from tom_tui.screens.keys import KeysScreen
from tom_tui.screens.target_detail import TargetDetailScreen
from tom_tui.screens.target_forms import TargetFormScreen
from tom_tui.screens.targets import TargetsScreen
from tom_tui.screens.widgets.observing_summary import ObservingSummary

SnapCompare = Callable[..., bool]


def loaded(app: Any) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, TargetsScreen) and app.screen.index is not None


def test_target_list_at_80x24(snap_compare: SnapCompare, make_app: Callable[..., TomApp]) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, loaded(app))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_target_list_filtered_by_tag_at_120x30(
    snap_compare: SnapCompare, make_app: Callable[..., TomApp]
) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, loaded(app))
        screen = app.screen
        assert isinstance(screen, TargetsScreen)
        screen.query_filter.tags.append("variable")
        screen.load_targets()
        await settle(pilot, lambda: screen.table.row_count == 2)
        await pilot.press("down")

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_target_detail(snap_compare: SnapCompare, make_app: Callable[..., TomApp]) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, loaded(app))
        await pilot.press("down", "down", "down", "down", "enter")  # SN 2026abc
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, TargetDetailScreen)
                and app.screen.target is not None
                and app.screen.query_one(ObservingSummary).overview is not None
            ),
        )

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_add_form_with_validation_errors(snap_compare: SnapCompare, make_app: Callable[..., TomApp]) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, loaded(app))
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, TargetFormScreen))
        form = app.screen
        assert isinstance(form, TargetFormScreen)
        form.query_one("#field-name", Input).value = "SN 2026new"
        form.query_one("#field-ra", Input).value = "400"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.shown_problems))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_keys_screen(snap_compare: SnapCompare, make_app: Callable[..., TomApp]) -> None:
    app = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, loaded(app))
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, KeysScreen))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
