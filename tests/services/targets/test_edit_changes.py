"""An edit is a change to the stored target, never a write-back of what the editor read earlier."""

from __future__ import annotations

from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store


def test_an_edit_form_opened_before_another_edit_keeps_that_edit(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "SN 2026abc", "ra": "150.1", "dec": "2.2", "tags": ["sn"]})
    form_saw = service.get("SN 2026abc")
    # Someone else tags the target and adds an alias while the form is open.
    service.edit("SN 2026abc", {}, add={"tags": ["classified"], "aliases": ["ZTF26aaa"]})
    # The form saves: one tag added, one removed, the distance set; the rest as it was shown.
    form_fields = {
        "name": "SN 2026abc",
        "type": form_saw.type,
        "ra": "150.1",
        "dec": "2.2",
        "tags": ["followup"],
        "aliases": [],
        "lists": [],
        "distance": "120.5",
        "extra": {},
    }
    saved = service.edit(form_saw.id or 0, form_fields, base=form_saw)
    assert saved.tags == ["classified", "followup"]
    assert saved.aliases == ["ZTF26aaa"]
    assert saved.distance == 120.5


def test_additions_and_removals_apply_to_what_is_stored(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "AT 2026xyz", "ra": "10", "dec": "-5", "tags": ["a", "b"]})
    service.edit("AT 2026xyz", {}, add={"tags": ["c"]})
    edited = service.edit("AT 2026xyz", {}, add={"tags": ["d", "c"]}, remove={"tags": ["a"]})
    assert edited.tags == ["b", "c", "d"]


def test_an_edit_that_changes_nothing_writes_nothing(store: Store) -> None:
    service = TargetService(store)
    added = service.add({"name": "AT 2026xyz", "ra": "10", "dec": "-5", "tags": ["a"]}).target
    generation = store.generation()
    shown = service.get("AT 2026xyz")
    fields = {"name": "AT 2026xyz", "type": "SIDEREAL", "ra": "10", "dec": "-5", "tags": ["a"], "extra": {}}
    assert service.edit("AT 2026xyz", fields, base=shown).modified == added.modified
    assert service.edit("AT 2026xyz", {}, add={"tags": ["a"]}).modified == added.modified
    assert store.generation() == generation
