"""The raw frame archive: frame files under ``raw/<telescope>/<night>/`` and one Parquet index
per telescope and night, ``frames/<telescope>/<night>.parquet``, one row per frame.

The files are copied in byte for byte and never written again. A night's index is rewritten
when frames of that night arrive (once per import, whatever the number of frames), so a night
of thousands of frames costs one small write and listing a night reads one file. Anyone can
read the whole archive without tom-tui: ``pandas.read_parquet("STORE/frames")`` or DuckDB's
``'STORE/frames/*/*.parquet'``. Columns are :data:`FRAME_SCHEMA`; the same file content is
recognised by its SHA-256, looked up among the frames of the same night.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from tom_tui.domain.dataproducts import safe_file_name
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.frames import Frame, ImageType
from tom_tui.store.transaction import StoreView, Transaction

FRAMES_FOLDER = "frames"
FRAME_COUNTER = "frame"


def _field(name: str, kind: pa.DataType, description: str, unit: str = "") -> pa.Field:
    metadata = {"description": description, **({"unit": unit} if unit else {})}
    return pa.field(name, kind, metadata=metadata)


FRAME_SCHEMA = pa.schema(
    [
        _field("id", pa.int64(), "frame id (tom-tui frames show ID)"),
        _field("path", pa.string(), "the raw file, relative to the store root"),
        _field("original_name", pa.string(), "the file's name where it was imported from"),
        _field("sha256", pa.string(), "SHA-256 of the file's bytes"),
        _field("telescope", pa.string(), "telescope (folder of raw/)"),
        _field("instrument", pa.string(), "instrument (INSTRUME)"),
        _field("night", pa.string(), "observing night YYYYMMDD (date of the evening, UT noon to noon)"),
        _field("mjd", pa.float64(), "MJD, UTC (start of exposure)", "d"),
        _field("exposure_s", pa.float64(), "exposure time", "s"),
        _field("filter", pa.string(), "filter as the header names it (null: none)"),
        _field("image_type", pa.string(), "bias, dark, flat, light, arc, spectrum or unknown"),
        _field("unknown_reason", pa.string(), "why the type is unknown (empty otherwise)"),
        _field("object", pa.string(), "OBJECT"),
        _field("binning_x", pa.int32(), "binning along NAXIS1"),
        _field("binning_y", pa.int32(), "binning along NAXIS2"),
        _field("naxis1", pa.int32(), "image width", "pix"),
        _field("naxis2", pa.int32(), "image height", "pix"),
        _field("polarizer_deg", pa.float64(), "polarizer angle", "deg"),
        _field("hwp_deg", pa.float64(), "half-wave plate angle", "deg"),
        _field("target_id", pa.int64(), "tom-tui target, when known"),
        _field("observation_id", pa.int64(), "tom-tui observation request it came from"),
        _field("profile", pa.string(), "instrument profile that classified it"),
        _field("imported", pa.string(), "when it was archived, ISO 8601 UTC"),
    ]
)


def night_index_path(telescope: str, night: str) -> str:
    """Where the index of one telescope's night lives, relative to the store root."""
    return f"{FRAMES_FOLDER}/{safe_file_name(telescope)}/{safe_file_name(night)}.parquet"


def _row(frame: Frame) -> dict[str, Any]:
    binning = frame.binning or (None, None)
    size = frame.size or (None, None)
    return {
        "id": frame.id,
        "path": frame.path,
        "original_name": frame.original_name,
        "sha256": frame.sha256,
        "telescope": frame.telescope,
        "instrument": frame.instrument,
        "night": frame.night,
        "mjd": frame.mjd,
        "exposure_s": frame.exposure_s,
        "filter": frame.band,
        "image_type": frame.image_type.value,
        "unknown_reason": frame.unknown_reason,
        "object": frame.object_name,
        "binning_x": binning[0],
        "binning_y": binning[1],
        "naxis1": size[0],
        "naxis2": size[1],
        "polarizer_deg": frame.polarizer_deg,
        "hwp_deg": frame.hwp_deg,
        "target_id": frame.target_id,
        "observation_id": frame.observation_id,
        "profile": frame.profile,
        "imported": frame.imported,
    }


def _pair(first: Any, second: Any) -> tuple[int, int] | None:
    return None if first is None or second is None else (int(first), int(second))


def _frame(row: dict[str, Any]) -> Frame:
    return Frame(
        path=row["path"],
        telescope=row["telescope"] or "",
        instrument=row["instrument"] or "",
        night=row["night"],
        mjd=row["mjd"],
        exposure_s=row["exposure_s"],
        band=row["filter"],
        image_type=ImageType(row["image_type"]),
        object_name=row["object"] or "",
        target_id=row["target_id"],
        observation_id=row["observation_id"],
        unknown_reason=row["unknown_reason"] or "",
        binning=_pair(row["binning_x"], row["binning_y"]),
        size=_pair(row["naxis1"], row["naxis2"]),
        polarizer_deg=row["polarizer_deg"],
        hwp_deg=row["hwp_deg"],
        id=row["id"],
        sha256=row["sha256"] or "",
        original_name=row["original_name"] or "",
        profile=row["profile"] or "",
        imported=row["imported"] or "",
    )


class FrameArchive:
    """Frames kept in a store: read with any view, added inside a transaction."""

    def __init__(self, view: StoreView) -> None:
        self.view = view

    def night_files(self, telescope: str | None = None, night: str | None = None) -> list[str]:
        """Index files, optionally of one telescope and/or one night, in path order."""
        folders = (
            [f"{FRAMES_FOLDER}/{safe_file_name(telescope)}"]
            if telescope
            else self.view.list_dir(FRAMES_FOLDER)
        )
        files = [rel for folder in folders for rel in self.view.list_dir(folder) if rel.endswith(".parquet")]
        if night:
            files = [rel for rel in files if rel.rsplit("/", 1)[-1] == f"{safe_file_name(night)}.parquet"]
        return files

    def _read(self, rel: str) -> list[Frame]:
        table = self.view.read_parquet(rel)
        return [] if table is None else [_frame(row) for row in table.to_pylist()]

    def frames(
        self, telescope: str | None = None, night: str | None = None, image_type: ImageType | None = None
    ) -> list[Frame]:
        """Stored frames, by night, then start time, then id; optionally only some."""
        found = [frame for rel in self.night_files(telescope, night) for frame in self._read(rel)]
        if image_type is not None:
            found = [frame for frame in found if frame.image_type is image_type]
        return sorted(found, key=lambda frame: (frame.night, frame.mjd or 0.0, frame.id or 0))

    def get(self, frame_id: int) -> Frame:
        for rel in self.night_files():
            table = self.view.read_parquet(rel, filters=[("id", "=", frame_id)])
            if table is not None and table.num_rows:
                return _frame(table.to_pylist()[0])
        raise NotFoundError(f"frame {frame_id} does not exist; see `tom-tui frames list`")

    def with_content(self, sha256: str, night: str) -> Frame | None:
        """The stored frame of ``night`` (any telescope) whose file has this SHA-256, if any."""
        for rel in self.night_files(night=night):
            table = self.view.read_parquet(rel, filters=[("sha256", "=", sha256)])
            if table is not None and table.num_rows:
                return _frame(table.to_pylist()[0])
        return None

    def highest_id(self) -> int:
        highest = 0
        for rel in self.night_files():
            table = self.view.read_parquet(rel, columns=["id"])
            if table is not None and table.num_rows:
                highest = max(highest, *(value for value in table.column("id").to_pylist() if value))
        return highest

    def add(self, arrivals: Sequence[tuple[Frame, Path]]) -> list[Frame]:
        """Copy each file to its frame's ``path`` and index the frames, ids given here; each
        night's index is written once. The caller has checked that no ``path`` is taken."""
        tx = self._transaction()
        ids = tx.reserve_ids(FRAME_COUNTER, len(arrivals)) if arrivals else range(0)
        stored = [replace(frame, id=frame_id) for (frame, _), frame_id in zip(arrivals, ids, strict=True)]
        for frame, (_, source) in zip(stored, arrivals, strict=True):
            tx.copy_file_in(source, frame.path)
        by_night: dict[str, list[Frame]] = defaultdict(list)
        for frame in stored:
            by_night[night_index_path(frame.telescope, frame.night)].append(frame)
        for rel, frames in by_night.items():
            self._write(tx, rel, [*self._read(rel), *frames])
        return stored

    def _transaction(self) -> Transaction:
        if not isinstance(self.view, Transaction):
            raise PermissionError("adding frames needs a store transaction")
        return self.view

    @staticmethod
    def _write(tx: Transaction, rel: str, frames: Iterable[Frame]) -> None:
        ordered = sorted(frames, key=lambda frame: (frame.mjd or 0.0, frame.id or 0))
        table = pa.Table.from_pylist([_row(frame) for frame in ordered], schema=FRAME_SCHEMA)
        tx.write_parquet(rel, table)


def highest_frame_id(view: StoreView) -> int:
    """The highest frame id in the archive (for the id counter's check)."""
    return FrameArchive(view).highest_id()
