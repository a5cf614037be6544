"""SIMBAD through its TAP service (``POST {base_url}/sync``, ADQL, VOTable answer); the query is
the one astroquery's ``Simbad.query_object`` sends."""

from __future__ import annotations

from typing import Any

import requests

from tom_tui.adapters.catalogs.base import Catalog, clean_name, sidereal_fields
from tom_tui.adapters.http import HttpRequest


class SimbadCatalog(Catalog):
    name = "simbad"
    label = "SIMBAD"
    default_base_url = "https://simbad.cds.unistra.fr/simbad/sim-tap"

    def request_for(self, term: str) -> HttpRequest:
        from astroquery.simbad import SimbadClass

        simbad = SimbadClass()
        # astroquery asks the service for its row limit before building a query; a fixed limit
        # keeps query building offline (dry runs must not touch the network).
        simbad._hardlimit = 2000
        payload = dict(simbad.query_object(term, get_query_payload=True))
        payload.update(FORMAT="votable", MAXREC=10)
        return HttpRequest("POST", f"{self.base_url}/sync", data=payload, repeatable=True)

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        table = self.read_votable(response.content)
        if len(table) == 0:
            return None
        row = table[0]
        main_id = clean_name(row["main_id"])
        return sidereal_fields(term, main_id, float(row["ra"]), float(row["dec"]), {"catalog": "SIMBAD"})
