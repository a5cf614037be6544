"""Sites: the known observatories, parsed positions, and the JSON the CLI prints for them."""

from __future__ import annotations

import pytest

from tom_tui.domain.sites import KNOWN_SITES, Site, known_site, resolve_site


def test_known_sites_by_any_case_and_positions_in_range() -> None:
    assert known_site("  paranal ") is KNOWN_SITES["paranal"]
    assert resolve_site("MAUNA KEA").elevation_m == 4160.0
    for site in KNOWN_SITES.values():
        assert -90 <= site.latitude_deg <= 90 and -180 <= site.longitude_deg <= 180
    with pytest.raises(KeyError):
        known_site("Atlantis")


def test_longitudes_past_180_wrap_to_the_west() -> None:
    site = resolve_site("19.8, 204.53, 4200")
    assert site == Site("19.8, 204.53, 4200", 19.8, 204.53 - 360, 4200.0)


def test_json_keeps_the_published_keys() -> None:
    assert known_site("La Silla").to_json() == {
        "name": "La Silla",
        "lat": -29.2567,
        "lon": -70.7377,
        "height": 2400.0,
    }
