"""A `command` job never sees tom-tui's credentials, and nothing a run records shows one to
other users: the run log hides known secrets and db/job_runs.json is readable by its owner only."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from tom_tui.cli.main import cli
from tom_tui.store.store import Store

ENV_TOKEN = "lasair-token-from-env-9f8e7d"
FILE_KEY = "tns-api-key-from-file-1a2b3c"


def test_a_command_job_gets_no_credentials_and_its_record_is_private(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")
    monkeypatch.setenv("TOM_TUI_LASAIR_TOKEN", ENV_TOKEN)
    credentials = store.root / "credentials.toml"
    credentials.write_text(f'[tns]\napi_key = "{FILE_KEY}"\n')
    credentials.chmod(0o600)
    # The script prints its whole environment, then a secret it read by other means.
    script = f"env; echo leaked {FILE_KEY}; exit 2"
    store.config_path.write_text(
        store.config_path.read_text()
        + f'\n[[jobs]]\nname = "script"\nkind = "command"\nevery = "1h"\ncommand = "{script}"\n'
    )
    result = CliRunner().invoke(cli, ["--store", str(store.root), "cron", "--json"])
    assert result.exit_code == 1
    runs_file = store.root / "db" / "job_runs.json"
    assert stat.S_IMODE(runs_file.stat().st_mode) == 0o600
    recorded = runs_file.read_text()
    assert ENV_TOKEN not in recorded and FILE_KEY not in recorded
    [run] = json.loads(
        CliRunner().invoke(cli, ["--store", str(store.root), "jobs", "log", "script", "--json"]).stdout
    )
    assert "TOM_TUI_STORE=" in run["log"] and "TOM_TUI_LASAIR_TOKEN" not in run["log"]
    assert "leaked ***" in run["log"]
