"""Observation requests as records: one request at one facility and everything that happened to
it, the named request templates, and cadences that repeat a request.

Times are ISO 8601 UTC strings, as stored; ``parameters`` are the facility's own request options.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class StatusChange:
    time: str
    status: str
    detail: str = ""


@dataclass
class ObservationRecord:
    """One request at one facility, and everything that happened to it."""

    id: int
    target_id: int
    target_name: str
    facility: str
    facility_id: str
    parameters: dict[str, Any]
    status: str
    submitted: str
    created: str
    modified: str
    terminal: bool = False
    failed: bool = False
    scheduled_start: str | None = None
    scheduled_end: str | None = None
    history: list[StatusChange] = field(default_factory=list)
    data_products: list[int] = field(default_factory=list)
    data_complete: bool = False
    template: str | None = None
    cadence_id: int | None = None
    rule: str | None = None
    last_error: str | None = None

    @property
    def is_open(self) -> bool:
        """Still worth polling: not finished, or finished with data not yet fetched."""
        return not self.terminal or (not self.failed and not self.data_complete)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, document: dict[str, Any], record_id: int) -> ObservationRecord:
        values = {key: document[key] for key in cls.__dataclass_fields__ if key in document}
        values["id"] = record_id
        values["history"] = [StatusChange(**change) for change in document.get("history", [])]
        return cls(**values)


@dataclass
class Template:
    """A named set of request options for one facility, applicable to any target."""

    name: str
    facility: str
    parameters: dict[str, Any]
    created: str
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Cadence:
    """Repeat a request every ``every_days`` until ``remaining`` reaches 0 or ``until`` passes."""

    id: int
    target_id: int
    facility: str
    parameters: dict[str, Any]
    every_days: float
    remaining: int
    next_due: str
    created: str
    until: str | None = None
    template: str | None = None
    active: bool = True
    observation_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
