"""The core (store, adapters, processing, services, domain) works without Textual or click.

import-linter checks the import graph in CI; this checks what really gets loaded at run time,
which also catches imports hidden inside functions that the graph would miss only if run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import tom_tui
    core = ["tom_tui.store", "tom_tui.adapters", "tom_tui.processing", "tom_tui.services", "tom_tui.domain"]
    for package_name in core:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(module.name)
    ui = {"textual", "click", "textual_plotext"}
    leaked = sorted(name for name in sys.modules if name.split(".")[0] in ui)
    print(",".join(leaked))
    """
)


def test_core_layers_load_no_ui_library() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
