"""A fixed store for screen tests (six targets and a comet, a pinned clock), and the app on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tom_tui.domain.target import build_target
from tom_tui.screens.app import TomApp
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository

FIXED_NOW = "2026-11-22T03:00:00+00:00"

# name, ra, dec, aliases, tags, lists, extras
SIDEREAL_TARGETS = [
    ("SN 2026abc", "10:00:00", "+20:00:00", ["ZTF26aaaaaaa"], ["sn"], ["tonight"], {"redshift": "0.031"}),
    ("SN 2026abd", 150.01, 20.005, [], ["sn", "priority"], ["tonight"], {"discovered": "2026-11-20"}),
    ("AT 2026xyz", 45.5, -12.25, ["Gaia26abc"], ["tde"], [], {"peak_mag": "17.2", "spectrum": "true"}),
    ("RR Lyr", 291.36621, 42.78436, ["HD 182989"], ["variable"], ["archive"], {"period_days": "0.5668"}),
    ("M 13", 250.42183, 36.46131, ["NGC 6205"], ["cluster"], ["archive"], {}),
    ("V404 Cyg", 306.01595, 33.86718, [], ["variable", "xrb"], [], {"notes": "outburst 2015"}),
]


def fixed_targets(count: int = 0) -> list:
    """The six named targets, then ``count`` more on a grid (deterministic names and places)."""
    targets = []
    for name, ra, dec, aliases, tags, lists, extra in SIDEREAL_TARGETS:
        fields = {"name": name, "ra": ra, "dec": dec, "aliases": aliases, "tags": tags, "lists": lists}
        targets.append(build_target({**fields, "extra": extra}))
    targets.append(
        build_target(
            {
                "name": "C/2025 K1",
                "scheme": "MPC_COMET",
                "epoch_of_elements": "61000",
                "inclination": "147.86",
                "lng_asc_node": "97.56",
                "arg_of_perihelion": "270.99",
                "eccentricity": "1.0002",
                "perihdist": "0.3337",
                "epoch_of_perihelion": "60980.5",
                "tags": ["comet"],
            }
        )
    )
    for number in range(count):
        targets.append(
            build_target(
                {
                    "name": f"GRID {number:05d}",
                    "ra": (number * 0.37) % 360,
                    "dec": -60 + (number * 0.11) % 120,
                    "tags": ["grid"] if number % 2 else [],
                }
            )
        )
    return targets


def make_store(path: Path, extra_targets: int = 0) -> Store:
    store = Store.init(path)
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        repo.insert_many(fixed_targets(extra_targets))
        repo.flush()
    return store


@pytest.fixture
def fixed_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pinned clock, UTC, and a home directory so the store shows as ``~/store``."""
    monkeypatch.setenv("TOM_TUI_NOW", FIXED_NOW)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))  # no one's own key remaps
    monkeypatch.delenv("TOM_TUI_LOW_BANDWIDTH", raising=False)
    return tmp_path


@pytest.fixture
def tui_store(fixed_env: Path) -> Store:
    return make_store(fixed_env / "store")


@pytest.fixture
def grid_store(fixed_env: Path) -> Store:
    """The fixed targets plus 300 more: enough to page and scroll."""
    return make_store(fixed_env / "store", extra_targets=300)


@pytest.fixture
def make_app(store: Store) -> Iterator[Callable[..., TomApp]]:
    def build(**options: object) -> TomApp:
        options.setdefault("low_bandwidth", True)  # no blinking cursor: deterministic screens
        return TomApp(store, **options)  # type: ignore[arg-type]

    yield build
