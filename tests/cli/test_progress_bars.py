"""Long commands show a progress bar on a terminal and nothing extra when their output is piped
(run as a user would: a real process, with a pseudo-terminal as its stderr)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.support.paths import DATA

ALERTS = DATA / "alerts"
ZTF_ALERTS = ("fink_ZTF19acihgng.avro", "fink_datatransfer_ztf_part-3-305711_nocutouts.avro")


def run_with_terminal(arguments: list[str], store: Path) -> tuple[str, str]:
    """stdout (a pipe) and what reached stderr (a terminal) of `tom-tui ARGS`."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "TOM_TUI_STORE": str(store), "COLUMNS": "100", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tom_tui", *arguments], stdout=subprocess.PIPE, stderr=terminal, env=env
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(controller)
    assert process.returncode == 0, seen.decode(errors="replace")
    return stdout.decode(), seen.decode(errors="replace")


def test_alert_ingest_shows_its_progress_only_on_a_terminal(tmp_path: Path) -> None:
    store = tmp_path / "store"
    subprocess.run([sys.executable, "-m", "tom_tui", "init", str(store)], check=True, capture_output=True)
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    for name in ZTF_ALERTS:
        (alerts / name).write_bytes((ALERTS / name).read_bytes())
    stdout, terminal = run_with_terminal(["ingest", "alerts", str(alerts)], store)
    assert "ingesting alerts" in terminal  # the bar's label, drawn by rich on the terminal
    assert "ingesting alerts" not in stdout and "\x1b" not in stdout  # the report stays clean

    piped = subprocess.run(
        [sys.executable, "-m", "tom_tui", "--store", str(store), "ingest", "alerts", str(alerts)],
        capture_output=True,
        text=True,
    )
    assert "ingesting alerts" not in piped.stderr and "\x1b" not in piped.stderr
