"""Target CSV export and import: tags, lists and aliases holding commas come back whole, and the
file does not hand tom-tui's lists to TOM Toolkit as permission groups."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.support.paths import DATA
from tom_tui.services.targets.csv_files import read_target_csv, write_target_csv
from tom_tui.services.targets.imports import TargetImporter
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store.store import Store

TOM_TARGETS = DATA / "targets" / "tom_base_target_import.csv"  # TOM Toolkit's own import sample


def test_commas_in_tags_lists_and_aliases_survive_export_and_import(tmp_path: Path) -> None:
    source = TargetService(Store.init(tmp_path / "a"))
    source.add(
        {
            "name": "m13",
            "ra": 250.421,
            "dec": 36.459,
            "aliases": ["Hercules Globular Cluster, NGC 6205", "Messier 13"],
            "tags": ["Globular, bright", 'say "hi"', "plain"],
            "lists": ["Public, Private", "Mine"],
        }
    )
    path = tmp_path / "targets.csv"
    write_target_csv(path, source.full_targets(source.query(TargetFilter())))
    again = TargetService(Store.init(tmp_path / "b"))
    report = TargetImporter(again).import_csv(path)
    assert report.created == 1
    target = again.get("m13")
    assert target.aliases == ["Hercules Globular Cluster, NGC 6205", "Messier 13"]
    assert target.tags == ["Globular, bright", 'say "hi"', "plain"]
    assert target.lists == ["Public, Private", "Mine"]


def test_lists_are_not_written_as_tom_toolkit_permission_groups(tmp_path: Path) -> None:
    targets, _, problems = read_target_csv(TOM_TARGETS)
    assert problems == [] and targets[0].lists == ["Public", "Private"]  # its groups, read as lists
    path = tmp_path / "out.csv"
    write_target_csv(path, targets)
    header = next(csv.reader(path.open()))
    assert "groups" not in header and "lists" in header  # TOM Toolkit keeps "lists" as an extra
    assert [target.lists for target in read_target_csv(path)[0]] == [target.lists for target in targets]


def test_tom_toolkit_sample_still_imports_its_groups_as_lists(tmp_path: Path) -> None:
    shutil.copy(TOM_TARGETS, tmp_path / "tom.csv")
    service = TargetService(Store.init(tmp_path / "store"))
    TargetImporter(service).import_csv(tmp_path / "tom.csv")
    assert service.get("m27").lists == ["Public", "Private"]
