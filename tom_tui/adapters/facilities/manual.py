"""Observations made outside any API (classical nights, a friend's telescope).

tom-tui records the request; the observer sets its status by hand (``tom-tui obs status``) and
adds the frames by hand (``tom-tui obs attach``). Nothing is ever sent anywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from tom_tui.adapters.facilities.base import (
    DataProduct,
    Facility,
    ObservationRequest,
    StatusReport,
    SubmittedObservation,
)
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.options import Option
from tom_tui.domain.sites import Site


class ManualFacility(Facility):
    name: ClassVar[str] = "manual"
    description: ClassVar[str] = "Observations made by hand; status and data entered by the observer"
    statuses: ClassVar[tuple[str, ...]] = (
        "PENDING",
        "SCHEDULED",
        "IN_PROGRESS",
        "COMPLETED",
        "FAILED",
        "CANCELED",
    )
    terminal_states: ClassVar[frozenset[str]] = frozenset({"COMPLETED", "FAILED", "CANCELED"})
    failed_states: ClassVar[frozenset[str]] = frozenset({"FAILED", "CANCELED"})
    delivers_data: ClassVar[bool] = False

    @property
    def options(self) -> Sequence[Option]:
        return (
            Option("telescope", "str", None, "telescope name (e.g. NOT, INT)", required=True),
            Option("instrument", "str", "", "instrument"),
            Option("filters", "str", "", "filters or grating"),
            Option("exposure_time", "float", None, "seconds per exposure", minimum=0.0),
            Option("exposure_count", "int", 1, "number of exposures", minimum=1),
            Option("start", "datetime", None, "planned start, UTC"),
            Option("end", "datetime", None, "planned end, UTC"),
            Option("notes", "str", "", "free text"),
        )

    def sites(self) -> list[Site]:
        return []

    def validate(self, request: ObservationRequest) -> list[str]:
        start, end = request.parameters.get("start"), request.parameters.get("end")
        if start and end and end <= start:
            return [f"end: {end.isoformat()} is not after start {start.isoformat()}"]
        return []

    def submit(self, request: ObservationRequest) -> str:
        return f"MAN-{uuid.uuid4().hex[:10]}"

    def cancel(self, observation: SubmittedObservation) -> str:
        return "CANCELED"

    def update_status(self, observation: SubmittedObservation) -> StatusReport:
        # Only the observer knows: the status stays what was last set by hand.
        return StatusReport(observation.status or "PENDING")

    def data_products(self, observation: SubmittedObservation) -> list[DataProduct]:
        return []  # frames arrive through `tom-tui obs attach`

    def download(self, observation: SubmittedObservation, product: DataProduct, destination: Path) -> None:
        raise AdapterError("the manual facility has nothing to download; add files with `tom-tui obs attach`")
