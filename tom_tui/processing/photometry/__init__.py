"""Photometry: readers for the common file formats, normalised into one Arrow schema."""

from __future__ import annotations

from pathlib import Path

from tom_tui.processing.photometry.normalise import NormalisedPhotometry, ReadOptions, normalise
from tom_tui.processing.photometry.readers import PhotometryFormat, read_raw

__all__ = ["NormalisedPhotometry", "PhotometryFormat", "ReadOptions", "read_photometry"]


def read_photometry(path: Path, options: ReadOptions | None = None) -> NormalisedPhotometry:
    """Read any supported photometry file into the measurement schema of :mod:`tom_tui.domain.photometry`."""
    options = options or ReadOptions()
    raw = read_raw(path, options.format)
    return normalise(raw, options)
