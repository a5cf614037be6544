"""Gaia DR3 stars around a position, from the ESA Gaia archive's TAP service.

One synchronous ADQL query per field (the request astroquery's ``Gaia.launch_job`` makes, sent
through tom-tui's one HTTP client so that it has its timeouts, retries and limits): the cone
(``CONTAINS(POINT, CIRCLE)``), brighter than a limit, brightest first, at most ``row_limit``
stars. astroquery's own ``cone_search`` orders by distance, so its row limit would cut the
field's edge rather than its faint end, which is why the query is written here. The archive's
address can be changed (a mirror, or a recorded answer in tests).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from astropy.table import Table

from tom_tui.adapters.http import HttpClient, HttpRequest
from tom_tui.domain.errors import AdapterError

DEFAULT_GAIA_URL = "https://gea.esac.esa.int/"
GAIA_TABLE = "gaiadr3.gaia_source"
GAIA_EPOCH = 2016.0  # Gaia DR3 positions are at epoch J2016.0 (TCB)
# The columns kept: positions and their epoch motion, and the three magnitudes with G's precision.
GAIA_COLUMNS = (
    "source_id",
    "ra",
    "dec",
    "pmra",
    "pmdec",
    "phot_g_mean_mag",
    "phot_g_mean_flux_over_error",
    "phot_bp_mean_mag",
    "phot_rp_mean_mag",
)
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_ROW_LIMIT = 5000
DEFAULT_FAINTEST_G = 20.0


def cone_query(ra: float, dec: float, radius_deg: float, faintest_g: float, row_limit: int) -> str:
    """The ADQL of a cone of Gaia DR3 stars brighter than ``faintest_g``, brightest first."""
    return (
        f"SELECT TOP {int(row_limit)} {', '.join(GAIA_COLUMNS)} FROM {GAIA_TABLE} "
        f"WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra:.8f}, {dec:.8f}, {radius_deg:.8f})) "
        f"AND phot_g_mean_mag < {faintest_g:.2f} ORDER BY phot_g_mean_mag ASC"
    )


@dataclass(frozen=True)
class GaiaArchive:
    """The Gaia archive at ``base_url`` (its TAP service is ``<base_url>tap-server/tap``)."""

    base_url: str = DEFAULT_GAIA_URL
    timeout_s: float = DEFAULT_TIMEOUT_S
    row_limit: int = DEFAULT_ROW_LIMIT
    client: HttpClient | None = None

    def request_for(self, query: str) -> HttpRequest:
        """The TAP synchronous query astroquery's ``launch_job`` sends, sent by the one client."""
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AdapterError(f"Gaia archive URL {self.base_url!r} is not an http(s) address")
        url = f"{self.base_url.rstrip('/')}/tap-server/tap/sync"
        form = {"REQUEST": "doQuery", "LANG": "ADQL", "FORMAT": "ecsv", "PHASE": "RUN", "QUERY": query}
        # A TAP query changes nothing at the archive: it may be sent again after a dropped line.
        return HttpRequest("POST", url, data=form, repeatable=True)

    def cone(self, ra: float, dec: float, radius_deg: float, faintest_g: float = DEFAULT_FAINTEST_G) -> Table:
        """Gaia DR3 stars within ``radius_deg`` of (ra, dec), brighter than G = ``faintest_g``:
        the columns of :data:`GAIA_COLUMNS`. AdapterError in one sentence when the archive cannot
        be reached or answers with an error."""
        request = self.request_for(cone_query(ra, dec, radius_deg, faintest_g, self.row_limit))
        client = self.client or HttpClient(timeout=self.timeout_s, deadline=self.timeout_s * 2)
        try:
            response = client.send(request)
        except AdapterError as error:
            raise AdapterError(
                f"the Gaia archive at {self.base_url} did not answer the cone search ({error}); "
                "try again later, or give a catalog file with --catalog FILE"
            ) from None
        try:
            table = Table.read(response.text, format="ascii.ecsv")
        except Exception as error:  # astropy raises several kinds on a malformed table
            raise AdapterError(
                f"the Gaia archive at {self.base_url} answered with something that is not an ECSV "
                f"table ({type(error).__name__})"
            ) from None
        missing = [name for name in ("ra", "dec", "phot_g_mean_mag") if name not in table.colnames]
        if missing:
            raise AdapterError(
                f"the Gaia archive at {self.base_url} answered without the columns {', '.join(missing)}"
            )
        return Table(table, masked=False) if not isinstance(table, Table) else table
