"""A batch of targets finds the same duplicates whether it looks names and positions up one by
one in the index files (a batch much smaller than the store) or scans the whole index."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.domain.sky import separation_arcsec
from tom_tui.domain.target import Target
from tom_tui.services.targets import operations
from tom_tui.services.targets.operations import OnDuplicate, add_targets
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository


def stored_and_incoming(rng: np.random.Generator) -> tuple[list[Target], list[Target]]:
    ra = rng.uniform(0.0, 360.0, 150)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 150)))
    ra[:10], dec[:10] = rng.uniform(-0.0005, 0.0005, 10) % 360.0, rng.uniform(-1, 1, 10)  # the RA wrap
    stored = [
        Target(name=f"S{i}", ra=float(ra[i]), dec=float(dec[i]), aliases=[f"alias {i}"]) for i in range(150)
    ]
    incoming = []
    for i in range(80):
        if i % 4 == 0:  # an alias of a stored target, far from it
            incoming.append(Target(name=f"alias {i}", ra=float((ra[i] + 90) % 360), dec=0.0))
        elif i % 4 == 1:  # 0.5" from a stored target
            incoming.append(Target(name=f"N{i}", ra=float((ra[i] + 0.5 / 3600) % 360), dec=float(dec[i])))
        elif i % 4 == 2:  # somewhere new
            incoming.append(
                Target(name=f"F{i}", ra=float(rng.uniform(0, 360)), dec=float(rng.uniform(-80, 80)))
            )
        else:  # 0.3" from the incoming target before it
            previous = incoming[-1]
            incoming.append(Target(name=f"E{i}", ra=previous.ra, dec=float(previous.dec or 0) + 0.3 / 3600))
    return stored, incoming


@pytest.mark.parametrize("one_by_one", [True, False])
def test_batches_find_the_same_duplicates_by_lookups_and_by_scans(
    store: Store, monkeypatch: pytest.MonkeyPatch, one_by_one: bool
) -> None:
    monkeypatch.setattr(operations, "CONES_PER_SCAN", 1 if one_by_one else 10**9)
    monkeypatch.setattr(operations, "NAME_SEARCHES_PER_MAP", 10**9 if not one_by_one else 1)
    stored, incoming = stored_and_incoming(np.random.default_rng(5))
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        repo.insert_many(stored)
        repo.flush()
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        if one_by_one:
            assert len(incoming) * operations.CONES_PER_SCAN < len(repo.index)
        outcomes = add_targets(repo, incoming, OnDuplicate.SKIP, 2.0)
        repo.flush()
    by_name = {outcome.target.name: outcome for outcome in outcomes}
    for i, target in enumerate(incoming):
        outcome = by_name[target.name]
        if i % 4 == 0:
            assert (
                outcome.match is not None
                and outcome.match.existing_name == f"S{i}"
                and outcome.match.reason == "alias"
            )
        elif i % 4 == 1:
            assert outcome.match is not None and outcome.match.existing_name == f"S{i}"
            expected = float(separation_arcsec(target.ra, target.dec, stored[i].ra, stored[i].dec))
            assert outcome.match.separation_arcsec == pytest.approx(expected)
        elif i % 4 == 2:
            assert outcome.action == "created"
        else:
            assert outcome.action == "skipped" and outcome.match is not None
            assert outcome.match.existing_name == incoming[i - 1].name
