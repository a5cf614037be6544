"""Choosing the instrument profile that reads a frame: the one the user names, else the first
installed or configured profile that claims the header (by TELESCOP / INSTRUME), else generic."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from tom_tui.adapters.instruments.base import InstrumentProfile
from tom_tui.domain.config import CONFIG_NAME
from tom_tui.services import plugins
from tom_tui.store.transaction import StoreView

GENERIC_PROFILE = "generic"


class ProfileChooser:
    """Profiles loaded once for a batch of frames."""

    def __init__(self, config: Mapping[str, Any] | None = None, profile: str | None = None) -> None:
        self.fixed = plugins.instrument_profile(profile, config) if profile else None
        names = plugins.instrument_profile_names(config) if profile is None else ()
        self.candidates = [
            plugins.instrument_profile(name, config) for name in names if name != GENERIC_PROFILE
        ]
        self.generic = plugins.instrument_profile(GENERIC_PROFILE, config)

    @classmethod
    def for_view(cls, view: StoreView, profile: str | None = None) -> ProfileChooser:
        """Profiles with the configuration of the store ``view`` looks at (already checked when
        the store was opened)."""
        raw = view.read_bytes(CONFIG_NAME)
        config = tomllib.loads(raw.decode("utf-8")) if raw else {}
        return cls(config, profile)

    def for_header(self, header: Mapping[str, Any]) -> InstrumentProfile:
        if self.fixed is not None:
            return self.fixed
        for candidate in self.candidates:
            if candidate.matches(header):
                return candidate
        return self.generic

    def named(self, name: str) -> InstrumentProfile:
        """The profile that classified a stored frame (generic when it is no longer installed)."""
        for candidate in (self.fixed, *self.candidates, self.generic):
            if candidate is not None and candidate.profile_name == name:
                return candidate
        return self.generic


def profile_summaries(config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every installed or configured profile, described (name order)."""
    return [
        plugins.instrument_profile(name, config).summary()
        for name in plugins.instrument_profile_names(config)
    ]
