"""A stored frame's picture for the terminal, with its whole header.

:func:`frame_preview` reads the frame's FITS file (the reduced product when the latest run made
one and it is asked for, else the raw frame) and shrinks its image to a grid of terminal cells
with a zscale stretch (:mod:`tom_tui.processing.plots.image_preview`). The screen only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tom_tui.adapters.instruments.base import FrameFileError, read_frame_header
from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.frames import Frame
from tom_tui.processing.plots.image_preview import PreviewImage, image_preview
from tom_tui.store.frames import FrameArchive
from tom_tui.store.reductions import ReductionArchive
from tom_tui.store.store import Store

__all__ = ["FramePreview", "HeaderCard", "PreviewImage", "file_preview", "frame_preview", "header_cards"]


@dataclass(frozen=True)
class HeaderCard:
    """One header line as text: keyword, value and comment (``HISTORY`` and ``COMMENT`` cards
    keep their text in ``value``)."""

    keyword: str
    value: str
    comment: str = ""


@dataclass(frozen=True)
class FramePreview:
    """What the frame detail shows of a file: the picture, every header card, and which file."""

    frame: Frame
    image: PreviewImage
    header: list[HeaderCard]
    file: str  # relative to the store root
    reduced: bool = False  # the reduced product rather than the raw frame


def header_cards(header: Any) -> list[HeaderCard]:
    """Every card of an ``astropy.io.fits.Header``, in order, as text."""
    cards = []
    for card in header.cards:
        value = card.value
        text = "" if value is None else ("T" if value is True else "F" if value is False else str(value))
        cards.append(HeaderCard(str(card.keyword), text, str(card.comment or "")))
    return cards


def _image_data(path: Path) -> np.ndarray:
    """The pixels of the first two-dimensional image in ``path`` (the one whose header
    :func:`read_frame_header` reads)."""
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdul:
            for hdu in hdul:
                if (
                    getattr(hdu, "is_image", False)
                    and hdu.header.get("NAXIS", 0) >= 2
                    and hdu.data is not None
                ):
                    data = np.asarray(hdu.data)
                    # A cube (several planes) previews its first plane.
                    return data if data.ndim == 2 else data[(0,) * (data.ndim - 2)]
    except Exception as error:  # a damaged file can fail anywhere inside astropy
        raise FrameFileError(f"{path}: the image cannot be read ({error})") from None
    raise FrameFileError(f"{path}: no two-dimensional image in any HDU")


def frame_preview(
    store: Store, frame_id: int, columns: int, rows: int, *, reduced: bool = False
) -> FramePreview:
    """Frame ``frame_id`` drawn in ``columns`` x ``rows`` terminal cells, with its header: the
    raw file, or with ``reduced`` the reduced frame the latest run made of it.

    A missing, truncated or corrupt file raises :class:`FrameFileError` naming it; asking for a
    reduced frame that no run made raises :class:`NotFoundError`."""
    with store.read() as view:
        frame = FrameArchive(view).get(frame_id)
        rel = frame.path
        if reduced:
            outcome = ReductionArchive(view).latest_outcomes().get(frame_id)
            if outcome is None or not outcome.reduced_path:
                raise NotFoundError(f"frame {frame_id} has no reduced frame yet; reduce its night first")
            rel = outcome.reduced_path
        path = view.path(rel)
    # Stored frame files are never written again: they are read without holding the store.
    image, header = file_preview(path, columns, rows)
    return FramePreview(frame, image, header, rel, reduced)


def file_preview(path: Path, columns: int, rows: int) -> tuple[PreviewImage, list[HeaderCard]]:
    """The first image of a FITS file drawn in ``columns`` x ``rows`` terminal cells, and the
    cards of its header; :class:`FrameFileError` names the file when it cannot be read."""
    header = read_frame_header(path)
    return image_preview(_image_data(path), columns, rows), header_cards(header)
