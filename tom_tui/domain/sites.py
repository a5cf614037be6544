"""Observing sites: where on Earth a telescope stands.

Positions are geodetic (WGS84): latitude in degrees north, longitude in degrees east in
[-180, 180], elevation in metres above the ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    """A named place on Earth (geodetic latitude/longitude in degrees, elevation in metres)."""

    name: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float = 0.0

    def to_json(self) -> dict[str, str | float]:
        """The site as the CLI prints it (``--json``): name, lat, lon, height."""
        return {
            "name": self.name,
            "lat": self.latitude_deg,
            "lon": self.longitude_deg,
            "height": self.elevation_m,
        }


# Observatories by their usual names (geodetic positions from the observatories / astropy's list),
# so planning works offline; any other place is given as "lat,lon,height".
KNOWN_SITES: dict[str, Site] = {
    site.name.lower(): site
    for site in (
        Site("Roque de los Muchachos", 28.7606, -17.8792, 2326.0),
        Site("Teide", 28.3002, -16.5117, 2330.0),
        Site("Calar Alto", 37.2236, -2.5463, 2168.0),
        Site("Paranal", -24.6272, -70.4045, 2635.0),
        Site("La Silla", -29.2567, -70.7377, 2400.0),
        Site("Cerro Tololo", -30.1690, -70.8063, 2207.0),
        Site("Cerro Pachon", -30.2407, -70.7366, 2715.0),
        Site("Las Campanas", -29.0146, -70.6926, 2380.0),
        Site("Mauna Kea", 19.8261, -155.4700, 4160.0),
        Site("Haleakala", 20.7069, -156.2571, 3037.0),
        Site("Kitt Peak", 31.9583, -111.5967, 2120.0),
        Site("Palomar", 33.3563, -116.8650, 1706.0),
        Site("McDonald", 30.6797, -104.0248, 2075.0),
        Site("Apache Point", 32.7803, -105.8203, 2798.0),
        Site("Lick", 37.3414, -121.6429, 1283.0),
        Site("Siding Spring", -31.2733, 149.0711, 1116.0),
        Site("Sutherland", -32.3806, 20.8101, 1460.0),
        Site("Wise", 30.5958, 34.7633, 875.0),
    )
}


def known_site(name: str) -> Site:
    """One of :data:`KNOWN_SITES` by name (any case); KeyError if it is not one."""
    return KNOWN_SITES[name.strip().lower()]


def resolve_site(text: str) -> Site:
    """A site from a known observatory name or ``lat,lon[,height]``; ValueError otherwise."""
    cleaned = text.strip()
    known = KNOWN_SITES.get(cleaned.lower())
    if known is not None:
        return known
    parts = [part.strip() for part in cleaned.split(",")]
    if len(parts) in (2, 3):
        try:
            lat, lon = float(parts[0]), float(parts[1])
            height = float(parts[2]) if len(parts) == 3 else 0.0
        except ValueError:
            pass
        else:
            if not (-90 <= lat <= 90 and -180 <= lon <= 360):
                raise ValueError(f"site {text!r}: latitude must be in [-90, 90] and longitude in [-180, 360]")
            return Site(cleaned, lat, lon if lon <= 180 else lon - 360, height)
    names = ", ".join(site.name for site in KNOWN_SITES.values())
    raise ValueError(f"site {text!r} is not known; give LAT,LON,HEIGHT or one of: {names}")
