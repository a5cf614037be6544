"""The index and documents stay correct when changes are appended instead of rewritten:
cones against brute force, the delta and shard logs read back as the whole files would, torn
lines skipped, compaction folding everything, and appends finished after a crash."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pytest

from tom_tui.domain.sky import separation_arcsec
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store import target_index, targets
from tom_tui.store.store import Store
from tom_tui.store.target_index import DELTA_PATH, INDEX_PATH, INDEX_SCHEMA, KEYS_PATH, SKY_PATH, TargetIndex
from tom_tui.store.targets import TargetRepository, compact_targets, rebuild_index, shard_log, shard_of
from tom_tui.store.transaction import JOURNAL_NAME, Transaction


@pytest.fixture
def appending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Append every change, as a store of a million targets does, however small this one is."""
    monkeypatch.setattr(targets, "DELTA_FROM_ROWS", 0)
    monkeypatch.setattr(targets, "LOG_FROM_BYTES", 0)


def random_sky(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    ra = rng.uniform(0.0, 360.0, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    # Crowds where cell schemes go wrong: around both poles and across RA 0/360.
    ra[:40], dec[:40] = rng.uniform(0.0, 360.0, 40), 90.0 - rng.uniform(0.0, 0.02, 40)
    ra[40:80], dec[40:80] = rng.uniform(0.0, 360.0, 40), -90.0 + rng.uniform(0.0, 0.02, 40)
    ra[80:160], dec[80:160] = rng.uniform(-0.01, 0.01, 80) % 360.0, rng.uniform(-2.0, 2.0, 80)
    return ra, dec


def index_table(ra: np.ndarray, dec: np.ndarray) -> pa.Table:
    count = len(ra)
    return pa.table(
        {
            "id": np.arange(1, count + 1),
            "name": [f"T{i}" for i in range(count)],
            "type": ["SIDEREAL"] * count,
            "ra": ra,
            "dec": dec,
            "scheme": [None] * count,
            "aliases": [[]] * count,
            "keys": [[f"t{i}"] for i in range(count)],
            "tags": [[]] * count,
            "lists": [[]] * count,
            "created": [None] * count,
            "modified": [None] * count,
        },
        schema=INDEX_SCHEMA,
    )


def test_cones_find_exactly_what_brute_force_finds() -> None:
    rng = np.random.default_rng(11)
    ra, dec = random_sky(rng, 5000)
    index = TargetIndex(index_table(ra, dec))
    centres = [(0.0, 0.0), (359.9999, 0.5), (0.0001, -1.0), (12.0, 90.0), (200.0, -89.995), (180.0, 89.9)]
    centres += [
        (float(rng.uniform(0, 360)), float(np.degrees(np.arcsin(rng.uniform(-1, 1))))) for _ in range(60)
    ]
    for number, (centre_ra, centre_dec) in enumerate(centres):
        radius = [10.0, 90.0, 1800.0, 36_000.0, 400_000.0][number % 5]
        separations = separation_arcsec(centre_ra, centre_dec, ra, dec)
        expected = np.flatnonzero(separations <= radius) + 1
        matches = index.cone(centre_ra, centre_dec, radius)
        assert sorted(m.target_id for m in matches) == sorted(expected.tolist()), (
            centre_ra,
            centre_dec,
            radius,
        )
        assert [m.separation_arcsec for m in matches] == sorted(m.separation_arcsec for m in matches)
        assert all(int(index.table.column("id")[m.row].as_py()) == m.target_id for m in matches)


def test_cones_see_targets_added_moved_and_deleted_since_the_base() -> None:
    rng = np.random.default_rng(12)
    ra, dec = random_sky(rng, 2000)
    base = index_table(ra, dec)
    moved = dict(base.slice(499, 1).to_pylist()[0], ra=10.0, dec=20.0)
    added = dict(base.slice(0, 1).to_pylist()[0], id=5000, name="NEW", keys=["new"], ra=10.001, dec=20.0)
    index = TargetIndex(base, changes={500: moved, 5000: added, 1000: None})
    found = {m.target_id: m for m in index.cone(10.0, 20.0, 5.0)}
    assert set(found) == {500, 5000}
    assert found[5000].separation_arcsec == pytest.approx(float(separation_arcsec(10.0, 20.0, 10.001, 20.0)))
    for match in found.values():
        assert index.table.column("id")[match.row].as_py() == match.target_id
    assert 500 not in {m.target_id for m in index.cone(float(ra[499]), float(dec[499]), 1.0)}
    assert 1000 not in {m.target_id for m in index.cone(float(ra[999]), float(dec[999]), 1.0)}
    assert index.ids.tolist() == sorted({*range(1, 2001), 5000} - {1000})
    assert index.id_for_key("new") == 5000 and index.id_for_key("t999") is None


def test_a_fresh_process_searches_the_stored_sky_file_without_scipy(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "Near", "ra": "150.0", "dec": "2.0"})
    service.add({"name": "Far", "ra": "150.1", "dec": "2.0"})
    assert (store.root / SKY_PATH).exists() and (store.root / KEYS_PATH).exists()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from tom_tui.services.targets.operations import TargetFilter, TargetService
        from tom_tui.store.store import Store
        service = TargetService(Store.open(Path({str(store.root)!r})))
        rows = service.query(TargetFilter(cone=(150.0, 2.0001, 60.0)))
        assert rows.column("name").to_pylist() == ["Near"], rows
        assert "scipy" not in sys.modules and "scipy.spatial" not in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


@pytest.mark.usefixtures("appending")
def test_adds_and_edits_append_and_read_back_as_a_rebuild_would(store: Store) -> None:
    service = TargetService(store)
    first = service.add({"name": "SN 2026a", "ra": "10.0", "dec": "10.0"}).target
    base_bytes = (store.root / INDEX_PATH).read_bytes()
    shard_json = store.root / "db" / f"{shard_of(int(first.id or 0))}.json"
    shard_bytes = shard_json.read_bytes() if shard_json.exists() else None
    second = service.add({"name": "SN 2026b", "ra": "20.0", "dec": "-5.0", "aliases": ["ZTF26x"]}).target
    service.edit(int(first.id or 0), {"ra": "30.0"}, add={"aliases": ["AT 2026a"], "tags": ["hot"]})
    third = service.add({"name": "Gone", "ra": "40.0", "dec": "0.0"}).target
    service.delete(int(third.id or 0))
    assert (store.root / INDEX_PATH).read_bytes() == base_bytes  # the base was not rewritten
    assert (shard_json.read_bytes() if shard_json.exists() else None) == shard_bytes
    assert len((store.root / DELTA_PATH).read_bytes().splitlines()) >= 4
    with store.read() as view:
        repo = TargetRepository(view)
        stored, rebuilt = repo.index.table, rebuild_index(view).table
        assert stored.to_pylist() == rebuilt.to_pylist()
        assert repo.find("AT2026A") is not None and repo.find("at 2026a").name == "SN 2026a"  # type: ignore[union-attr]
        assert repo.find("ztf26x").id == second.id  # type: ignore[union-attr]
        assert repo.find("Gone") is None
        assert [t.name for t in repo.all()] == ["SN 2026a", "SN 2026b"]
        assert repo.get(int(first.id or 0)).tags == ["hot"]
    near_old = service.query(TargetFilter(cone=(10.0, 10.0, 5.0)))
    near_new = service.query(TargetFilter(cone=(30.0, 10.0, 5.0)))
    assert near_old.num_rows == 0 and near_new.column("name").to_pylist() == ["SN 2026a"]


@pytest.mark.usefixtures("appending")
def test_duplicates_are_found_among_appended_targets(store: Store) -> None:
    from tom_tui.domain.errors import DuplicateError

    service = TargetService(store)
    service.add({"name": "SN 2026c", "ra": "100.0", "dec": "-30.0", "aliases": ["Gaia26abc"]})
    with pytest.raises(DuplicateError, match="an alias of existing target 'SN 2026c'"):
        service.add({"name": "gaia 26 ABC", "ra": "200.0", "dec": "10.0"})
    with pytest.raises(DuplicateError, match="from existing target 'SN 2026c'"):
        service.add({"name": "Other", "ra": "100.0001", "dec": "-30.0"})


@pytest.mark.usefixtures("appending")
def test_a_delta_past_its_limit_is_folded_into_the_base(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets, "DELTA_LIMIT", 3)
    service = TargetService(store)
    for number in range(5):
        service.add({"name": f"T{number}", "ra": str(number), "dec": "0"})
    with store.read() as view:
        index = TargetRepository(view).index
        assert len(index) == 5 and len(index.changes) <= 3
        assert index.base.num_rows >= 2


@pytest.mark.usefixtures("appending")
def test_compaction_folds_logs_and_delta_and_changes_nothing_read(store: Store) -> None:
    service = TargetService(store)
    for number in range(6):
        service.add({"name": f"C{number}", "ra": str(number * 10), "dec": "5"})
    service.edit("C2", {"dec": "6"})
    with store.read() as view:
        before = TargetRepository(view).index.table.to_pylist()
        documents = [t.to_document() for t in TargetRepository(view).all()]
    with store.transaction() as tx:
        assert compact_targets(tx) > 0
    assert not (store.root / DELTA_PATH).exists()
    assert not list((store.root / "db" / "targets").glob("*.log.jsonl"))
    with store.read() as view:
        assert TargetRepository(view).index.is_compact
        assert TargetRepository(view).index.table.to_pylist() == before
        assert [t.to_document() for t in TargetRepository(view).all()] == documents


@pytest.mark.usefixtures("appending")
def test_a_torn_line_is_skipped_with_a_warning_and_later_lines_still_count(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    service = TargetService(store)
    kept = service.add({"name": "Kept", "ra": "1", "dec": "1"}).target
    with open(store.root / DELTA_PATH, "ab") as handle:
        handle.write(b'{"id": 99, "row": {"na')
    with open(store.root / shard_log(shard_of(int(kept.id or 0))), "ab") as handle:
        handle.write(b'{"id": 1, "docu')
    later = service.add({"name": "Later", "ra": "2", "dec": "2"}).target
    with caplog.at_level(logging.WARNING), store.read() as view:
        repo = TargetRepository(view)
        assert sorted(repo.index.table.column("name").to_pylist()) == ["Kept", "Later"]
        assert repo.get(int(kept.id or 0)).name == "Kept" and repo.get(int(later.id or 0)).name == "Later"
    assert "not a complete index record; ignored" in caplog.text
    assert "not a complete target record; ignored" in caplog.text


@pytest.mark.usefixtures("appending")
def test_ids_found_only_in_shard_logs_are_never_handed_out_again(store: Store) -> None:
    service = TargetService(store)
    first = service.add({"name": "A1", "ra": "1", "dec": "1"}).target
    (store.root / "state" / "counters.json").unlink()
    second = service.add({"name": "A2", "ra": "2", "dec": "2"}).target
    assert second.id != first.id


def test_an_append_cut_short_by_a_crash_is_finished_by_the_next_reader(store: Store) -> None:
    target = store.root / "index" / "log.jsonl"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b'{"a": 1}\n')
    tx = Transaction(store.root)
    tx.append_bytes("index/log.jsonl", b'{"b": 2}\n')
    staged = tx._new_staged_path("index/log.jsonl")
    staged.write_bytes(b'{"b": 2}\n')
    operation = {
        "path": "index/log.jsonl",
        "action": "append",
        "staged": staged.relative_to(store.root).as_posix(),
        "offset": 9,
    }
    (store.root / JOURNAL_NAME).write_bytes(orjson.dumps({"txid": tx.txid, "operations": [operation]}))
    target.write_bytes(b'{"a": 1}\n{"b"')  # half of the append reached the disk
    with store.read() as view:
        assert view.read_bytes("index/log.jsonl") == b'{"a": 1}\n{"b": 2}\n'
    assert not (store.root / JOURNAL_NAME).exists()


def test_appends_inside_one_transaction_read_back_and_commit_once(store: Store) -> None:
    with store.transaction() as tx:
        tx.append_bytes("index/x.jsonl", b"1\n")
        tx.append_bytes("index/x.jsonl", b"2\n")
        assert tx.read_bytes("index/x.jsonl") == b"1\n2\n" and tx.exists("index/x.jsonl")
        assert "index/x.jsonl" in tx.list_dir("index")
    with store.transaction() as tx:
        tx.append_bytes("index/x.jsonl", b"3\n")
    assert (store.root / "index" / "x.jsonl").read_bytes() == b"1\n2\n3\n"
    with store.transaction() as tx:
        tx.delete("index/x.jsonl")
        tx.append_bytes("index/x.jsonl", b"4\n")
    assert (store.root / "index" / "x.jsonl").read_bytes() == b"4\n"


def test_companions_of_another_base_are_not_trusted(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "Real", "ra": "50", "dec": "50"})
    sky = store.root / SKY_PATH
    stale = sky.read_bytes()
    service.add({"name": "Second", "ra": "60", "dec": "50"})
    sky.write_bytes(stale)  # a companion left over from an older base
    rows = service.query(TargetFilter(cone=(60.0, 50.0, 5.0)))
    assert rows.column("name").to_pylist() == ["Second"]
    assert service.compact() == 1  # written again to match
    assert sky.read_bytes() != stale and service.compact() == 0


def test_the_merged_table_is_the_base_with_every_change_in_place() -> None:
    rng = np.random.default_rng(13)
    ra, dec = random_sky(rng, 300)
    base = index_table(ra, dec).filter(pa.array(np.arange(300) % 3 != 1))  # gaps in the ids
    rows = {row["id"]: row for row in base.to_pylist()}
    for trial in range(20):
        changes: dict[int, dict | None] = {}
        for target_id in rng.choice(np.arange(1, 320), size=int(rng.integers(1, 40)), replace=False).tolist():
            kind = rng.integers(3)
            template = dict(rows.get(target_id) or next(iter(rows.values())), id=target_id)
            changes[target_id] = None if kind == 0 else dict(template, name=f"changed {trial}-{target_id}")
        expected = {**rows, **changes}
        index = TargetIndex(base, changes=changes)
        wanted = [row for _, row in sorted(expected.items()) if row is not None]
        assert index.table.to_pylist() == wanted
        picked = [row["id"] for row in wanted[::7]][::-1]
        assert index.take_ids(picked).column("id").to_pylist() == picked
        assert index.take_ids(picked).to_pylist() == [expected[i] for i in picked]


APPENDING_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tom_tui.store import targets
    from tom_tui.store.store import Store
    from tom_tui.services.targets.operations import TargetService

    targets.DELTA_FROM_ROWS, targets.LOG_FROM_BYTES, targets.DELTA_LIMIT = 0, 0, 7
    store, process, count = Store.open(Path(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
    service = TargetService(store)
    for i in range(count):
        if process < 0:
            with store.transaction() as tx:
                targets.compact_targets(tx)
            continue
        added = service.add({"name": f"W{process}-{i}", "ra": str(process * 40 + i * 0.1), "dec": "10"})
        if i % 5 == 0:
            service.edit(added.target.id, {}, add={"tags": [f"t{i}"]})
    """
)


@pytest.mark.serial
def test_writers_and_compaction_interleaved_lose_nothing(store: Store) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-c", APPENDING_WRITER, str(store.root), str(p), "30"])
        for p in (-1, 0, 1, 2)
    ]
    assert [process.wait(timeout=600) for process in processes] == [0] * 4
    with store.read() as view:
        repo = TargetRepository(view)
        assert repo.index.table.to_pylist() == rebuild_index(view).table.to_pylist()
        names = set(repo.index.table.column("name").to_pylist())
        tagged = {t.name for t in repo.all() if t.tags}
    assert names == {f"W{p}-{i}" for p in range(3) for i in range(30)}
    assert tagged == {f"W{p}-{i}" for p in range(3) for i in range(0, 30, 5)}


@pytest.mark.usefixtures("appending")
def test_an_index_written_by_an_older_version_is_read_in_id_order_and_replaced(store: Store) -> None:
    service = TargetService(store)
    for number in range(4):
        service.add({"name": f"Old{number}", "ra": str(number * 10), "dec": "0"})
    # As older versions left it after an edit: the edited row moved to the end, no token, no
    # companions, no delta.
    with store.read() as view:
        table = TargetRepository(view).index.table
    shuffled = pa.concat_tables([table.slice(1), table.slice(0, 1)]).replace_schema_metadata(None)
    for rel in (SKY_PATH, KEYS_PATH, DELTA_PATH):
        (store.root / rel).unlink(missing_ok=True)
    import pyarrow.feather as feather

    written = store.root / "old-index.arrow"
    feather.write_feather(shuffled, written, compression="uncompressed")
    written.replace(store.root / INDEX_PATH)  # the old file stays whole for the memory map above
    service.edit("Old2", {"dec": "1"})
    with store.read() as view:
        index = TargetRepository(view).index
        assert index.table.column("name").to_pylist() == ["Old0", "Old1", "Old2", "Old3"]
        assert index.table.column("dec").to_pylist()[2] == 1.0 and not index.legacy
    assert (store.root / SKY_PATH).exists()
    assert service.query(TargetFilter(cone=(20.0, 1.0, 5.0))).column("name").to_pylist() == ["Old2"]


def test_a_journal_appending_through_a_link_is_refused_touching_nothing(store: Store, tmp_path: Path) -> None:
    from tom_tui.domain.errors import StoreError

    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"keep\n")
    (store.root / "index").mkdir(exist_ok=True)
    (store.root / "index" / "linked.jsonl").symlink_to(outside)
    staged = store.root / ".staging" / "t" / "000001-linked.jsonl"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"evil\n")
    operation = {
        "path": "index/linked.jsonl",
        "action": "append",
        "staged": ".staging/t/000001-linked.jsonl",
        "offset": 0,
    }
    (store.root / JOURNAL_NAME).write_bytes(orjson.dumps({"txid": "t", "operations": [operation]}))
    with pytest.raises(StoreError, match="is a link"), store.read():
        pass
    assert outside.read_bytes() == b"keep\n"


def test_a_delta_record_of_the_wrong_shape_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = {"id": 7, "name": "Good", "type": "SIDEREAL", "ra": 1.0, "dec": 2.0, "keys": ["good"]}
    bad = {"id": 8, "name": "Bad", "type": "SIDEREAL", "ra": "north", "dec": 2.0, "keys": ["bad"]}
    data = b"".join(target_index.delta_line(row["id"], row) for row in (good, bad))
    with caplog.at_level(logging.WARNING):
        changes, lines = target_index.parse_delta(data)
    assert lines == 2 and list(changes) == [7]
    assert "target #8 does not fit the index columns; ignored" in caplog.text
    assert TargetIndex(changes=changes).cone(1.0, 2.0, 1.0)[0].target_id == 7


def test_name_lookups_by_binary_search_find_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(14)
    alphabet = [*"abcxyz019", "é", "ø", "γ", "☉", "𝔸"]
    names = sorted({"".join(rng.choice(alphabet, size=int(rng.integers(1, 7)))) for _ in range(3000)})
    table = index_table(np.zeros(len(names)), np.zeros(len(names)))
    table = table.set_column(table.schema.get_field_index("keys"), "keys", pa.array([[n] for n in names]))
    owners = dict(zip(rng.permutation(names).tolist(), range(1, len(names) + 1), strict=True))
    ids = [owners[name] for name in names]
    index = TargetIndex(table.set_column(0, "id", pa.array(ids, pa.int64())).sort_by("id"))
    for name in names:
        assert index.id_for_key(name) == owners[name]
    for missing in ("", "abcabcabc", "é☉é", "zzzzzzzz", "0"):
        assert index.id_for_key(missing) == owners.get(missing)


@pytest.mark.usefixtures("appending")
def test_removing_the_base_rebuilds_every_index_file_from_the_documents_and_logs(store: Store) -> None:
    service = TargetService(store)
    service.add({"name": "R1", "ra": "5", "dec": "5"})
    service.add({"name": "R2", "ra": "6", "dec": "5"})
    service.edit("R2", {}, add={"aliases": ["R2 alias"]})
    assert list((store.root / "db" / "targets").glob("*.log.jsonl"))
    (store.root / INDEX_PATH).unlink()
    with Store.open(store.root).read() as view:  # the first command writes the index again
        index = TargetRepository(view).index
        assert index.is_compact and index.table.column("name").to_pylist() == ["R1", "R2"]
        assert index.id_for_key("r2alias") == index.table.column("id")[1].as_py()
    assert not (store.root / DELTA_PATH).exists() and (store.root / INDEX_PATH).exists()


def test_damaged_append_files_never_stop_a_reader(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Seeded byte damage (flips, cuts, inserted junk) to a delta and a shard log: every read
    still works, keeping the whole lines."""
    rng = np.random.default_rng(15)
    rows = index_table(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])).to_pylist()
    delta = b"".join(target_index.delta_line(row["id"], row) for row in rows) + target_index.delta_line(
        2, None
    )
    log_lines = b"".join(
        orjson.dumps({"id": i, "document": {"name": f"D{i}", "ra": float(i), "dec": 0.0}}) + b"\n"
        for i in (1, 257)
    )
    log_path = store.root / "db" / "targets" / "01.log.jsonl"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(150):
        damaged = [bytearray(delta), bytearray(log_lines)]
        for data in damaged:
            where = int(rng.integers(len(data)))
            kind = rng.integers(3)
            if kind == 0:
                data[where] = int(rng.integers(256))
            elif kind == 1:
                del data[where:]
            else:
                data[where:where] = bytes(rng.integers(0, 256, 5, dtype=np.uint8))
        with caplog.at_level(logging.ERROR):
            changes, _ = target_index.parse_delta(bytes(damaged[0]))
            index = TargetIndex(changes=changes)
            assert index.table.num_rows == len(index) <= 3
            index.cone(2.0, 5.0, 3600.0)
        log_path.write_bytes(bytes(damaged[1]))
        with store.read() as view:
            documents = targets.shard_documents(view, "targets/01")
            assert set(documents) <= {"1", "257"} and all(isinstance(d, dict) for d in documents.values())
