"""The raw frame archive: files copied in unchanged, one Parquet index per telescope and night,
readable without tom-tui, and the same content found again by its SHA-256."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy.io import fits

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.frames import Frame, ImageType, raw_frame_path
from tom_tui.store.dataproducts import sha256_of
from tom_tui.store.frames import FrameArchive, night_index_path
from tom_tui.store.store import Store

RAW = Path(__file__).resolve().parents[1] / "data" / "images" / "raw"
FILES = ["msumastro_darktest1.fit", "msumastro_biastest2.fit", "msumastro_maximdl_5_23_light_B.fit"]


def _arrival(name: str) -> tuple[Frame, Path]:
    source = RAW / name
    frame = Frame.from_header(fits.getheader(source))
    frame = dataclasses.replace(frame, original_name=name, sha256=sha256_of(source), profile="generic")
    return dataclasses.replace(frame, path=raw_frame_path(frame.telescope, frame.night, name)), source


def test_frames_are_stored_indexed_by_night_and_read_back(store: Store) -> None:
    with store.transaction() as tx:
        added = FrameArchive(tx).add([_arrival(name) for name in FILES])
    assert [frame.id for frame in added] == [1, 2, 3]
    with store.read() as view:
        archive = FrameArchive(view)
        assert archive.night_files() == [
            night_index_path("FEDER", "20131015"),
            night_index_path("Feder", "20120205"),
        ]
        assert [frame.original_name for frame in archive.frames(night="20120205")] == [
            "msumastro_biastest2.fit",  # 03:04 UT, before the dark's 11:45 UT
            "msumastro_darktest1.fit",
        ]
        assert archive.get(3) == added[2]
        assert [frame.id for frame in archive.frames(image_type=ImageType.DARK)] == [1]
        assert view.read_bytes(added[0].path) == (RAW / FILES[0]).read_bytes()
        assert archive.with_content(added[1].sha256, "20120205") == added[1]
        assert archive.with_content(added[1].sha256, "20131015") is None
        with pytest.raises(NotFoundError, match="frame 9 does not exist"):
            archive.get(9)


def test_the_index_is_readable_without_tom_tui(store: Store) -> None:
    with store.transaction() as tx:
        FrameArchive(tx).add([_arrival(name) for name in FILES])
    table = pd.read_parquet(store.root / "frames")
    assert sorted(table["image_type"]) == ["bias", "dark", "light"]
    light = table[table["image_type"] == "light"].iloc[0]
    assert (light["filter"], light["exposure_s"], light["naxis1"], light["naxis2"]) == ("B", 90.0, 200, 100)
    schema = pq.read_schema(store.root / night_index_path("FEDER", "20131015"))
    assert schema.field("mjd").metadata[b"unit"] == b"d"
    assert b"UTC" in schema.field("mjd").metadata[b"description"]


def test_frame_ids_are_never_reused_when_the_counters_file_is_lost(store: Store) -> None:
    with store.transaction() as tx:
        FrameArchive(tx).add([_arrival(FILES[0])])
    (store.root / "state" / "counters.json").unlink()
    with store.transaction() as tx:
        assert FrameArchive(tx).add([_arrival(FILES[1])])[0].id == 2
