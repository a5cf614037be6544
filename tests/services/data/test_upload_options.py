"""Upload options are declared once: each is a `data upload` flag and a field of the TUI dialog."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from textual.widgets import Input, Select, Static

from tests.support.paths import PHOTOMETRY
from tom_tui.cli.main import cli
from tom_tui.cli.options import click_options, option_values
from tom_tui.domain.errors import ValidationError
from tom_tui.screens.app import TomApp
from tom_tui.screens.options_form import OptionsForm
from tom_tui.screens.upload_dialog import UploadDialog
from tom_tui.services.data import products as data_service
from tom_tui.services.data.upload_options import UPLOAD_OPTIONS, upload_file
from tom_tui.store.store import Store


def test_every_upload_option_is_a_flag_of_data_upload() -> None:
    command = cli.get_command(click.Context(cli), "data")
    assert isinstance(command, click.Group)
    upload = command.get_command(click.Context(command), "upload")
    assert upload is not None
    flags = {flag for param in upload.params for flag in (*param.opts, *param.secondary_opts)}
    assert {option.flag for option in UPLOAD_OPTIONS} <= flags
    assert {
        "--type",
        "--column",
        "--time-format",
        "--filter",
        "--on-duplicate",
        "--mjd-match",
        "--clobber",
    } <= flags


def test_flags_read_back_into_the_declared_names() -> None:
    @click.command(params=click_options(UPLOAD_OPTIONS))
    def probe(**values: Any) -> None:
        click.echo(sorted(option_values(UPLOAD_OPTIONS, values).items()))

    result = CliRunner().invoke(
        probe, ["--type", "photometry", "--column", "mag=m", "--column", "time=t", "--clobber"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "[('clobber', True), ('columns', ['mag=m', 'time=t']), ('data_type', 'photometry')]"
    )


def test_clobber_still_needs_mjd_match(store: Store) -> None:
    path = PHOTOMETRY / "tom_base_test_lightcurve.csv"
    with pytest.raises(ValidationError, match="--clobber needs --mjd-match DAYS"):
        upload_file(store, "SN 2024abc", path, {"data_type": "photometry", "clobber": True})


def test_the_upload_dialog_shows_every_option_and_checks_values_before_closing(store: Store) -> None:
    chosen: list[tuple[str, dict[str, Any]] | None] = []

    async def scenario() -> None:
        app = TomApp(store, low_bandwidth=True)
        async with app.run_test(size=(110, 40)) as pilot:
            app.push_screen(UploadDialog(), chosen.append)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, UploadDialog)
            form = dialog.query_one(OptionsForm)
            for option in UPLOAD_OPTIONS:
                assert dialog.query(f"#upload-{option.name}"), option.name
            assert dialog.query_one("#upload-data_type", Select).value == "photometry"
            assert dialog.query_one("#upload-on_duplicate", Select).value == "error"
            dialog.query_one("#upload-path", Input).value = str(PHOTOMETRY / "tom_base_test_lightcurve.csv")
            dialog.query_one("#upload-zero_point", Input).value = "deep"
            dialog.query_one("#upload-default_filter", Input).value = "r"
            dialog.action_upload()
            await pilot.pause()
            assert chosen == [] and app.screen is dialog
            error = dialog.query_one("#upload-error-zero_point", Static)
            assert "'deep' is not a valid float" in str(error.render())
            dialog.query_one("#upload-zero_point", Input).value = ""
            assert form.raw_values()["default_filter"] == "r"
            dialog.action_upload()
            await pilot.pause()

    asyncio.run(scenario())
    [choice] = chosen
    assert choice is not None
    path, values = choice
    assert values["data_type"] == "photometry" and values["default_filter"] == "r"
    outcome = upload_file(store, "SN 2024abc", Path(path), values)
    assert outcome.ingest is not None and outcome.ingest.added > 0
    assert data_service.photometry_of(store, "SN 2024abc")[1].num_rows == outcome.ingest.added
