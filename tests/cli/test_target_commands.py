"""`tom-tui target|list|init` as a script sees them: output, JSON, exit codes, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tom_tui.cli.main import cli
from tom_tui.store.store import Store

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def run(store_path: Path) -> RunCommand:
    return RunCommand(store_path)


class RunCommand:
    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, ["--store", str(self.store_path), *args], input=input)

    def json(self, *args: str) -> object:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def test_init_creates_a_store_where_asked(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "new")])
    assert result.exit_code == 0
    assert (tmp_path / "new" / "store.json").exists() and (tmp_path / "new" / "tom-tui.toml").exists()
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "new")]).exit_code == 0


def test_commands_without_a_store_explain_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "none"), "target", "list"])
    assert result.exit_code == 1
    assert "tom-tui init" in result.stderr


def test_add_show_and_json_shape(run: RunCommand) -> None:
    result = run(
        "target",
        "add",
        "SN 2026abc",
        "--ra",
        "10:00:00",
        "--dec",
        "+20:00:00",
        "--alias",
        "ZTF26aaa",
        "--tag",
        "sn",
        "--list",
        "Tonight",
        "--extra",
        "redshift=0.04",
        "--extra",
        "spectrum=true",
        "--extra",
        "discovered=2026-11-20",
    )
    assert result.exit_code == 0, result.output
    shown = run.json("target", "show", "ztf26aaa")
    assert isinstance(shown, dict)
    assert {k: shown[k] for k in ("name", "type", "ra", "dec", "aliases", "tags", "lists", "extra")} == {
        "name": "SN 2026abc",
        "type": "SIDEREAL",
        "ra": 150.0,
        "dec": 20.0,
        "aliases": ["ZTF26aaa"],
        "tags": ["sn"],
        "lists": ["Tonight"],
        "extra": {"redshift": 0.04, "spectrum": True, "discovered": "2026-11-20"},
    }
    text = run("target", "show", "SN 2026abc")
    assert "10:00:00.00" in text.stdout and "+20:00:00.0" in text.stdout


def test_bad_input_exits_1_and_changes_nothing(run: RunCommand, store_path: Path) -> None:
    run("target", "add", "A", "--ra", "1", "--dec", "1")
    before = snapshot(store_path)
    result = run("target", "add", "B", "--ra", "361", "--dec", "1")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: ra: '361' is outside [0, 360) degrees"
    result = run("target", "add", "a", "--ra", "50", "--dec", "1")
    assert result.exit_code == 1 and "matches the name of existing target 'A'" in result.stderr
    assert snapshot(store_path) == before


def test_usage_errors_exit_2(run: RunCommand) -> None:
    assert run("target", "add").exit_code == 2
    assert run("target", "list", "--sort", "colour").exit_code == 2


def test_list_filters_and_cone(run: RunCommand) -> None:
    for name, ra, tag in (("alpha", "10", "var"), ("beta", "10.001", "sn"), ("gamma", "200", "var")):
        run("target", "add", name, "--ra", ra, "--dec", "0", "--tag", tag)
    listed = run.json("target", "list", "--tag", "var")
    assert [t["name"] for t in listed] == ["alpha", "gamma"]  # type: ignore[index, union-attr]
    cone = run.json("target", "list", "--cone", "10", "0", "10")
    assert [t["name"] for t in cone] == ["alpha", "beta"]  # type: ignore[index, union-attr]
    assert cone[1]["separation_arcsec"] == pytest.approx(3.6, abs=0.01)  # type: ignore[index]
    table = run("target", "list", "--name", "GAM")
    assert "gamma" in table.stdout and "alpha" not in table.stdout


def test_edit_delete_merge(run: RunCommand) -> None:
    run("target", "add", "one", "--ra", "1", "--dec", "1", "--tag", "a")
    run("target", "add", "two", "--ra", "2", "--dec", "2")
    assert (
        run("target", "edit", "one", "--add-tag", "b", "--remove-tag", "a", "--extra", "mag=17.5").exit_code
        == 0
    )
    shown = run.json("target", "show", "one")
    assert shown["tags"] == ["b"] and shown["extra"] == {"mag": 17.5}  # type: ignore[index]
    merged = run.json("target", "merge", "one", "two")
    assert merged["aliases"] == ["two"]  # type: ignore[index]
    assert run("target", "delete", "one", input="n\n").exit_code == 1  # declined: nothing deleted
    assert run("target", "show", "two").exit_code == 0
    assert run("target", "delete", "two", "--yes", "--alias-ok").exit_code == 0  # "two" is an alias
    assert run("target", "show", "one").exit_code == 1


def test_import_the_tom_toolkit_sample_and_undo_it(run: RunCommand) -> None:
    result = run("target", "import", str(DATA / "targets" / "tom_base_target_import.csv"))
    assert result.exit_code == 0, result.output
    import_id = result.stdout.split("Import id: ")[1].split()[0]
    m13 = run.json("target", "show", "Hercules Globular Cluster")
    assert m13["name"] == "m13" and m13["lists"] == ["Public", "Private"]  # type: ignore[index]
    assert [x["name"] for x in run.json("list", "show")] == ["Private", "Public"]  # type: ignore[union-attr, index]
    undone = run("target", "import", "--undo", import_id)
    assert undone.exit_code == 0 and "removed 2" in undone.stdout
    assert run.json("target", "list") == []
    assert run("target", "import", "--undo", import_id).exit_code == 1


def test_import_is_all_or_nothing_and_names_every_bad_line(
    run: RunCommand, store_path: Path, tmp_path: Path
) -> None:
    run("target", "add", "existing", "--ra", "100", "--dec", "10")
    before = snapshot(store_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,ra,dec,groups\nok1,10,10,A\nbadra,400,10,\n,20,20,\nEXISTING,30,30,\nok2,oops,5,\n")
    result = run("target", "import", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: line 3: ra: '400' is outside [0, 360) degrees" in result.stderr
    assert f"{bad}: line 4: name: missing" in result.stderr
    assert (
        f"{bad}: line 6: dec" not in result.stderr
        and f"{bad}: line 6: ra: 'oops' is not an angle" in result.stderr
    )
    assert snapshot(store_path) == before
    # Bad lines skipped on request; duplicates are then reported with their line.
    result = run("target", "import", str(bad), "--skip-invalid")
    assert (
        result.exit_code == 1
        and f"{bad}: line 5: 'EXISTING' matches the name of existing target 'existing'" in result.stderr
    )
    result = run("target", "import", str(bad), "--skip-invalid", "--on-duplicate", "skip")
    assert result.exit_code == 0 and "1 created, 0 merged, 1 skipped, 3 invalid lines" in result.stdout


def test_import_duplicates_inside_one_file(run: RunCommand, tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("name,ra,dec\nAT2026a,10,10\nat 2026A,11,11\nnear,10.0001,10\n")
    result = run("target", "import", str(twice))
    assert result.exit_code == 1
    assert "line 3: 'at 2026A' duplicates 'AT2026a' (line 2)" in result.stderr
    assert "line 4: 'near' duplicates 'AT2026a' (line 2)" in result.stderr
    result = run("target", "import", str(twice), "--on-duplicate", "merge")
    assert result.exit_code == 0
    merged = run.json("target", "show", "AT2026a")
    assert merged["aliases"] == ["near"]  # type: ignore[index]


def test_export_then_import_into_an_empty_store_round_trips(run: RunCommand, tmp_path: Path) -> None:
    run(
        "target",
        "add",
        "SN 1",
        "--ra",
        "10.123456789",
        "--dec",
        "-5.5",
        "--alias",
        "a1",
        "--alias",
        "a2",
        "--tag",
        "sn",
        "--list",
        "L1",
        "--extra",
        "z=0.05",
        "--extra",
        "note=hello, world",
        "--extra",
        "ok=false",
    )
    run(
        "target",
        "add",
        "Ceres",
        "--scheme",
        "MPC_MINOR_PLANET",
        "--epoch-of-elements",
        "61000",
        "--inclination",
        "10.59",
        "--lng-asc-node",
        "80.25",
        "--arg-of-perihelion",
        "73.3",
        "--eccentricity",
        "0.0796",
        "--mean-anomaly",
        "231.5",
        "--semimajor-axis",
        "2.7665",
        "--list",
        "L1",
    )
    exported = tmp_path / "out.csv"
    assert run("target", "export", str(exported)).exit_code == 0
    header = exported.read_text().splitlines()[0].split(",")
    assert "pm_ra" not in header and "perihdist" not in header  # no empty columns
    other = tmp_path / "other"
    Store.init(other)
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(other), "target", "import", str(exported)])
    assert result.exit_code == 0, result.output
    original = sorted(run.json("target", "list"), key=lambda t: t["name"])  # type: ignore[arg-type, index]
    copied = sorted(
        json.loads(runner.invoke(cli, ["--store", str(other), "target", "list", "--json"]).stdout),
        key=lambda t: t["name"],
    )

    def strip(targets: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in t.items() if k not in {"id", "created", "modified"}} for t in targets]

    assert strip(copied) == strip(original)


def test_list_commands(run: RunCommand) -> None:
    run("target", "add", "x", "--ra", "1", "--dec", "1")
    assert run("list", "create", "Tonight", "--description", "observe first").exit_code == 0
    assert run("list", "add", "Tonight", "x").exit_code == 0
    shown = run.json("list", "show", "Tonight")
    assert shown == {
        "name": "Tonight",
        "description": "observe first",
        "created": shown["created"],  # type: ignore[index]
        "count": 1,
        "targets": ["x"],
    }
    assert run("list", "add", "Tonight", "nobody").exit_code == 1
    assert run("list", "remove", "Tonight", "x").exit_code == 0
    assert run("list", "delete", "Tonight").exit_code == 0
    assert run("list", "show", "Tonight").exit_code == 1


def test_list_shows_and_filters_on_the_latest_photometry(run: RunCommand) -> None:
    run("target", "add", "bright", "--ra", "10", "--dec", "10")
    run("target", "add", "faint", "--ra", "20", "--dec", "10")
    run("target", "add", "no-data", "--ra", "30", "--dec", "10")
    photometry = DATA / "photometry" / "tom_base_photometry_sample.csv"
    assert run("data", "upload", "bright", str(photometry), "--type", "photometry").exit_code == 0
    listed = run.json("target", "list")
    by_name = {t["name"]: t["photometry"] for t in listed}  # type: ignore[index, union-attr]
    assert by_name["bright"]["points"] > 0 and by_name["bright"]["latest_mag"] is not None
    assert by_name["no-data"] == {
        "points": 0,
        "latest_mag": None,
        "latest_filter": None,
        "latest_mjd": None,
        "peak_mag": None,
    }
    latest = by_name["bright"]["latest_mag"]
    brighter = run.json("target", "list", "--brighter-than", str(latest + 0.01))
    assert [t["name"] for t in brighter] == ["bright"]  # type: ignore[index, union-attr]
    assert run.json("target", "list", "--brighter-than", str(latest - 0.01)) == []


def test_an_import_reports_its_stages_as_they_start(store: Store) -> None:
    from tom_tui.services.targets.imports import TargetImporter
    from tom_tui.services.targets.operations import TargetService

    stages: list[str] = []
    TargetImporter(TargetService(store)).import_csv(
        DATA / "targets" / "tom_base_target_import.csv", progress=stages.append
    )
    assert [stage.split()[0] for stage in stages] == ["reading", "checking", "writing"]
    assert stages[1] == "checking 2 targets against the store for duplicates"
