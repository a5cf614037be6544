"""The one interface of an image-cutout service (plugins in the ``tom_tui.cutouts`` group).

A service answers one question: the sky around (``ra``, ``dec``), ``fov_arcmin`` across, as an
image of ``pixels`` x ``pixels`` with a celestial WCS in its header. A service that cannot answer
raises :class:`~tom_tui.domain.errors.AdapterError` with one sentence naming what went wrong.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from astropy.io import fits
from astropy.wcs import WCS

from tom_tui.adapters.http import HttpClient
from tom_tui.domain.errors import AdapterError


class CutoutService(ABC):
    """A source of sky images; ``settings`` come from ``[cutouts.NAME]`` in tom-tui.toml."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, settings: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        self.settings = dict(settings or {})
        self.client = client or HttpClient(timeout=60.0)

    @abstractmethod
    def cutout(
        self, ra: float, dec: float, fov_arcmin: float, pixels: int
    ) -> fits.ImageHDU | fits.PrimaryHDU:
        """The image of the field, with its WCS in the header."""


def image_with_wcs(content: bytes, where: str) -> fits.PrimaryHDU | fits.ImageHDU:
    """The first image HDU of a FITS answer that has a celestial WCS, or one sentence why not."""
    try:
        with fits.open(io.BytesIO(content)) as hdus:
            for hdu in hdus:
                if getattr(hdu, "data", None) is not None and hdu.data.ndim == 2:
                    if not WCS(hdu.header).has_celestial:
                        raise AdapterError(f"{where}: the image has no celestial WCS in its header")
                    return fits.PrimaryHDU(hdu.data.astype("float32"), hdu.header.copy())
    except (OSError, ValueError, TypeError) as error:
        raise AdapterError(f"{where}: the answer is not a FITS image ({error})") from None
    raise AdapterError(f"{where}: the answer holds no two-dimensional image")
