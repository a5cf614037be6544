"""`tom-tui.toml` is checked: typos are named with the closest known key, impossible values and
unreadable files are one clear error, and the config `init` writes is valid in every example."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tom_tui.domain.errors import StoreError, ValidationError
from tom_tui.services.alerts.rules import load_rules
from tom_tui.services.config import config_problems
from tom_tui.services.jobs.scheduler import load_jobs
from tom_tui.services.session import init_store, open_store
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import DEFAULT_CONFIG, Store

# A commented line of the default config that is an example setting, not an explanation.
COMMENTED_SETTING = re.compile(r'^# (\[\[?[\w.]+\]\]?\s*$|[\w"\.]+ = )')


def _with_config(store: Store, text: str | bytes) -> Store:
    data = text.encode() if isinstance(text, str) else text
    store.config_path.write_bytes(data)
    return open_store(store.root)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "[targets]\nduplicate_radius_arcsek = 3.0\n",
            "unknown key 'duplicate_radius_arcsek'; did you mean 'duplicate_radius_arcsec'",
        ),
        ('[observatroy]\nsite = "Paranal"\n', "unknown section 'observatroy'; did you mean 'observatory'"),
        (
            '[[jobs]]\nname = "sky"\nkind = "broker_query"\nevery = "30m"\nbrokr = "simulated"\n',
            r"jobs\[1\] \(sky\): unknown key 'brokr'; did you mean 'broker'",
        ),
        (
            '[catalogs]\norder = ["simbad", "horizons"]\n',
            "unknown catalog 'horizons'; did you mean 'jpl_horizons'",
        ),
        (
            "[targets]\nduplicate_radius_arcsec = -1\n",
            r"duplicate_radius_arcsec = -1; expected a positive number",
        ),
        (
            "[targets]\nduplicate_radius_arcsec = nan\n",
            r"duplicate_radius_arcsec = nan; expected a positive number",
        ),
        (
            '[targets]\nduplicate_radius_arcsec = "2"\n',
            r"duplicate_radius_arcsec = '2'; expected a positive number",
        ),
        ('targets = "all"\n', r"\[targets\] must be a table"),
        (
            '[observations]\ndefault_facility = "lcoo"\n',
            "default_facility = 'lcoo'; expected an installed facility",
        ),
        (
            '[brokers.alerse]\nbase_url = "http://127.0.0.1"\n',
            "unknown broker 'alerse'; did you mean 'alerce'",
        ),
    ],
)
def test_config_mistakes_are_named_with_the_closest_known_key(
    store: Store, config: str, expected: str
) -> None:
    # Reported by the first command, whatever it does, and before it writes anything.
    with pytest.raises(StoreError, match=expected):
        TargetService(_with_config(store, config)).add({"name": "SN 2026abc", "ra": "1", "dec": "2"})
    assert not list((store.root / "db").glob("targets/*"))


def test_an_impossible_radius_is_refused_even_without_the_config_check(store: Store) -> None:
    store.config_path.write_text("[targets]\nduplicate_radius_arcsec = -1.0\n")
    with pytest.raises(ValidationError, match=r"tom-tui.toml: \[targets\] duplicate_radius_arcsec = -1.0"):
        TargetService(store).add({"name": "SN 2026abc", "ra": "1", "dec": "2"})


def test_a_config_that_is_not_utf8_is_one_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match=r"tom-tui.toml.*line 2.*UTF-8"):
        _with_config(store, '[observatory]\nsite = "La Palma \xe9"\n'.encode("latin-1"))


def test_the_default_config_with_every_example_uncommented_is_valid(tmp_path: Path) -> None:
    store = init_store(tmp_path / "store")
    written = store.config_path.read_text()
    assert written == DEFAULT_CONFIG
    uncommented = "\n".join(
        line[2:] if COMMENTED_SETTING.match(line) else line for line in written.splitlines()
    )
    assert '"jpl_horizons"' in uncommented and "# [" not in uncommented
    config = tomllib.loads(uncommented)
    assert config_problems(config) == []
    assert [job.name for job in load_jobs(config)] == ["sky"]
    assert [rule.name for rule in load_rules(config)] == ["bright-sne"]
    assert _with_config(store, uncommented).config == config  # and the store accepts it
