"""Target operations shared by the CLI, the TUI and jobs: add, edit, delete, merge, query.

Every path that creates targets goes through :func:`add_targets`, which applies duplicate
protection (name/alias match, then position match) and the caller's policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from tom_tui.domain.errors import DuplicateError, ValidationError
from tom_tui.domain.sky import FloatArray, close_pairs, separation_arcsec
from tom_tui.domain.target import Target, TargetRef, build_target, parse_dec, parse_ra, simplify_name
from tom_tui.services.targets.hooks import target_data_holders
from tom_tui.store.store import Store
from tom_tui.store.target_index import TargetIndex
from tom_tui.store.targets import TargetRepository
from tom_tui.store.transaction import Transaction

DEFAULT_DUPLICATE_RADIUS_ARCSEC = 2.0
# What one name lookup (a binary search) and one cone search cost, in stored targets read whole:
# a batch looks names and positions up one by one when the store is this many times larger.
NAME_SEARCHES_PER_MAP = 20
CONES_PER_SCAN = 200


class OnDuplicate(StrEnum):
    ERROR = "error"
    SKIP = "skip"
    MERGE = "merge"


@dataclass
class DuplicateMatch:
    existing_id: int
    existing_name: str
    reason: str  # "name" or "alias" (of the existing target), or "position"
    matched: str  # the incoming name that matched
    separation_arcsec: float | None = None

    def describe(self) -> str:
        if self.reason == "position":
            return (
                f"{self.matched!r} lies {self.separation_arcsec:.2f}″ "
                f"from existing target {self.existing_name!r}"
            )
        article = "the name" if self.reason == "name" else "an alias"
        return f"{self.matched!r} matches {article} of existing target {self.existing_name!r}"


@dataclass
class AddOutcome:
    target: Target
    action: str  # "created", "skipped" or "merged"
    match: DuplicateMatch | None = None


@dataclass
class TargetFilter:
    """What the target list shows; every field optional."""

    name: str | None = None  # substring of the name or an alias, case-insensitive
    tags: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    type: str | None = None
    cone: tuple[float, float, float] | None = None  # ra, dec (deg), radius (arcsec)
    brighter_than: float | None = None  # latest detection brighter than this magnitude
    sort: str = "name"
    descending: bool = False


def merge_into(existing: Target, incoming: Target, claimed_keys: dict[str, int]) -> Target:
    """Fold ``incoming`` into ``existing``: its names become aliases, its tags, lists and missing
    fields and extras are added; what ``existing`` already has is kept."""
    assert existing.id is not None
    for name in incoming.names:
        key = simplify_name(name)
        owner = claimed_keys.get(key)
        if owner is None or owner == existing.id:
            if key not in {simplify_name(n) for n in existing.names}:
                existing.aliases.append(name)
            claimed_keys[key] = existing.id
    for tag in incoming.tags:
        if tag not in existing.tags:
            existing.tags.append(tag)
    for list_name in incoming.lists:
        if list_name not in existing.lists:
            existing.lists.append(list_name)
    for key, value in incoming.extra.items():
        existing.extra.setdefault(key, value)
    for attribute in Target.__dataclass_fields__:
        if attribute in {"id", "name", "type", "aliases", "tags", "lists", "extra", "created", "modified"}:
            continue
        if getattr(existing, attribute) is None and getattr(incoming, attribute) is not None:
            setattr(existing, attribute, getattr(incoming, attribute))
    return existing


def add_targets(
    repo: TargetRepository,
    targets: Sequence[Target],
    on_duplicate: OnDuplicate,
    radius_arcsec: float,
    labels: Sequence[str] | None = None,
    before_merge: Callable[[Target], Any] | None = None,
) -> list[AddOutcome]:
    """Add many targets in one transaction, matching each against the store and earlier ones.

    With ``ERROR`` every duplicate is collected and one :class:`ValidationError` lists them all
    (``labels[i]`` names where target ``i`` came from, e.g. ``line 12``); nothing is written.
    ``before_merge`` sees each stored target once, unchanged, before anything is merged into it.
    """
    adder = _TargetAdder(repo, targets, radius_arcsec, labels, before_merge)
    outcomes: list[AddOutcome] = []
    new_targets: list[Target] = []
    pending_by_key = adder.pending_by_key
    for row, target in enumerate(targets):
        match, earlier_row = adder.find_match(row, target)
        if match is None:
            outcomes.append(AddOutcome(target, "created"))
            new_targets.append(target)
            for name in target.names:
                pending_by_key[simplify_name(name)] = row
            continue
        if on_duplicate is OnDuplicate.ERROR:
            adder.report_duplicate(row, target, match, earlier_row)
            outcomes.append(AddOutcome(target, "skipped", match))
        elif on_duplicate is OnDuplicate.SKIP:
            outcomes.append(AddOutcome(target, "skipped", match))
        elif earlier_row is not None:
            outcomes.append(AddOutcome(adder.merge_into_earlier(earlier_row, target), "merged", match))
        else:
            outcomes.append(AddOutcome(adder.merge_into_stored(match.existing_id, target), "merged", match))
    if adder.problems:
        raise ValidationError(f"{len(adder.problems)} duplicate target(s); nothing was added", adder.problems)
    if adder.changed:
        repo.replace_many(list(adder.changed.values()))
    if new_targets:
        repo.insert_many(new_targets)
    return outcomes


class _TargetAdder:
    """The matching state of one :func:`add_targets` call: names claimed in the store, earlier new
    targets by name, and stored targets changed by merges."""

    def __init__(
        self,
        repo: TargetRepository,
        targets: Sequence[Target],
        radius_arcsec: float,
        labels: Sequence[str] | None,
        before_merge: Callable[[Target], Any] | None,
    ) -> None:
        self.repo = repo
        self.index = repo.index
        self.targets = targets
        self.labels = labels
        self.before_merge = before_merge
        # For many targets against a store not much larger, one dict of every stored name beats a
        # binary search per name; against a far larger store, building the dict would cost more.
        self.bulk = len(targets) > 50 and len(targets) * NAME_SEARCHES_PER_MAP >= len(self.index)
        self.claimed: dict[str, int] = dict(self.index.key_map()) if self.bulk else {}
        self.position_match = _position_matcher(self.index, targets, radius_arcsec)
        self.pending_by_key: dict[str, int] = {}  # key -> position in `targets` of an earlier new target
        self.changed: dict[int, Target] = {}
        self.problems: list[str] = []

    def _stored(self, target_id: int) -> Target:
        return self.changed.get(target_id) or self.repo.get(target_id)

    def find_match(self, row: int, target: Target) -> tuple[DuplicateMatch | None, int | None]:
        """The stored target ``target`` duplicates, and the earlier row it duplicates, if any."""
        match: DuplicateMatch | None = None
        earlier_row: int | None = None
        for name in target.names:
            key = simplify_name(name)
            existing_id = self.claimed.get(key) if self.bulk else self.index.id_for_key(key)
            if existing_id is not None:
                existing = self._stored(existing_id)
                reason = "name" if simplify_name(existing.name) == key else "alias"
                match = DuplicateMatch(existing_id, existing.name, reason, name)
                break
            if key in self.pending_by_key:
                earlier_row = self.pending_by_key[key]
                break
        if match is None and earlier_row is None and target.is_sidereal:
            found = self.position_match(row)
            if found is not None:
                kind, where, separation = found
                if kind == "stored":
                    existing = self._stored(where)
                    match = DuplicateMatch(where, existing.name, "position", target.name, separation)
                else:
                    earlier_row = where
        if earlier_row is not None and match is None:
            match = DuplicateMatch(-1, self.targets[earlier_row].name, "name", target.name)
        return match, earlier_row

    def report_duplicate(
        self, row: int, target: Target, match: DuplicateMatch, earlier_row: int | None
    ) -> None:
        labels = self.labels
        where = f"{labels[row]}: " if labels else ""
        if earlier_row is not None:
            earlier = self.targets[earlier_row]
            earlier_label = labels[earlier_row] if labels else earlier.name
            self.problems.append(f"{where}{target.name!r} duplicates {earlier.name!r} ({earlier_label})")
        else:
            self.problems.append(f"{where}{match.describe()}")

    def merge_into_earlier(self, earlier_row: int, target: Target) -> Target:
        host = self.targets[earlier_row]
        merge_into_pending(host, target)
        for name in target.names:
            self.pending_by_key.setdefault(simplify_name(name), earlier_row)
        return host

    def merge_into_stored(self, existing_id: int, target: Target) -> Target:
        existing = self._stored(existing_id)
        already_changed = existing_id in self.changed
        if self.before_merge is not None and not already_changed:
            self.before_merge(existing)
        if not self.bulk:
            self.claimed.update({simplify_name(n): existing_id for n in existing.names})
            for name in target.names:
                owner = self.index.id_for_key(simplify_name(name))
                if owner is not None:
                    self.claimed.setdefault(simplify_name(name), owner)
        before = None if already_changed else existing.to_document(copy=True)
        merged = merge_into(existing, target, self.claimed)
        # A repeat alert for a known object usually brings nothing new: then nothing is rewritten.
        if already_changed or merged.to_document(copy=False) != before:
            self.changed[existing_id] = merged
        return merged


def merge_into_pending(host: Target, incoming: Target) -> None:
    """Merge two rows of the same import before either is stored."""
    host_keys = {simplify_name(n) for n in host.names}
    for name in incoming.names:
        if simplify_name(name) not in host_keys:
            host.aliases.append(name)
            host_keys.add(simplify_name(name))
    host.tags.extend(t for t in incoming.tags if t not in host.tags)
    host.lists.extend(x for x in incoming.lists if x not in host.lists)
    for key, value in incoming.extra.items():
        host.extra.setdefault(key, value)


PositionMatch = tuple[str, int, float]  # ("stored", id, separation) or ("earlier", row, separation)


def _position_matcher(
    index: TargetIndex, targets: Sequence[Target], radius_arcsec: float
) -> Callable[[int], PositionMatch | None]:
    """A function row -> ("stored", id, sep) | ("earlier", row, sep) | None for sidereal targets."""
    if len(targets) <= 50:
        return _one_by_one_matcher(index, targets, radius_arcsec)
    return _batched_matcher(index, targets, radius_arcsec)


def _one_by_one_matcher(
    index: TargetIndex, targets: Sequence[Target], radius_arcsec: float
) -> Callable[[int], PositionMatch | None]:
    def one_by_one(row: int) -> PositionMatch | None:
        target = targets[row]
        assert target.ra is not None and target.dec is not None
        hit = index.nearest_within(target.ra, target.dec, radius_arcsec)
        if hit is not None:
            return ("stored", hit.target_id, hit.separation_arcsec)
        for earlier in range(row):
            other = targets[earlier]
            if other.is_sidereal and other.ra is not None and other.dec is not None:
                separation = _separation(target.ra, target.dec, other.ra, other.dec)
                if separation <= radius_arcsec:
                    return ("earlier", earlier, separation)
        return None

    return one_by_one


def _batched_matcher(
    index: TargetIndex, targets: Sequence[Target], radius_arcsec: float
) -> Callable[[int], PositionMatch | None]:
    """All close pairs found at once: the nearest stored target, else the first earlier row."""
    rows = [i for i, t in enumerate(targets) if t.is_sidereal and t.ra is not None and t.dec is not None]
    ra = np.array([targets[i].ra for i in rows], dtype=np.float64)
    dec = np.array([targets[i].dec for i in rows], dtype=np.float64)
    stored_hits = _stored_hits(index, rows, ra, dec, radius_arcsec)
    earlier_hits: dict[int, tuple[int, float]] = {}
    first, second, separation = close_pairs(ra, dec, radius_arcsec)
    # Closest pairs first, so the first hit kept for a target is its nearest.
    for a, b, arcsec in sorted(
        zip(first.tolist(), second.tolist(), separation.tolist(), strict=True), key=lambda pair: pair[2]
    ):
        late = rows[b]
        earlier = earlier_hits.get(late)
        if earlier is None or rows[a] < earlier[0]:
            earlier_hits[late] = (rows[a], arcsec)

    def batched(row: int) -> PositionMatch | None:
        if row in stored_hits:
            return ("stored", *stored_hits[row])
        if row in earlier_hits:
            return ("earlier", *earlier_hits[row])
        return None

    return batched


def _stored_hits(
    index: TargetIndex, rows: list[int], ra: FloatArray, dec: FloatArray, radius_arcsec: float
) -> dict[int, tuple[int, float]]:
    """For each row near a stored target: (id of the nearest, separation)."""
    hits: dict[int, tuple[int, float]] = {}
    if not rows:
        return hits
    if len(rows) * CONES_PER_SCAN < len(index):
        for row, one_ra, one_dec in zip(rows, ra.tolist(), dec.tolist(), strict=True):
            hit = index.nearest_within(one_ra, one_dec, radius_arcsec)
            if hit is not None:
                hits[row] = (hit.target_id, hit.separation_arcsec)
        return hits
    stored_ra = index.table.column("ra").to_numpy(zero_copy_only=False).astype(np.float64)
    stored_dec = index.table.column("dec").to_numpy(zero_copy_only=False).astype(np.float64)
    valid = np.flatnonzero(np.isfinite(stored_ra) & np.isfinite(stored_dec))
    # One array: the new targets first, then the stored ones.
    first, second, separation = close_pairs(
        np.concatenate([ra, stored_ra[valid]]), np.concatenate([dec, stored_dec[valid]]), radius_arcsec
    )
    new_count = len(rows)
    for a, b, arcsec in sorted(
        zip(first.tolist(), second.tolist(), separation.tolist(), strict=True), key=lambda pair: pair[2]
    ):
        if a < new_count <= b:
            hits.setdefault(rows[a], (int(index.ids[valid[b - new_count]]), arcsec))
    return hits


def _separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    return float(separation_arcsec(ra1, dec1, ra2, dec2))


# Photometry summary columns the target list shows next to each target.
SUMMARY_COLUMNS = ("n_points", "last_det_mag", "last_det_filter", "last_det_mjd", "peak_mag")


def with_photometry_summary(rows: pa.Table, summary: pa.Table) -> pa.Table:
    """``rows`` (index rows) with the summary columns appended; null for targets without points."""
    ids = rows.column("id").to_numpy()
    summary_ids = summary.column("target_id").to_numpy()
    positions = np.searchsorted(summary_ids, ids)
    clipped = np.minimum(positions, max(len(summary_ids) - 1, 0))
    found = (
        (positions < len(summary_ids)) & (summary_ids[clipped] == ids) if len(summary_ids) else positions < 0
    )
    take = pa.array(np.where(found, clipped, 0), pa.int64(), mask=~found)
    for name in SUMMARY_COLUMNS:
        column = summary.column(name)
        rows = rows.append_column(
            name, column.take(take) if len(summary_ids) else pa.nulls(len(ids), column.type)
        )
    return rows


def filter_index(
    index: TargetIndex,
    query: TargetFilter,
    summary: pa.Table | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """The index rows a filter selects, sorted; the target list and `target list` both use this.

    ``summary`` is the photometry summary (needed by ``brighter_than``); ``columns``, when given,
    are the only index columns the caller reads (``id`` always comes)."""
    if query.cone is not None:
        return _cone_rows(index, query.cone, _filter_mask(index, query, summary))
    table = index.table
    mask = _filter_mask(index, query, summary)
    if columns is not None:
        # Only what is read is filtered and reordered: a million names, aliases and keys otherwise.
        keep = {"id", *columns, query.sort}
        table = table.select([name for name in table.column_names if name in keep])
    if mask is not None and not mask.all():
        table = table.filter(pa.array(mask))
    if query.sort and query.sort in table.column_names and table.num_rows:
        order = "descending" if query.descending else "ascending"
        column = table.column(query.sort)
        if query.sort == "name":
            column = pc.utf8_lower(column)
        indices = pc.sort_indices(pa.table({"k": column}), sort_keys=[("k", order, "at_end")])
        table = table.take(indices)
    return table


def _cone_rows(
    index: TargetIndex, cone: tuple[float, float, float], mask: npt.NDArray[np.bool_] | None
) -> pa.Table:
    """The rows in a cone, nearest first, thinned by the other filters' ``mask``. Only the rows
    found are read, so a cone alone costs the same however large the store is."""
    matches = [m for m in index.cone(*cone) if mask is None or mask[m.row]]
    if index.is_compact:  # any row order (a sorted copy of the index): rows are rows of the base
        rows = index.base.take(pa.array([m.row for m in matches], pa.int64()))
    else:
        rows = index.take_ids([m.target_id for m in matches])
    separations = pa.array([m.separation_arcsec for m in matches], pa.float64())
    return rows.append_column("separation_arcsec", separations)


def _filter_mask(
    index: TargetIndex, query: TargetFilter, summary: pa.Table | None
) -> npt.NDArray[np.bool_] | None:
    """Which rows of ``index.table`` the filters other than the cone keep; None: all (then the
    table is not even read)."""
    if not (query.name or query.tags or query.lists or query.type or query.brighter_than is not None):
        return None
    table = index.table
    mask: npt.NDArray[np.bool_] | None = None

    def both(condition: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        return condition if mask is None else mask & condition

    if query.name:
        needle = simplify_name(query.name)
        keys = table.column("keys").combine_chunks()
        flat_hits = pc.match_substring(pc.list_flatten(keys), needle)
        parents = pc.list_parent_indices(keys).to_numpy()
        hit_rows = np.zeros(table.num_rows, dtype=bool)
        hit_rows[parents[flat_hits.to_numpy(zero_copy_only=False)]] = True
        mask = both(hit_rows)
    for tag in query.tags:
        mask = both(_list_contains(table.column("tags"), tag))
    for list_name in query.lists:
        mask = both(_list_contains(table.column("lists"), list_name))
    if query.type:
        types = table.column("type").to_numpy(zero_copy_only=False)
        mask = both(np.asarray(types == query.type.upper(), dtype=bool))
    if query.brighter_than is not None:
        latest = with_photometry_summary(table.select(["id"]), summary) if summary is not None else None
        if latest is None:
            mask = both(np.zeros(table.num_rows, dtype=bool))
        else:
            magnitudes = latest.column("last_det_mag").to_numpy(zero_copy_only=False).astype(np.float64)
            with np.errstate(invalid="ignore"):
                mask = both(np.nan_to_num(magnitudes, nan=np.inf) <= query.brighter_than)
    return mask


def _list_contains(column: pa.ChunkedArray, value: str) -> npt.NDArray[np.bool_]:
    array = column.combine_chunks()
    flat = pc.list_flatten(array)
    parents = pc.list_parent_indices(array).to_numpy()
    hits = np.zeros(len(array), dtype=bool)
    hits[parents[pc.equal(flat, value).to_numpy(zero_copy_only=False)]] = True
    return hits


class TargetService:
    """Target operations on one store; each public method is one read or one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def duplicate_radius_arcsec(self) -> float:
        value = self.store.setting("targets", "duplicate_radius_arcsec", DEFAULT_DUPLICATE_RADIUS_ARCSEC)
        # A negative or NaN radius would silently turn every duplicate check off.
        radius = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
        if not math.isfinite(radius) or radius <= 0:
            raise ValidationError(
                f"{self.store.config_path}: [targets] duplicate_radius_arcsec = {value!r}; "
                "expected a positive number of arcseconds"
            )
        return radius

    # -- reading --
    def get(self, reference: TargetRef) -> Target:
        with self.store.read() as view:
            return TargetRepository(view).resolve(reference)

    def index(self) -> TargetIndex:
        with self.store.read() as view:
            return TargetRepository(view).index

    def query(self, query: TargetFilter, columns: Sequence[str] | None = None) -> pa.Table:
        """Filtered, sorted index rows with the photometry summary columns appended (only some
        index columns, when ``columns`` names them)."""
        index, summary = self.index_and_summary()
        return with_photometry_summary(filter_index(index, query, summary, columns), summary)

    def index_and_summary(self) -> tuple[TargetIndex, pa.Table]:
        """The target index and the photometry summary, read together (one consistent view)."""
        from tom_tui.store.photometry import read_summary

        with self.store.read() as view:
            return TargetRepository(view).index, read_summary(view)

    def full_targets(self, rows: pa.Table) -> list[Target]:
        with self.store.read() as view:
            return TargetRepository(view).get_many(rows.column("id").to_pylist())

    # -- writing --
    def add(self, fields: dict[str, Any], on_duplicate: OnDuplicate = OnDuplicate.ERROR) -> AddOutcome:
        target = build_target(fields)
        radius = self.duplicate_radius_arcsec
        with self.store.transaction() as tx:
            repo = TargetRepository(tx)
            try:
                outcome = add_targets(repo, [target], on_duplicate, radius)[0]
            except ValidationError as error:
                raise DuplicateError(error.problems[0]) from None
            ensure_lists(tx, outcome.target.lists)
            repo.flush()
        return outcome

    def edit(
        self,
        reference: TargetRef,
        changes: dict[str, Any],
        *,
        add: Mapping[str, Sequence[str]] | None = None,
        remove: Mapping[str, Sequence[str]] | None = None,
        base: Target | None = None,
    ) -> Target:
        """Change fields of a target, as a change to what is stored when the write commits.

        ``changes`` holds raw values, as ``build_target`` takes them; ``extra`` is merged (a value
        of ``None`` removes a key). ``add`` and ``remove`` map ``aliases``/``tags``/``lists`` to the
        names to add or remove. ``base`` is the target as the caller saw it (an edit form): then
        only the fields that differ from it change, and names lists become additions and removals,
        so that writers working at the same time never undo each other's changes."""
        with self.store.transaction() as tx:
            repo = TargetRepository(tx)
            current = repo.resolve(reference)
            assert current.id is not None
            updated = build_target(_edited_document(current, changes, add or {}, remove or {}, base))
            updated.id, updated.created, updated.modified = current.id, current.created, current.modified
            if updated.to_document() == current.to_document():
                return current  # nothing changed: nothing written, `modified` kept
            self._check_edit_duplicates(repo, current, updated)
            ensure_lists(tx, updated.lists)
            repo.replace_many([updated])
            repo.flush()
        return updated

    def _check_edit_duplicates(self, repo: TargetRepository, current: Target, updated: Target) -> None:
        for name in updated.names:
            owner = repo.index.id_for_key(simplify_name(name))
            if owner is not None and owner != current.id:
                other = repo.get(owner)
                raise DuplicateError(f"{name!r} is already a name or alias of target {other.name!r}", owner)
        if updated.is_sidereal and updated.ra is not None and updated.dec is not None:
            hit = repo.index.nearest_within(updated.ra, updated.dec, self.duplicate_radius_arcsec)
            if (
                hit is not None
                and hit.target_id != current.id
                and (current.ra != updated.ra or current.dec != updated.dec)
            ):
                other = repo.get(hit.target_id)
                raise DuplicateError(
                    f"the new position lies {hit.separation_arcsec:.2f}″ from target {other.name!r}; "
                    f"merge them with `tom-tui target merge {other.name!r} {current.name!r}`",
                    other.id,
                )

    def compact(self) -> int:
        """Fold appended target changes into the index and shard files; the number of files folded."""
        from tom_tui.store.targets import compact_targets

        with self.store.transaction() as tx:
            return compact_targets(tx)

    def delete(self, reference: TargetRef) -> Target:
        with self.store.transaction() as tx:
            repo = TargetRepository(tx)
            target = repo.resolve(reference)
            assert target.id is not None
            for holder in target_data_holders():
                holder.delete_target(tx, target.id)
            repo.delete_many([target.id])
            repo.flush()
        return target

    def merge(self, keep_reference: TargetRef, other_reference: TargetRef) -> Target:
        """Merge ``other`` into ``keep``: names, tags, lists, extras and all data move over."""
        with self.store.transaction() as tx:
            repo = TargetRepository(tx)
            keep = repo.resolve(keep_reference)
            other = repo.resolve(other_reference)
            assert keep.id is not None and other.id is not None
            if keep.id == other.id:
                raise ValidationError(f"{keep_reference!r} and {other_reference!r} are the same target")
            claimed = {simplify_name(n): other.id for n in other.names}
            claimed.update({simplify_name(n): keep.id for n in keep.names})
            for key, owner in list(claimed.items()):
                if owner == other.id:
                    claimed.pop(key)
            merged = merge_into(keep, other, claimed)
            for holder in target_data_holders():
                holder.reassign_target(tx, other.id, keep.id)
            repo.delete_many([other.id])
            repo.replace_many([merged])
            repo.flush()
        return merged


NAME_LIST_FIELDS = ("aliases", "tags", "lists")


def _edited_document(
    current: Target,
    changes: dict[str, Any],
    add: Mapping[str, Sequence[str]],
    remove: Mapping[str, Sequence[str]],
    base: Target | None,
) -> dict[str, Any]:
    """The stored document of ``current`` with an edit applied to it.

    With a ``base`` (what the editor started from), fields equal to the base are left as stored
    and a names list that was replaced is turned into its additions and removals."""
    changes = dict(changes)
    add = {key: list(values) for key, values in add.items()}
    remove = {key: list(values) for key, values in remove.items()}
    unknown = (add.keys() | remove.keys()) - set(NAME_LIST_FIELDS)
    if unknown:
        raise ValueError(
            f"only {', '.join(NAME_LIST_FIELDS)} take additions and removals, not {sorted(unknown)}"
        )
    extra_changes: dict[str, Any] = dict(changes.pop("extra", None) or {})
    if base is not None:
        base_document = base.to_document()
        for key in NAME_LIST_FIELDS:
            if key in changes:
                wanted, seen = list(changes.pop(key) or []), list(base_document.get(key) or [])
                add[key] = [*add.get(key, []), *(v for v in wanted if v not in seen)]
                remove[key] = [*remove.get(key, []), *(v for v in seen if v not in wanted)]
        for key in [k for k in changes if _same_value(changes[k], base_document.get(k))]:
            changes.pop(key)
        extra_changes = {
            key: value for key, value in extra_changes.items() if not _same_value(value, base.extra.get(key))
        }
    document: dict[str, Any] = current.to_document()
    extra = dict(current.extra)
    for key, value in extra_changes.items():
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
    document.update(changes)
    document["extra"] = extra
    for key in NAME_LIST_FIELDS:
        if key in add or key in remove:
            dropped = set(remove.get(key, []))
            kept = [value for value in document.get(key) or [] if value not in dropped]
            document[key] = kept + [value for value in dict.fromkeys(add.get(key, [])) if value not in kept]
    return document


def _same_value(given: Any, stored: Any) -> bool:
    """Whether a raw form value says the same as a stored one (forms give text, documents numbers)."""
    if given == stored:
        return True
    if stored is None:
        return given in ("", None)
    return isinstance(given, str) and given.strip() == str(stored)


def ensure_lists(tx: Transaction, names: Sequence[str]) -> list[str]:
    """Create target lists that do not exist yet; returns the names created."""
    if not names:
        return []
    from tom_tui.services.targets.lists import LISTS_TABLE, now

    table = tx.db("lists").table(LISTS_TABLE)
    existing = {document["name"] for document in table.all()}
    created = [name for name in dict.fromkeys(names) if name not in existing]
    if created:
        table.insert_multiple({"name": name, "description": "", "created": now()} for name in created)
    return created


def parse_cone(ra: str, dec: str, radius: str) -> tuple[float, float, float]:
    ra_deg, dec_deg = parse_ra(ra), parse_dec(dec)
    if ra_deg is None or dec_deg is None:
        raise ValidationError("cone: RA and Dec are required")
    try:
        radius_arcsec = float(radius)
    except ValueError:
        raise ValidationError(f"cone: radius {radius!r} is not a number; expected arcseconds") from None
    if radius_arcsec <= 0:
        raise ValidationError(f"cone: radius {radius!r} must be positive (arcseconds)")
    return ra_deg, dec_deg, radius_arcsec
