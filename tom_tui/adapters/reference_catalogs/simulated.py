"""The simulated sky's field stars as a reference catalog: exactly the stars the simulated
telescope draws on its frames, at the magnitudes it gives them in each band (AB)."""

from __future__ import annotations

from astropy.table import Table

from tom_tui.adapters.simulated.imaging import STAR_COLOUR, Camera

SIMULATED_TELESCOPE = Camera().telescope
DEFAULT_SKY_SEED = 2026  # the simulated facility's, unless [facilities.simulated] sky_seed says


def simulated_field_stars(ra: float, dec: float, radius_deg: float, band: str | None, sky_seed: int) -> Table:
    """Stars within ``radius_deg`` of (ra, dec): ``ra``, ``dec`` (deg) and ``mag`` in ``band``
    (r when the band is not one the simulator knows)."""
    from tom_tui.adapters.simulated.sky import SimulatedSky

    star_ra, star_dec, r_mag = SimulatedSky(seed=sky_seed).field_stars(ra, dec, radius_deg)
    colour = STAR_COLOUR.get(band or "r", 0.0)
    return Table({"ra": star_ra, "dec": star_dec, "mag": r_mag + colour})
