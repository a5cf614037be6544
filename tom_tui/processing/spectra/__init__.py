"""Spectra: readers for text, CSV and FITS 1-D spectra into one model that keeps units."""

from __future__ import annotations

from tom_tui.domain.spectra import SPECTRUM_SCHEMA, Spectrum
from tom_tui.processing.spectra.readers import SpectrumOptions, read_spectra, read_spectrum

__all__ = ["SPECTRUM_SCHEMA", "Spectrum", "SpectrumOptions", "read_spectra", "read_spectrum"]
