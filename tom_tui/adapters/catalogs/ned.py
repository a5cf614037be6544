"""NED object lookup (``GET {base_url}/objsearch``, VOTable answer); the parameters are the ones
astroquery's ``Ned.query_object`` sends."""

from __future__ import annotations

import io
from typing import Any

import requests

from tom_tui.adapters.catalogs.base import Catalog, clean_name
from tom_tui.adapters.http import HttpRequest
from tom_tui.domain.errors import AdapterError


class NedCatalog(Catalog):
    name = "ned"
    label = "NED"
    default_base_url = "https://ned.ipac.caltech.edu/cgi-bin"

    def request_for(self, term: str) -> HttpRequest:
        from astroquery.ipac.ned import Ned

        payload = dict(Ned.query_object(term, get_query_payload=True))
        return HttpRequest("GET", f"{self.base_url}/objsearch", params=payload)

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        from astropy.io.votable import parse

        if b"No object found" in response.content[:4000] or b"not currently recognized" in response.content:
            return None
        try:
            tables = parse(io.BytesIO(response.content)).get_first_table().to_table(use_names_over_ids=True)
        except Exception as error:
            raise AdapterError(f"NED: answer is not a VOTable ({type(error).__name__})") from None
        if len(tables) == 0:
            return None
        row = tables[0]
        name = clean_name(row["Object Name"])
        extra: dict[str, Any] = {"catalog": "NED", "ned_type": str(row["Type"]).strip()}
        if "Redshift" in tables.colnames and row["Redshift"] is not None and str(row["Redshift"]) != "--":
            extra["redshift"] = float(row["Redshift"])
        aliases = [clean_name(term)] if clean_name(term).lower() != name.lower() else []
        return {
            "name": name,
            "ra": float(row["RA(deg)"]),
            "dec": float(row["DEC(deg)"]),
            "aliases": aliases,
            "extra": extra,
        }
