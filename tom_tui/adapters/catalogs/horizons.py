"""JPL Horizons osculating elements (``GET {base_url}``, the Horizons API in text format), built and
parsed by astroquery's ``Horizons.elements``; elements at "now" become TOM Toolkit orbital fields."""

from __future__ import annotations

from typing import Any

import requests

from tom_tui.adapters.catalogs.base import Catalog, clean_name, term_aliases
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.clock import now_mjd
from tom_tui.domain.errors import AdapterError
from tom_tui.domain.units import JD_MINUS_MJD

HELIOCENTRE = "500@10"


def _horizons(term: str, epoch_jd: float) -> Any:
    from astroquery.jplhorizons import Horizons

    # "id;" selects a small body by name or designation (Horizons' own syntax), as astroquery does.
    return Horizons(id=term, location=HELIOCENTRE, epochs=epoch_jd, id_type="smallbody")


def elements_to_fields(row: Any, term: str) -> dict[str, Any]:
    """One astroquery elements row → TOM Toolkit fields (comets by eccentricity or designation)."""
    name = clean_name(row["targetname"])
    eccentricity = float(row["e"])
    is_comet = eccentricity >= 0.98 or "/" in name.split(" (")[0]
    fields: dict[str, Any] = {
        "name": name,
        "type": "NON_SIDEREAL",
        "scheme": "MPC_COMET" if is_comet else "MPC_MINOR_PLANET",
        "epoch_of_elements": float(row["datetime_jd"]) - JD_MINUS_MJD,
        "eccentricity": eccentricity,
        "inclination": float(row["incl"]),
        "lng_asc_node": float(row["Omega"]),
        "arg_of_perihelion": float(row["w"]),
        "perihdist": float(row["q"]),
        "epoch_of_perihelion": float(row["Tp_jd"]) - JD_MINUS_MJD,
        "extra": {"catalog": "JPL Horizons"},
    }
    if not is_comet:
        fields.update(
            mean_anomaly=float(row["M"]), semimajor_axis=float(row["a"]), mean_daily_motion=float(row["n"])
        )
    fields["aliases"] = term_aliases(term, name)
    return fields


class HorizonsCatalog(Catalog):
    name = "jpl_horizons"
    label = "JPL Horizons"
    default_base_url = "https://ssd.jpl.nasa.gov/api/horizons.api"
    sidereal = False

    def _epoch_jd(self) -> float:
        return round(now_mjd()) + JD_MINUS_MJD

    def request_for(self, term: str) -> HttpRequest:
        payload = dict(_horizons(term, self._epoch_jd()).elements(get_query_payload=True))
        return HttpRequest("GET", self.base_url, params=payload)

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        text = response.text
        if "No matches found" in text or "Unknown target" in text:
            return None
        horizons = _horizons(term, self._epoch_jd())
        horizons.query_type = "elements"
        try:
            table = horizons._parse_result(response)
        except (ValueError, IndexError, KeyError) as error:
            first = next((line for line in text.splitlines() if line.strip()), "")
            raise AdapterError(
                f"JPL Horizons: could not read elements for {term!r} ({error}; {first[:120]})"
            ) from None
        if len(table) == 0:
            return None
        return elements_to_fields(table[0], term)
