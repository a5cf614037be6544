"""A frame's field from its header WCS, and the tom-tui targets inside it.

The reference catalog of the field is :mod:`tom_tui.services.reduction.catalogs`' to find.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS

from tom_tui.domain.errors import ValidationError
from tom_tui.processing.reduction.astrometry import ReferenceCatalog
from tom_tui.processing.reduction.photometry import TargetPosition
from tom_tui.store.targets import TargetRepository

FIELD_MARGIN = 1.1  # look a little beyond the frame's corners


@dataclass(frozen=True)
class Field:
    """Where a frame points, from its header WCS: centre and the radius reaching its corners."""

    ra: float
    dec: float
    radius_deg: float


def field_of(header: Mapping[str, Any]) -> Field | None:
    """The field of a frame whose header has a celestial WCS, else None."""
    if not (header.get("CTYPE1") and header.get("CTYPE2")):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = WCS(header).celestial
        width, height = int(header.get("NAXIS1") or 0), int(header.get("NAXIS2") or 0)
        x = np.array([(width - 1) / 2, 0, width - 1, 0, width - 1])
        y = np.array([(height - 1) / 2, 0, 0, height - 1, height - 1])
        ra, dec = wcs.all_pix2world(x, y, 0)
    except Exception:  # a WCS astropy cannot use is as good as none
        return None
    if not (np.all(np.isfinite(ra)) and np.all(np.isfinite(dec))):
        return None
    centre_ra, centre_dec = math.radians(ra[0]), math.radians(dec[0])
    corners = np.degrees(
        np.arccos(
            np.clip(
                np.sin(centre_dec) * np.sin(np.radians(dec[1:]))
                + np.cos(centre_dec) * np.cos(np.radians(dec[1:])) * np.cos(np.radians(ra[1:]) - centre_ra),
                -1.0,
                1.0,
            )
        )
    )
    return Field(float(ra[0]), float(dec[0]), float(corners.max()) * FIELD_MARGIN)


def check_catalog_file(path: Path) -> None:
    """A catalog file the user names, read once before a run starts: ValidationError when it
    cannot be read or has no RA and Dec columns."""
    try:
        ReferenceCatalog.read(path)
    except (OSError, ValueError) as error:
        raise ValidationError(f"--catalog {path}: {error}") from None


def targets_in_field(repository: TargetRepository, header: Mapping[str, Any]) -> tuple[TargetPosition, ...]:
    """The tom-tui targets with a fixed position inside the frame's field (from its header WCS)."""
    where = field_of(header)
    if where is None:
        return ()
    index = repository.index
    matches = index.cone(where.ra, where.dec, where.radius_deg * 3600.0)
    targets = repository.get_many(match.target_id for match in matches)
    return tuple(
        TargetPosition(int(target.id), float(target.ra), float(target.dec))
        for target in targets
        if target.id is not None and target.ra is not None and target.dec is not None
    )
