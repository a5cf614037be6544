"""Alert broker adapters, found through the ``tom_tui.brokers`` plugin group
(:mod:`tom_tui.services.plugins`).

Built-in brokers register there exactly as a third-party package would (see ``pyproject.toml``).
A store overrides a broker's settings (base URL, ...) in ``tom-tui.toml``::

    [brokers.alerce]
    base_url = "https://api.alerce.online/ztf/v1"
    lsst_base_url = "https://api-lsst.alerce.online"
"""

from __future__ import annotations

from tom_tui.adapters.brokers.base import Broker, GenericAlert

__all__ = ["Broker", "GenericAlert"]
