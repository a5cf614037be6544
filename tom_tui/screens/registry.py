"""Where screens and target-detail tabs are registered: one line per screen or tab.

Imports are by dotted path so that registering a screen costs nothing until it is first opened
(Textual and the screen's own dependencies load lazily, which keeps the TUI's start fast).

To add a screen, append a :class:`ScreenEntry` to :data:`SCREENS`; the app gives it a key, a
"go: <title>" command palette entry and a place in the screen picker (``g``). The class must be a
``textual.screen.Screen`` with a constructor taking no arguments (reach the store through
``self.app.store``).

To add a tab to the target detail screen, append a :class:`TargetTabEntry` to
:data:`TARGET_TABS`; the class must be a widget whose constructor takes ``target_id: int``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScreenEntry:
    name: str  # the Textual mode name and the id used in commands
    title: str
    import_path: str  # "package.module:ClassName"
    key: str | None = None  # a direct key (terminal-safe, e.g. "f2"); None for picker only


@dataclass(frozen=True)
class TargetTabEntry:
    title: str
    import_path: str  # a Widget class taking target_id: int


SCREENS: list[ScreenEntry] = [
    ScreenEntry("targets", "Targets", "tom_tui.screens.targets:TargetsScreen", key="f2"),
    ScreenEntry("alerts", "Alerts", "tom_tui.screens.alerts:AlertsScreen", key="f3"),
    ScreenEntry("observations", "Observations", "tom_tui.screens.observations:ObservationsScreen", key="f4"),
    ScreenEntry("plan", "Night plan", "tom_tui.screens.plan:PlanScreen", key="f6"),
    ScreenEntry("jobs", "Jobs", "tom_tui.screens.jobs:JobsScreen", key="f7"),
    ScreenEntry("reductions", "Reductions", "tom_tui.screens.reductions:ReductionsScreen", key="f8"),
    ScreenEntry("sql", "SQL", "tom_tui.screens.sql:SqlScreen", key="f9"),
    ScreenEntry("projects", "Projects", "tom_tui.screens.projects:ProjectsScreen"),
    ScreenEntry("data", "Data products", "tom_tui.screens.dataproducts:DataProductsScreen", key="f10"),
]

TARGET_TABS: list[TargetTabEntry] = [
    TargetTabEntry("Light curve", "tom_tui.screens.target_data:LightCurvePanel"),
    TargetTabEntry("Spectra", "tom_tui.screens.target_data:SpectrumPanel"),
    TargetTabEntry("Data products", "tom_tui.screens.target_data:DataProductsPanel"),
]


def load_class(import_path: str) -> Any:
    """The object named by ``"package.module:Name"``."""
    module_name, _, attribute = import_path.partition(":")
    if not attribute:
        raise ValueError(f"{import_path!r}: expected 'package.module:ClassName'")
    return getattr(importlib.import_module(module_name), attribute)


def screen_entry(name: str) -> ScreenEntry:
    for entry in SCREENS:
        if entry.name == name:
            return entry
    raise KeyError(f"no screen named {name!r}; registered: {', '.join(e.name for e in SCREENS)}")
