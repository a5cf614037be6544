"""Targets through the service layer: validation, duplicate protection, merge, edit, lists, queries."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import DuplicateError, NotFoundError, ValidationError
from tom_tui.services.targets.lists import ListService
from tom_tui.services.targets.operations import OnDuplicate, TargetFilter, TargetService
from tom_tui.store.store import Store


@pytest.fixture
def targets(store: Store) -> TargetService:
    return TargetService(store)


def test_add_accepts_sexagesimal_and_reports_bad_fields(targets: TargetService) -> None:
    added = targets.add({"name": "SN 2026abc", "ra": "12:30:00", "dec": "-05:30:00", "extra": {"z": "0.05"}})
    assert added.target.ra == pytest.approx(187.5)
    assert added.target.dec == pytest.approx(-5.5)
    assert added.target.extra == {"z": 0.05}
    with pytest.raises(ValidationError) as error:
        targets.add({"name": "bad", "ra": "400", "dec": "abc"})
    assert error.value.problems == [
        "ra: '400' is outside [0, 360) degrees",
        "dec: 'abc' is not an angle; expected declination in degrees [-90, 90] "
        "or sexagesimal degrees (-12:34:56)",
    ]
    assert len(targets.index()) == 1


def test_non_sidereal_targets_need_their_scheme_fields(targets: TargetService) -> None:
    with pytest.raises(ValidationError) as error:
        targets.add(
            {
                "name": "Encke",
                "scheme": "MPC_COMET",
                "epoch_of_elements": "61000",
                "inclination": "11.3",
                "lng_asc_node": "334.2",
                "arg_of_perihelion": "187.3",
                "eccentricity": "0.85",
            }
        )
    assert [p.split(":")[0] for p in error.value.problems] == ["perihdist", "epoch_of_perihelion"]
    added = targets.add(
        {
            "name": "Encke",
            "scheme": "MPC_COMET",
            "epoch_of_elements": "61000",
            "inclination": "11.3",
            "lng_asc_node": "334.2",
            "arg_of_perihelion": "187.3",
            "eccentricity": "0.85",
            "perihdist": "0.339",
            "epoch_of_perihelion": "60970.4",
        }
    )
    assert added.target.type == "NON_SIDEREAL"
    shown = targets.get("encke").to_json()
    assert shown["scheme"] == "MPC_COMET" and shown["perihdist"] == 0.339


def test_duplicate_names_are_matched_loosely(targets: TargetService) -> None:
    targets.add({"name": "SN 2026abc", "ra": "10", "dec": "10", "aliases": ["ZTF26aaabbbc"]})
    with pytest.raises(DuplicateError, match="matches the name of existing target 'SN 2026abc'"):
        targets.add({"name": "sn_2026-ABC", "ra": "50", "dec": "50"})
    with pytest.raises(DuplicateError, match="matches an alias of existing target"):
        targets.add({"name": "(ztf26aaabbbc)", "ra": "50", "dec": "50"})
    assert len(targets.index()) == 1


def test_duplicate_positions_follow_the_configured_radius(store: Store, targets: TargetService) -> None:
    targets.add({"name": "A", "ra": "150.0", "dec": "2.0"})
    skipped = targets.add({"name": "B", "ra": str(150.0 + 1.5 / 3600), "dec": "2.0"}, OnDuplicate.SKIP)
    assert skipped.action == "skipped" and skipped.match is not None
    assert skipped.match.separation_arcsec == pytest.approx(1.5 * 0.99939, rel=1e-3)
    assert targets.add({"name": "C", "ra": str(150.0 + 3.0 / 3600), "dec": "2.0"}).action == "created"
    store.config_path.write_text("[targets]\nduplicate_radius_arcsec = 5.0\n")
    with pytest.raises(DuplicateError, match=r"lies 4\.00″ from existing target 'A'"):
        targets.add({"name": "D", "ra": str(150.0 - 4.0 / 3600), "dec": "2.0"})


def test_merge_policy_keeps_names_as_aliases(targets: TargetService) -> None:
    targets.add({"name": "AT 2026xyz", "ra": "20.0", "dec": "-30.0", "tags": ["sn"]})
    merged = targets.add(
        {
            "name": "ZTF26abcdefg",
            "ra": str(20.0 + 0.5 / 3600),
            "dec": "-30.0",
            "tags": ["hot"],
            "extra": {"redshift": "0.03"},
        },
        OnDuplicate.MERGE,
    )
    assert merged.action == "merged"
    stored = targets.get("ZTF26abcdefg")
    assert stored.name == "AT 2026xyz"
    assert stored.aliases == ["ZTF26abcdefg"]
    assert stored.tags == ["sn", "hot"] and stored.extra == {"redshift": 0.03}


def test_target_merge_moves_names_and_deletes_the_other(targets: TargetService) -> None:
    targets.add({"name": "Keep", "ra": "1", "dec": "1", "lists": ["A"]})
    targets.add({"name": "Other", "ra": "2", "dec": "2", "aliases": ["Other-alt"], "lists": ["B"]})
    merged = targets.merge("Keep", "other")
    assert merged.aliases == ["Other", "Other-alt"] and merged.lists == ["A", "B"]
    assert len(targets.index()) == 1
    assert targets.get("other-alt").name == "Keep"
    with pytest.raises(ValidationError, match="same target"):
        targets.merge("Keep", "Other")


def test_edit_keeps_aliases_globally_unique(targets: TargetService) -> None:
    targets.add({"name": "One", "ra": "1", "dec": "1"})
    targets.add({"name": "Two", "ra": "2", "dec": "2"})
    with pytest.raises(DuplicateError, match="already a name or alias of target 'One'"):
        targets.edit("Two", {"aliases": ["ONE"]})
    edited = targets.edit("Two", {"name": "Two renamed", "extra": {"period": "0.5"}, "dec": "-2"})
    assert edited.name == "Two renamed" and edited.dec == -2.0 and edited.extra == {"period": 0.5}
    with pytest.raises(NotFoundError):
        targets.get("Two")


def test_delete_and_not_found(targets: TargetService) -> None:
    targets.add({"name": "Gone", "ra": "1", "dec": "1"})
    targets.delete("gone")
    with pytest.raises(NotFoundError, match="no target named 'gone'"):
        targets.get("gone")


def test_query_filters_sorts_and_cone_searches(targets: TargetService) -> None:
    targets.add({"name": "b-star", "ra": "359.999", "dec": "0", "tags": ["var"], "lists": ["Tonight"]})
    targets.add({"name": "a-star", "ra": "0.001", "dec": "0", "aliases": ["Alpha"]})
    targets.add({"name": "c-star", "ra": "180", "dec": "0", "tags": ["var"]})
    names = lambda table: table.column("name").to_pylist()  # noqa: E731
    assert names(targets.query(TargetFilter())) == ["a-star", "b-star", "c-star"]
    assert names(targets.query(TargetFilter(sort="ra", descending=True))) == ["b-star", "c-star", "a-star"]
    assert names(targets.query(TargetFilter(name="alp"))) == ["a-star"]
    assert names(targets.query(TargetFilter(tags=["var"]))) == ["b-star", "c-star"]
    assert names(targets.query(TargetFilter(lists=["Tonight"]))) == ["b-star"]
    # A cone across RA = 0 finds both sides of the wrap, nearest first.
    cone = targets.query(TargetFilter(cone=(0.0, 0.0, 5.0)))
    assert sorted(names(cone)) == ["a-star", "b-star"]
    assert cone.column("separation_arcsec").to_pylist() == pytest.approx([3.6, 3.6], abs=0.01)


def test_lists_hold_members(store: Store, targets: TargetService) -> None:
    lists = ListService(store)
    lists.create("Tonight", "for the night")
    targets.add({"name": "X", "ra": "1", "dec": "1"})
    targets.add({"name": "Y", "ra": "2", "dec": "2"})
    assert lists.add("Tonight", ["X", "y"]) == ["X", "Y"]
    assert lists.get("Tonight").members == ["X", "Y"]
    lists.remove("Tonight", ["X"])
    assert targets.get("X").lists == []
    with pytest.raises(NotFoundError, match="create it with"):
        lists.add("Nope", ["X"])
    assert lists.delete("Tonight") == 1
    assert targets.get("Y").lists == []


def test_a_merge_that_brings_nothing_new_rewrites_nothing(store: Store, targets: TargetService) -> None:
    targets.add({"name": "ZTF26aaaaaaa", "ra": "30", "dec": "30", "tags": ["sn"]})
    shard_files = sorted((store.root / "db" / "targets").glob("*.json"))
    before = {path: path.stat().st_mtime_ns for path in shard_files}
    repeat = targets.add({"name": "ztf26aaaaaaa", "ra": "30", "dec": "30", "tags": ["sn"]}, OnDuplicate.MERGE)
    assert repeat.action == "merged"
    assert {path: path.stat().st_mtime_ns for path in shard_files} == before
