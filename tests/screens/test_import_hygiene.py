"""Only the TUI pays for Textual: the CLI's commands and every core layer load without it."""

from __future__ import annotations

import subprocess
import sys


def test_cli_and_core_layers_do_not_import_textual() -> None:
    code = (
        "import sys, tom_tui.cli.main, tom_tui.services.targets.operations, tom_tui.store.store\n"
        "tui = ('textual', 'tom_tui.screens')\n"
        "loaded = sorted(m for m in sys.modules if m in tui or m.startswith(tuple(t + '.' for t in tui)))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_screen_registry_names_importable_screens() -> None:
    from textual.screen import Screen

    from tom_tui.screens.registry import SCREENS, TARGET_TABS, load_class

    for entry in SCREENS:
        assert issubclass(load_class(entry.import_path), Screen), entry
    for tab in TARGET_TABS:
        assert callable(load_class(tab.import_path)), tab
