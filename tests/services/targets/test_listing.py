"""`target list --json`, `--csv` and `target export`, written while the shards are read: the
same bytes as the list built whole from Target objects (the way it was done before), for every
filter, on targets with aliases, lists, extras, tags, unicode and control characters."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from click.testing import CliRunner

from tests.support.paths import ALERTS
from tom_tui.cli.main import cli
from tom_tui.domain.target import Target
from tom_tui.services.alerts.ingest import ingest_alert_files
from tom_tui.services.targets import listing
from tom_tui.services.targets.csv_files import write_target_csv
from tom_tui.services.targets.listing import export_target_csv, listed_rows, target_json_pieces
from tom_tui.services.targets.operations import SUMMARY_COLUMNS, TargetFilter, TargetService
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def previous_list_json(store: Store, rows: pa.Table) -> bytes:
    """How `target list --json` was built before: every Target first, then one dump."""
    targets = TargetService(store).full_targets(rows)
    records = rows.select([c for c in ("separation_arcsec", *SUMMARY_COLUMNS) if c in rows.column_names])
    payload = []
    for target, record in zip(targets, records.to_pylist(), strict=True):
        item = target.to_json()
        if "separation_arcsec" in record:
            item["separation_arcsec"] = record["separation_arcsec"]
        item["photometry"] = {
            "points": record["n_points"] or 0,
            "latest_mag": record["last_det_mag"],
            "latest_filter": record["last_det_filter"],
            "latest_mjd": record["last_det_mjd"],
            "peak_mag": record["peak_mag"],
        }
        payload.append(item)
    return orjson.dumps(payload, option=OPTIONS) + b"\n"


def write_many(path: Path, count: int) -> None:
    rng = random.Random(5)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "name2", "type", "ra", "dec", "groups", "tags", "redshift", "host"])
        for number in range(count):
            writer.writerow(
                [
                    f"AT2026{rng.choice('abcxyz')}{number:04d}",
                    f"alias ñ {number}" if number % 3 else "",
                    "SIDEREAL",
                    f"{rng.uniform(0, 360):.6f}",
                    f"{rng.uniform(-89, 89):.6f}",
                    "Survey, Bright" if number % 10 == 0 else "Survey",
                    "faint" if number % 4 == 0 else "",
                    f"{rng.uniform(0.001, 0.2):.4f}" if number % 2 else "",
                    'NGC "1234", arm' if number % 5 == 0 else "",
                ]
            )


@pytest.fixture(scope="module")
def listed_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """~330 targets over every shard, a comet, proper motions, control characters and real
    photometry (alerts), so that list order and shard order differ everywhere."""
    root = tmp_path_factory.mktemp("listing")
    store = Store.init(root / "store")
    many = root / "many.csv"
    write_many(many, 300)
    result = CliRunner().invoke(cli, ["--store", str(store.root), "target", "import", str(many)])
    assert result.exit_code == 0, result.output
    service = TargetService(store)
    service.add(
        {
            "name": "SN 2026ñö 🚀",
            "ra": "10:00:00",
            "dec": "-45:00:00",
            "aliases": ["ZTF26ñ", "Gaia26x"],
            "tags": ["SN Ia", "bright"],
            "lists": ["Survey", "Follow-up, ñ"],
            "extra": {"z": "0.05", "ok": "false", "seen": "2026-01-02", "note": 'hello, "world"'},
            "pm_ra": "3.5",
            "parallax": "0.25",
        }
    )
    service.add(
        {
            "name": "Ceres",
            "scheme": "MPC_MINOR_PLANET",
            "epoch_of_elements": "61000",
            "inclination": "10.59",
            "lng_asc_node": "80.25",
            "arg_of_perihelion": "73.3",
            "eccentricity": "0.0796",
            "mean_anomaly": "231.5",
            "semimajor_axis": "2.7665",
            "lists": ["Survey"],
        }
    )
    # Stored by an older version or another tool: control characters inside the document.
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        repo.insert_many(
            [Target(name="bell\x07 name", ra=1.0, dec=2.0, extra={"note": "tab\there \x1b[31mred\x1b[0m"})]
        )
        repo.flush()
    ingest_alert_files(store, [ALERTS / "fink-broker-sample-alert-1.avro"])
    return store


FILTERS = {
    "all by name": ([], TargetFilter()),
    "by ra, descending": (["--sort", "ra", "--desc"], TargetFilter(sort="ra", descending=True)),
    "by id": (["--sort", "id"], TargetFilter(sort="id")),
    "a tag": (["--tag", "faint"], TargetFilter(tags=["faint"])),
    "a list": (["--list", "Bright"], TargetFilter(lists=["Bright"])),
    "name text": (["--name", "ñ"], TargetFilter(name="ñ")),
    "a type": (["--type", "NON_SIDEREAL"], TargetFilter(type="NON_SIDEREAL")),
    "a wide cone": (["--cone", "150", "-45", "36000"], TargetFilter(cone=(150.0, -45.0, 36000.0))),
    "brighter than": (["--brighter-than", "30"], TargetFilter(brighter_than=30.0)),
    "nothing": (["--name", "no such target"], TargetFilter(name="no such target")),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_list_json_is_the_bytes_built_before(listed_store: Store, name: str) -> None:
    arguments, target_filter = FILTERS[name]
    result = CliRunner().invoke(
        cli, ["--store", str(listed_store.root), "target", "list", *arguments, "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = TargetService(listed_store).query(target_filter)
    expected = previous_list_json(listed_store, rows)
    assert result.stdout_bytes == expected
    assert json.loads(result.stdout) == json.loads(expected)


def test_the_list_holds_every_kind_of_target(listed_store: Store) -> None:
    listed = json.loads(b"".join(target_json_pieces(listed_store, listed_rows(listed_store, TargetFilter()))))
    by_name = {item["name"]: item for item in listed}
    assert len(listed) == 300 + 3 + 1  # the import, three added, the alert's target
    assert by_name["bell\x07 name"]["extra"] == {"note": "tab\there \x1b[31mred\x1b[0m"}
    assert by_name["Ceres"]["scheme"] == "MPC_MINOR_PLANET" and "pm_ra" not in by_name["Ceres"]
    assert by_name["SN 2026ñö 🚀"]["pm_ra"] == 3.5 and by_name["SN 2026ñö 🚀"]["ra"] == 150.0
    assert by_name["ZTF18abvcdqu"]["photometry"]["points"] > 0
    names = [item["name"] for item in listed]
    assert names == sorted(names, key=str.lower)


def test_a_limit_keeps_the_first_of_the_list(listed_store: Store) -> None:
    run = CliRunner().invoke(
        cli, ["--store", str(listed_store.root), "target", "list", "--limit", "5", "--json"]
    )
    rows = TargetService(listed_store).query(TargetFilter()).slice(0, 5)
    assert run.stdout_bytes == previous_list_json(listed_store, rows)


def previous_csv(store: Store, rows: pa.Table, path: Path) -> bytes:
    write_target_csv(path, TargetService(store).full_targets(rows))
    return path.read_bytes()


@pytest.mark.parametrize("name", ["all by name", "a tag", "a list", "nothing"])
def test_csv_and_export_are_the_file_written_before(listed_store: Store, tmp_path: Path, name: str) -> None:
    arguments, target_filter = FILTERS[name]
    rows = TargetService(listed_store).query(target_filter)
    expected = previous_csv(listed_store, rows, tmp_path / "before.csv")
    listed = CliRunner().invoke(
        cli, ["--store", str(listed_store.root), "target", "list", *arguments, "--csv"]
    )
    assert listed.exit_code == 0, listed.output
    assert listed.stdout_bytes == expected
    exported = tmp_path / "export.csv"
    result = CliRunner().invoke(
        cli, ["--store", str(listed_store.root), "target", "export", str(exported), *arguments]
    )
    assert result.exit_code == 0, result.output
    assert exported.read_bytes() == expected
    assert f"Exported {rows.num_rows} target(s)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["before.csv", "export.csv"]  # nothing partial


def test_list_csv_imports_back_as_the_same_targets(listed_store: Store, tmp_path: Path) -> None:
    listed = CliRunner().invoke(cli, ["--store", str(listed_store.root), "target", "list", "--csv"])
    path = tmp_path / "targets.csv"
    path.write_bytes(listed.stdout_bytes)
    copy = Store.init(tmp_path / "copy")
    result = CliRunner().invoke(cli, ["--store", str(copy.root), "target", "import", str(path)])
    assert result.exit_code == 0, result.output

    def comparable(store: Store) -> list[dict[str, Any]]:
        items = json.loads(b"".join(target_json_pieces(store, listed_rows(store, TargetFilter()))))
        return [
            {k: v for k, v in item.items() if k not in {"id", "created", "modified", "photometry"}}
            for item in items
        ]

    # What the import does to control characters in text is its own business (and tested there).
    original = [t for t in comparable(listed_store) if not t["name"].startswith("bell")]
    copied = [t for t in comparable(copy) if not t["name"].startswith("bell")]
    assert len(copied) == 303 and copied == original


def test_an_export_that_fails_leaves_no_file(listed_store: Store, tmp_path: Path) -> None:
    rows = listed_rows(listed_store, TargetFilter())
    missing_folder = tmp_path / "none" / "out.csv"
    with pytest.raises(FileNotFoundError):
        export_target_csv(listed_store, rows, missing_folder)
    assert not list(tmp_path.iterdir())


def test_json_and_csv_together_are_a_usage_error(listed_store: Store) -> None:
    result = CliRunner().invoke(cli, ["--store", str(listed_store.root), "target", "list", "--json", "--csv"])
    assert result.exit_code == 2 and "--json" in result.output and not result.stdout.startswith("[")


def test_a_list_cut_into_many_pieces_is_the_same(
    listed_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = TargetService(listed_store).query(TargetFilter(sort="ra"))
    expected_json = previous_list_json(listed_store, rows)
    expected_csv = previous_csv(listed_store, rows, tmp_path / "before.csv")
    for stretch, most in ((7, 1000), (1, 3)):  # 7 targets a piece; at most three pieces
        monkeypatch.setattr(listing, "PIECE_TARGETS", stretch)
        monkeypatch.setattr(listing, "MAX_STRETCHES", most)
        listed = listed_rows(listed_store, TargetFilter(sort="ra"))
        assert b"".join(target_json_pieces(listed_store, listed)) == expected_json
        assert b"".join(listing.target_csv_pieces(listed_store, listed)) == expected_csv
