"""A frame's picture drawn with half blocks: each cell is ``▀`` with the upper pixel's grey as
its colour and the lower pixel's grey as its background, so a cell shows two square pixels.

The widget only draws: whoever owns it computes a :class:`PreviewImage` that fits
:attr:`FramePicture.cells` (the services do, in a worker) and hands it to :meth:`show`. When its
size changes it posts :class:`FramePicture.Resized` so the owner can compute a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from tom_tui.screens.formatting import visible
from tom_tui.services.reduction.preview import PreviewImage

UPPER_HALF = "▀"
# Cells with no finite pixel (outside the image, or masked) are drawn in this colour, apart from
# the black of a dark sky.
BLANK_RGB = (40, 0, 60)


def _grey(level: int) -> Color:
    return Color.from_rgb(level, level, level)


def picture_strips(image: PreviewImage, width: int) -> list[Strip]:
    """One strip per cell row, the picture centred in ``width`` columns."""
    levels, blank = image.levels, image.blank
    pad = max(0, (width - image.pixel_columns) // 2)
    blank_colour = Color.from_rgb(*BLANK_RGB)
    strips = []
    for top in range(0, image.pixel_rows, 2):
        segments = [Segment(" " * pad)] if pad else []
        has_lower = top + 1 < image.pixel_rows
        for column in range(image.pixel_columns):
            upper = blank_colour if blank[top, column] else _grey(int(levels[top, column]))
            lower = None
            if has_lower:
                lower = blank_colour if blank[top + 1, column] else _grey(int(levels[top + 1, column]))
            segments.append(Segment(UPPER_HALF, Style(color=upper, bgcolor=lower)))
        strips.append(Strip(segments).simplify())
    return strips


class FramePicture(Widget):
    """A frame drawn in the terminal (grey levels of its zscale stretch)."""

    DEFAULT_CSS = """
    FramePicture { width: 1fr; height: 1fr; }
    """

    @dataclass
    class Resized(Message):
        """The picture now has room for ``columns`` x ``rows`` cells."""

        picture: FramePicture
        columns: int
        rows: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.image: PreviewImage | None = None
        self._strips: list[Strip] = []
        self._placeholder = "drawing the frame…"

    @property
    def cells(self) -> tuple[int, int]:
        """The room the picture has, in cells (columns, rows)."""
        return self.size.width, self.size.height

    def show(self, image: PreviewImage) -> None:
        self.image = image
        self._strips = picture_strips(image, self.size.width)
        self.refresh()

    def show_text(self, text: str) -> None:
        """Say why there is no picture (a line of text in place of it)."""
        self.image, self._strips, self._placeholder = None, [], visible(text)
        self.refresh()

    def on_resize(self, event: object) -> None:
        width, height = self.cells
        if width > 0 and height > 0:
            self.post_message(self.Resized(self, width, height))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        if y == 0 and not self._strips:
            return Strip([Segment(self._placeholder[: self.size.width], Style(dim=True))])
        return Strip.blank(self.size.width)
