"""Records of what the store keeps for a target: data products (uploaded or fetched files),
photometry uploads (one per file or batch of rows, so each can be undone) and spectra.

Paths are relative to the store root; times are ISO 8601 UTC strings except ``mjd`` (MJD, UTC).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_NAME_LENGTH = 120


def safe_file_name(original: str) -> str:
    """A file name that can be joined to a store folder without escaping it."""
    base = re.split(r"[\\/]", original)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    cleaned = cleaned[-MAX_NAME_LENGTH:] if len(cleaned) > MAX_NAME_LENGTH else cleaned
    return cleaned or "file"


@dataclass
class DataProduct:
    """A file kept for a target: its type (photometry, spectroscopy, image_file, other...) and
    where the store holds its copy."""

    id: int
    target_id: int
    type: str
    path: str  # relative to the store root
    original_name: str
    sha256: str
    size: int
    created: str
    observation_id: str | None = None
    groups: list[str] = field(default_factory=list)
    upload_id: int | None = None
    spectrum_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # what the processor found

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PhotometryUpload:
    """One import of photometry rows (from a file or a broker), so it can be listed and undone."""

    id: int
    target_ids: list[int]
    rows: int
    created: str
    product_id: int | None = None
    source: str | None = None
    skipped: int = 0
    replaced: int = 0
    policy: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SpectrumRecord:
    """One stored spectrum: where its table is, its units and when and where it was taken."""

    id: int
    target_id: int
    path: str
    points: int
    wavelength_unit: str
    flux_unit: str | None
    mjd: float | None
    date_obs: str | None
    telescope: str | None
    instrument: str | None
    product_id: int | None = None
    wavelength_min: float | None = None
    wavelength_max: float | None = None
    has_errors: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
