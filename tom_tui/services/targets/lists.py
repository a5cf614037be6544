"""Target lists: named groups of targets (TOM Toolkit's "groups")."""

from __future__ import annotations

from dataclasses import dataclass

from tinydb import Query

from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import NotFoundError, ValidationError
from tom_tui.services.bulk import cyclic_gc_paused
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

LISTS_TABLE = "lists"


def now() -> str:
    return now_iso()


@dataclass
class TargetList:
    name: str
    description: str
    created: str
    members: list[str]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "created": self.created,
            "count": len(self.members),
            "targets": self.members,
        }


class ListService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def all(self) -> list[TargetList]:
        with self.store.read() as view:
            documents = view.db("lists").table(LISTS_TABLE).all()
            index = TargetRepository(view).index.table
        membership: dict[str, list[str]] = {}
        # Every target's name and lists become Python objects (millions in a large store); the
        # cycle collector would re-scan them all as they pile up (a third of the time at 100k).
        with cyclic_gc_paused():
            for name, lists in zip(
                index.column("name").to_pylist(), index.column("lists").to_pylist(), strict=True
            ):
                for list_name in lists or []:
                    membership.setdefault(list_name, []).append(name)
        return sorted(
            (
                TargetList(
                    d["name"],
                    d.get("description", ""),
                    d.get("created", ""),
                    sorted(membership.get(d["name"], [])),
                )
                for d in documents
            ),
            key=lambda target_list: target_list.name.lower(),
        )

    def get(self, name: str) -> TargetList:
        for target_list in self.all():
            if target_list.name == name:
                return target_list
        raise NotFoundError(f"no target list named {name!r}; see `tom-tui list show`")

    def create(self, name: str, description: str = "") -> TargetList:
        name = name.strip()
        if not name:
            raise ValidationError("list name: empty; expected a name")
        with self.store.transaction() as tx:
            table = tx.db("lists").table(LISTS_TABLE)
            if table.contains(Query().name == name):
                raise ValidationError(f"list {name!r} already exists")
            table.insert({"name": name, "description": description, "created": now()})
        return TargetList(name, description, now(), [])

    def _change_members(self, name: str, references: list[str], add: bool) -> list[str]:
        with self.store.transaction() as tx:
            if not tx.db("lists").table(LISTS_TABLE).contains(Query().name == name):
                raise NotFoundError(
                    f"no target list named {name!r}; create it with `tom-tui list create {name}`"
                )
            repo = TargetRepository(tx)
            targets = [repo.resolve(reference) for reference in references]
            changed = []
            for target in targets:
                if add and name not in target.lists:
                    target.lists.append(name)
                    changed.append(target)
                elif not add and name in target.lists:
                    target.lists.remove(name)
                    changed.append(target)
            repo.replace_many(changed)
            repo.flush()
        return [target.name for target in changed]

    def add(self, name: str, references: list[str]) -> list[str]:
        return self._change_members(name, references, add=True)

    def remove(self, name: str, references: list[str]) -> list[str]:
        return self._change_members(name, references, add=False)

    def delete(self, name: str) -> int:
        """Delete a list (its targets stay); returns how many targets were in it."""
        with self.store.transaction() as tx:
            table = tx.db("lists").table(LISTS_TABLE)
            if not table.contains(Query().name == name):
                raise NotFoundError(f"no target list named {name!r}")
            table.remove(Query().name == name)
            repo = TargetRepository(tx)
            member_rows = repo.index.table.filter(
                [name in (lists or []) for lists in repo.index.table.column("lists").to_pylist()]
            )
            members = repo.get_many(member_rows.column("id").to_pylist())
            for target in members:
                target.lists.remove(name)
            repo.replace_many(members)
            repo.flush()
        return len(members)
