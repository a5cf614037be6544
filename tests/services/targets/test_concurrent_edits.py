"""Many processes editing the same targets at once: every tag, alias and list membership lands."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tom_tui.services.targets.lists import ListService
from tom_tui.services.targets.operations import TargetService
from tom_tui.store.store import Store

# Starts many processes; runs after the parallel part of the suite.
pytestmark = pytest.mark.serial

TARGETS = ("SN 2026aaa", "SN 2026bbb", "SN 2026ccc")
PROCESSES = 6
ROUNDS = 4

# Each writer uses the command line for tags and aliases (as users do), the list service for
# list memberships and the edit form's way of saving (what it showed, changed), on every target.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tom_tui.cli.main import cli
    from tom_tui.services.targets.lists import ListService
    from tom_tui.services.targets.operations import TargetService
    from tom_tui.store.store import Store

    root, process, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    targets = sys.argv[4:]
    lists = ListService(Store.open(Path(root)))
    service = TargetService(Store.open(Path(root)))
    for round_ in range(rounds):
        for number, name in enumerate(targets):
            label = f"p{process}r{round_}t{number}"
            try:
                cli(["--store", root, "target", "edit", name, "--add-tag", f"tag-{label}",
                      "--add-alias", f"ALIAS-{label}"], standalone_mode=False)
            except SystemExit as exit_:
                if exit_.code:
                    raise
            lists.add(f"list-{process}", [name])
            # The edit form: opened on what it read, saved with one more tag.
            shown = service.get(name)
            service.edit(name, {"tags": [*shown.tags, f"form-{label}"]}, base=shown)
    """
)


def test_mixed_writers_on_the_same_targets_lose_nothing(store: Store) -> None:
    service = TargetService(store)
    for number, name in enumerate(TARGETS):
        service.add({"name": name, "ra": str(10 + number * 10), "dec": "-20"})
    lists = ListService(store)
    for process in range(PROCESSES):
        lists.create(f"list-{process}")

    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store.root), str(p), str(ROUNDS), *TARGETS])
        for p in range(PROCESSES)
    ]
    assert [writer.wait(timeout=600) for writer in writers] == [0] * PROCESSES

    for number, name in enumerate(TARGETS):
        target = service.get(name)
        labels = {f"p{p}r{r}t{number}" for p in range(PROCESSES) for r in range(ROUNDS)}
        assert set(target.tags) == {f"tag-{label}" for label in labels} | {
            f"form-{label}" for label in labels
        }
        assert set(target.aliases) == {f"ALIAS-{label}" for label in labels}
        assert set(target.lists) == {f"list-{p}" for p in range(PROCESSES)}
        # The index agrees with the documents: every alias finds its target.
        assert service.get(f"ALIAS-p0r0t{number}").id == target.id
