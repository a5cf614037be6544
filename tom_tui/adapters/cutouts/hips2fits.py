"""Survey images through CDS's hips2fits service (any HiPS survey: DSS2, Pan-STARRS, 2MASS...):
``GET {base_url}/hips-image-services/hips2fits`` with the HiPS name, centre, field of view (degrees),
size in pixels, a TAN projection and ``format=fits``; the answer is a FITS image whose header has
the WCS (north up, east left). Documented at https://alasky.cds.unistra.fr/hips-image-services/hips2fits.
"""

from __future__ import annotations

from astropy.io import fits

from tom_tui.adapters.cutouts.base import CutoutService, image_with_wcs
from tom_tui.adapters.http import HttpRequest

DEFAULT_BASE_URL = "https://alasky.cds.unistra.fr"
DEFAULT_SURVEY = "CDS/P/DSS2/red"


class Hips2FitsCutout(CutoutService):
    name = "hips2fits"
    label = "CDS hips2fits"

    @property
    def base_url(self) -> str:
        return str(self.settings.get("base_url", DEFAULT_BASE_URL)).rstrip("/")

    @property
    def survey(self) -> str:
        return str(self.settings.get("hips", DEFAULT_SURVEY))

    def request_for(self, ra: float, dec: float, fov_arcmin: float, pixels: int) -> HttpRequest:
        params = {
            "hips": self.survey,
            "ra": f"{ra:.7f}",
            "dec": f"{dec:.7f}",
            "fov": f"{fov_arcmin / 60.0:.6f}",
            "width": pixels,
            "height": pixels,
            "projection": "TAN",
            "coordsys": "icrs",
            "format": "fits",
        }
        return HttpRequest("GET", f"{self.base_url}/hips-image-services/hips2fits", params=params)

    def cutout(
        self, ra: float, dec: float, fov_arcmin: float, pixels: int
    ) -> fits.ImageHDU | fits.PrimaryHDU:
        request = self.request_for(ra, dec, fov_arcmin, pixels)
        response = self.client.send(request)
        return image_with_wcs(response.content, f"{self.label} ({self.survey})")
