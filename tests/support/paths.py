"""Where the recorded real data lives (tests/data), whatever folder a test sits in."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
ALERTS = DATA / "alerts"
BROKERS = DATA / "brokers"
CATALOGS = DATA / "catalogs"
PHOTOMETRY = DATA / "photometry"
SPECTRA = DATA / "spectra"
LCO = DATA / "facilities" / "lco"
HORIZONS = DATA / "facilities" / "horizons"
