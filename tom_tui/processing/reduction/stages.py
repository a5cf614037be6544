"""The one interface of a reduction step, and the frame it works on.

A stage takes a :class:`ReductionFrame` and returns it, changed; when the frame cannot go on (no
stars, no astrometric match, a master of another size) the stage raises :class:`StageFailure`
and :meth:`Stage.__call__` turns it into a flag and a reason on the frame, logged, and the later
stages leave the frame alone. A run reduces the other frames and reports the dropped ones.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.wcs import WCS, FITSFixedWarning

from tom_tui.domain.reduction import FrameFlag

logger = logging.getLogger(__name__)

__all__ = ["BoolArray", "FrameFlag", "ReductionFrame", "Stage", "StageFailure", "run_stages"]

BoolArray = npt.NDArray[np.bool_]


class StageFailure(Exception):
    """A frame cannot go through a stage: ``flag`` says what kind of problem, the message why."""

    def __init__(self, flag: FrameFlag, reason: str) -> None:
        super().__init__(reason)
        self.flag = flag
        self.reason = reason


@dataclass
class ReductionFrame:
    """A frame on its way through the stages: the pixels and what the stages learnt about them.

    ``ccd`` holds the data (ADU when raw, electrons once calibrated) with its uncertainty and
    mask; ``saturated`` marks pixels at or above the camera's saturation level in the raw frame
    (kept apart from ``ccd.mask`` so that photometry can name why a star is flagged);
    ``results`` gathers what later stages read (FWHM, the fitted WCS, the zero point...).
    """

    ccd: CCDData
    name: str = ""
    saturated: BoolArray | None = None
    flags: FrameFlag = FrameFlag.NONE
    reasons: list[str] = field(default_factory=list)
    dropped: bool = False
    history: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hdu(
        cls, hdu: fits.PrimaryHDU | fits.ImageHDU, name: str = "", unit: str = "adu"
    ) -> ReductionFrame:
        """A frame from a FITS image HDU: its pixels, its header, and its WCS if the header has one."""
        header = hdu.header.copy()
        if name and "FILENAME" not in header:
            header["FILENAME"] = (name, "file the frame was read from")
        wcs = None
        if header.get("CTYPE1") and header.get("CTYPE2"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FITSFixedWarning)
                wcs = WCS(header)
        if hdu.data is None:
            raise ValueError(f"{name or 'the file'} has no image in its first HDU; expected a CCD frame")
        return cls(ccd=CCDData(hdu.data, meta=header, unit=header.get("BUNIT", unit), wcs=wcs), name=name)

    def flag(self, flag: FrameFlag, reason: str) -> None:
        """Keep a warning on the frame without stopping it."""
        self.flags |= flag
        self.reasons.append(reason)
        logger.warning("%s: %s", self.name or "frame", reason)

    def drop(self, failure: StageFailure) -> None:
        self.flags |= failure.flag
        self.reasons.append(failure.reason)
        self.dropped = True
        logger.warning("%s dropped: %s", self.name or "frame", failure.reason)


class Stage(ABC):
    """One reduction step.

    Subclasses implement :meth:`run`: change the frame (or return a new one) and return it, or
    raise :class:`StageFailure` with a flag and a one-sentence reason. They never write files or
    read the store; what they need (masters, catalogs, camera constants) is given to them.
    """

    name: str = "stage"

    def __call__(self, frame: ReductionFrame) -> ReductionFrame:
        if frame.dropped:
            return frame
        try:
            done = self.run(frame)
        except StageFailure as failure:
            frame.drop(failure)
            return frame
        done.history.append(self.name)
        return done

    @abstractmethod
    def run(self, frame: ReductionFrame) -> ReductionFrame:
        """The stage's work on one frame; see the class docstring for the contract."""


def run_stages(frame: ReductionFrame, stages: Iterable[Stage]) -> ReductionFrame:
    """The frame after every stage in turn; a dropped frame passes through the rest untouched."""
    for stage in stages:
        frame = stage(frame)
    return frame
