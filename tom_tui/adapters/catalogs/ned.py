"""NED object lookup (``GET {base_url}/objsearch``, VOTable answer); the parameters are the ones
astroquery's ``Ned.query_object`` sends."""

from __future__ import annotations

from typing import Any

import requests

from tom_tui.adapters.catalogs.base import Catalog, clean_name, sidereal_fields
from tom_tui.adapters.http import HttpRequest


class NedCatalog(Catalog):
    name = "ned"
    label = "NED"
    default_base_url = "https://ned.ipac.caltech.edu/cgi-bin"

    def request_for(self, term: str) -> HttpRequest:
        from astroquery.ipac.ned import Ned

        payload = dict(Ned.query_object(term, get_query_payload=True))
        return HttpRequest("GET", f"{self.base_url}/objsearch", params=payload)

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        if b"No object found" in response.content[:4000] or b"not currently recognized" in response.content:
            return None
        table = self.read_votable(response.content, use_names_over_ids=True)
        if len(table) == 0:
            return None
        row = table[0]
        name = clean_name(row["Object Name"])
        extra: dict[str, Any] = {"catalog": "NED", "ned_type": str(row["Type"]).strip()}
        if "Redshift" in table.colnames and row["Redshift"] is not None and str(row["Redshift"]) != "--":
            extra["redshift"] = float(row["Redshift"])
        return sidereal_fields(term, name, float(row["RA(deg)"]), float(row["DEC(deg)"]), extra)
