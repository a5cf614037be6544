"""Catalog adapters (name → target), found through the ``tom_tui.catalogs`` plugin group
(:mod:`tom_tui.services.plugins`)."""

from __future__ import annotations

from tom_tui.adapters.catalogs.base import Catalog

# The order names are tried in when no catalog is chosen.
DEFAULT_ORDER = ("simbad", "ned", "tns", "mpc", "jpl_horizons")

__all__ = ["DEFAULT_ORDER", "Catalog"]
