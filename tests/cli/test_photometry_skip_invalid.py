"""`tom-tui data upload --skip-invalid` for photometry: bad lines skipped and named; without it the
first bad line is named and nothing is stored."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from tests.support.paths import PHOTOMETRY
from tom_tui.cli.main import cli
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_skip_invalid_stores_the_good_lines_and_names_the_bad(tmp_path: Path) -> None:
    with (PHOTOMETRY / "skyportal_ZTFrlh6cyjh_ATLAS.csv").open() as handle:
        rows = list(csv.DictReader(handle))[:10]
    rows[3]["mag"] = "bright"
    path = tmp_path / "atlas.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    store = Store.init(tmp_path / "store")
    TargetService(store).add({"name": "ZTFrlh6cyjh", "ra": 342.4596, "dec": 51.2634})
    generation = store.generation()
    code, _, err = run(store, "data", "upload", "ZTFrlh6cyjh", str(path), "--type", "photometry")
    assert code == 1 and "line 5: magnitude: 'bright' is not a number" in err
    assert store.generation() == generation
    code, out, err = run(
        store, "data", "upload", "ZTFrlh6cyjh", str(path), "--type", "photometry", "--skip-invalid"
    )
    assert code == 0 and "9 points added" in out
    assert "skipped: atlas.csv: line 5: magnitude: 'bright' is not a number" in err
