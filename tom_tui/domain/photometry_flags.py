"""Flagged photometry points: measurements a user marked as bad, with who, when and why.

A flag names its point the way duplicate detection does (target, MJD, band, telescope,
instrument, and the source for a point that names no facility), not by file or row, so a flag
outlives compaction, undo and the re-upload of the same file: whichever stored row is that
exposure is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

# The columns that identify a point to a flag (the same-exposure test of duplicate detection).
FLAG_IDENTITY_COLUMNS = ["target_id", "mjd", "filter", "telescope", "instrument", "source"]

FLAG_SCHEMA = pa.schema(
    [
        pa.field("target_id", pa.int64(), nullable=False),
        pa.field("mjd", pa.float64(), nullable=False),
        pa.field("filter", pa.string()),
        pa.field("telescope", pa.string()),
        pa.field("instrument", pa.string()),
        pa.field("source", pa.string()),
        pa.field("flagged_by", pa.string()),
        pa.field("flagged_at", pa.string()),  # ISO 8601, UTC
        pa.field("reason", pa.string()),
    ]
)


def empty_flags() -> pa.Table:
    return FLAG_SCHEMA.empty_table()


@dataclass(frozen=True)
class PointFlag:
    """One flagged point: which exposure, who flagged it, when (UTC) and why."""

    target_id: int
    mjd: float
    filter: str | None
    telescope: str | None
    instrument: str | None
    source: str | None
    flagged_by: str | None
    flagged_at: str | None
    reason: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PointFlag:
        return cls(
            target_id=int(row["target_id"]),
            mjd=float(row["mjd"]),
            filter=row.get("filter"),
            telescope=row.get("telescope"),
            instrument=row.get("instrument"),
            source=row.get("source"),
            flagged_by=row.get("flagged_by"),
            flagged_at=row.get("flagged_at"),
            reason=row.get("reason"),
        )

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FLAG_SCHEMA.names}
