"""Raw frames into the archive: each file is read, classified by an instrument profile and
stored once under ``raw/<telescope>/<night>/``, with its record in the frame index.

One file's problem never stops the others: :func:`import_frames` returns an outcome per file,
stored, already there (the same bytes are in the archive for that night) or refused with the
reason. Frames that ``obs update`` downloads come in through :func:`archive_downloaded_frame`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from tom_tui.adapters.instruments.base import FrameFileError, read_frame_header
from tom_tui.domain.clock import now_iso
from tom_tui.domain.frames import UNKNOWN_TELESCOPE, Detector, Frame, ImageType, raw_frame_path
from tom_tui.services.reduction.profiles import ProfileChooser
from tom_tui.store.dataproducts import sha256_of
from tom_tui.store.frames import FrameArchive
from tom_tui.store.store import Store
from tom_tui.store.transaction import Transaction

# Names a FITS file goes by (compressed ones included); other files in a folder are left alone.
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.fz", ".fit.fz", ".fits.gz", ".fit.gz", ".fts.gz")
# The header keywords `frames show` prints, when present.
SUMMARY_KEYWORDS = (
    "IMAGETYP",
    "OBSTYPE",
    "OBJECT",
    "FILTER",
    "EXPTIME",
    "DATE-OBS",
    "MJD-OBS",
    "TELESCOP",
    "INSTRUME",
    "NAXIS1",
    "NAXIS2",
    "XBINNING",
    "YBINNING",
    "CCDSUM",
    "BIASSEC",
    "TRIMSEC",
    "GAIN",
    "RDNOISE",
    "SATURATE",
)


class ImportStatus(StrEnum):
    """What importing one file did: stored it, found the same bytes already in that night, or
    refused it (the reason goes with it)."""

    STORED = "stored"
    ALREADY_THERE = "already there"
    REFUSED = "refused"


@dataclass(frozen=True)
class FrameImport:
    """What happened to one file: the stored (or already stored) frame, or why it was refused."""

    source: Path
    status: ImportStatus
    frame: Frame | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "status": self.status.value,
            "reason": self.reason,
            "frame": None if self.frame is None else self.frame.to_record(),
        }


@dataclass(frozen=True)
class FrameDetail:
    """A stored frame with what its file's header says and its detector values."""

    frame: Frame
    header: dict[str, Any]
    detector: Detector

    def to_json(self) -> dict[str, Any]:
        return {
            **self.frame.to_record(),
            "header": self.header,
            "detector": dataclasses.asdict(self.detector),
        }


def is_fits_name(path: Path) -> bool:
    return path.name.lower().endswith(FITS_SUFFIXES)


def frame_files(paths: Sequence[Path]) -> list[Path]:
    """The files to import: files as given, and the FITS files inside folders (recursively, in
    name order). A path that does not exist is kept, to be refused by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(item for item in path.rglob("*") if item.is_file() and is_fits_name(item)))
        else:
            found.append(path)
    return found


def _classified(path: Path, header: Any, chooser: ProfileChooser) -> Frame:
    try:
        return chooser.for_header(header).classify(header)
    except (ValueError, OverflowError) as error:  # a time the header states that is no time
        raise FrameFileError(f"{path}: the header cannot be read: {error}") from None


def _read(path: Path, chooser: ProfileChooser, telescope: str | None) -> tuple[Frame, str]:
    """The classified frame of ``path`` (not yet placed in the archive) and its SHA-256."""
    if not path.is_file():
        raise FrameFileError(f"{path}: no such file")
    header = read_frame_header(path)
    frame = _classified(path, header, chooser)
    folder = telescope or frame.telescope or UNKNOWN_TELESCOPE
    frame = dataclasses.replace(
        frame,
        telescope=folder,
        original_name=path.name,
        path=raw_frame_path(folder, frame.night, path.name),
    )
    return frame, sha256_of(path)


def import_frames(
    store: Store,
    paths: Sequence[Path],
    telescope: str | None = None,
    profile: str | None = None,
) -> list[FrameImport]:
    """Put frames into the archive, one outcome per file, in the order of :func:`frame_files`.

    ``telescope`` replaces the header's TELESCOP as the archive folder; ``profile`` names the
    instrument profile for every file (default: the one that claims each header). Refused:
    unreadable or corrupt files, and a different file already stored under the same name."""
    chooser = ProfileChooser(store.config, profile)
    files = frame_files(paths)
    outcomes: list[FrameImport | None] = [None] * len(files)
    readable: list[_Readable] = []
    # Headers are read and files hashed before the store is locked: that is the slow part.
    for index, path in enumerate(files):
        try:
            frame, sha256 = _read(path, chooser, telescope)
        except FrameFileError as error:
            outcomes[index] = FrameImport(path, ImportStatus.REFUSED, reason=str(error))
            continue
        readable.append(_Readable(index, path, frame, sha256))
    with store.transaction() as tx:
        for index, outcome in _archive(tx, readable):
            outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


@dataclass(frozen=True)
class _Readable:
    index: int  # position among the files of the import
    path: Path
    frame: Frame
    sha256: str


def _archive(tx: Transaction, readable: Sequence[_Readable]) -> Iterator[tuple[int, FrameImport]]:
    archive = FrameArchive(tx)
    stamp = now_iso()
    arriving: list[tuple[Frame, Path]] = []
    arriving_at: list[int] = []
    seen: dict[str, Frame] = {}
    for item in readable:
        stored = seen.get(item.sha256) or archive.with_content(item.sha256, item.frame.night)
        if stored is not None:
            why = (
                f"the same file is frame {stored.id}"
                if stored.id
                else "the same file is in this import twice"
            )
            yield item.index, FrameImport(item.path, ImportStatus.ALREADY_THERE, stored, why)
            continue
        rel = item.frame.path
        if tx.exists(rel) or any(frame.path == rel for frame, _ in arriving):
            reason = (
                f"{item.path}: a different file is already stored as {rel}; "
                "rename it or pass another --telescope"
            )
            yield item.index, FrameImport(item.path, ImportStatus.REFUSED, reason=reason)
            continue
        frame = dataclasses.replace(item.frame, sha256=item.sha256, imported=stamp)
        seen[item.sha256] = frame
        arriving.append((frame, item.path))
        arriving_at.append(item.index)
    added = archive.add(arriving)
    for index, (_, path), frame in zip(arriving_at, arriving, added, strict=True):
        yield index, FrameImport(path, ImportStatus.STORED, frame)


def archive_downloaded_frame(
    tx: Transaction,
    path: Path,
    rel: str,
    telescope: str,
    night: str,
    target_id: int | None = None,
    observation_id: int | None = None,
) -> Frame:
    """Store a file a facility delivered at ``rel`` (``raw/<telescope>/<night>/<name>``, as the
    facility names them) and index it. A file that is not a readable FITS image is still kept
    (it was delivered) and indexed as unknown, with the reason."""
    try:
        frame = _classified(path, read_frame_header(path), ProfileChooser.for_view(tx))
    except FrameFileError as error:
        frame = Frame(
            rel, telescope, "", night, None, None, None, ImageType.UNKNOWN, unknown_reason=str(error)
        )
    frame = dataclasses.replace(
        frame,
        path=rel,
        telescope=telescope,
        night=night,
        target_id=target_id,
        observation_id=observation_id,
        sha256=sha256_of(path),
        original_name=path.name,
        imported=now_iso(),
    )
    return FrameArchive(tx).add([(frame, path)])[0]


def list_frames(
    store: Store,
    telescope: str | None = None,
    night: str | None = None,
    image_type: ImageType | None = None,
) -> list[Frame]:
    """Stored frames by night and time, optionally of one telescope, night or type."""
    with store.read() as view:
        return FrameArchive(view).frames(telescope, night, image_type)


def frame_detail(store: Store, frame_id: int) -> FrameDetail:
    """Frame ``frame_id`` with the main keywords of its header and its detector values."""
    chooser = ProfileChooser(store.config)
    with store.read() as view:
        frame = FrameArchive(view).get(frame_id)
        try:
            header = read_frame_header(view.path(frame.path))
        except FrameFileError:
            return FrameDetail(frame, {}, Detector())
    summary = {keyword: _plain(header[keyword]) for keyword in SUMMARY_KEYWORDS if keyword in header}
    return FrameDetail(frame, summary, chooser.named(frame.profile).detector_for(header))


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def outcome_counts(outcomes: Sequence[FrameImport]) -> Mapping[str, int]:
    """How many files were stored, already there and refused."""
    return {status.value: sum(1 for item in outcomes if item.status is status) for status in ImportStatus}
