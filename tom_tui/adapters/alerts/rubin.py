"""Rubin (LSST) sources as measurements: one mapping for alert packets and every broker relaying them.

A Rubin ``diaSource`` or ``diaForcedSource`` (alert schema 10.0 and later,
https://github.com/lsst/alert_packet) carries:

- ``midpointMjdTai``: the mid-exposure time as an MJD in TAI (brokers such as ALeRCE relay it as
  ``mjd``); stored as UTC, 37 s earlier since 2017.
- ``band``: u, g, r, i, z or y.
- ``psfFlux``/``psfFluxErr``: the PSF flux on the difference image in nJy, signed: a negative
  flux is a source fainter than in the template. Stored in µJy with the sign kept: a negative
  difference source is flagged ``negative_subtraction`` with a 5-sigma limit and no magnitude.
  A forced measurement below 3 sigma is an upper limit (5 sigma) next to its measured flux.
"""

from __future__ import annotations

from typing import Any

from tom_tui.domain.photometry import DETECTION_SNR, LIMIT_SIGMA, finite_or_none
from tom_tui.domain.units import flux_to_mag, tai_to_utc_mjd

RUBIN_TELESCOPE = "Rubin"
RUBIN_INSTRUMENT = "LSSTCam"
NJY_PER_UJY = 1000.0


def rubin_measurement(
    mjd_tai: float, band: str, psf_flux_njy: Any, psf_flux_err_njy: Any, *, forced: bool
) -> dict[str, Any]:
    """A measurement-schema row (without ``source``) from a Rubin source's fields."""
    flux_njy, fluxerr_njy = finite_or_none(psf_flux_njy), finite_or_none(psf_flux_err_njy)
    flux = None if flux_njy is None else flux_njy / NJY_PER_UJY
    fluxerr = None if fluxerr_njy is None else fluxerr_njy / NJY_PER_UJY
    mag, magerr = flux_to_mag(flux, fluxerr)
    negative = not forced and flux is not None and flux < 0
    significance = None if flux is None or not fluxerr else flux / fluxerr
    below_threshold = forced and significance is not None and significance < DETECTION_SNR
    limit = None
    if negative or below_threshold:
        mag = magerr = None
        limit = flux_to_mag(LIMIT_SIGMA * fluxerr, None)[0] if fluxerr else None
    return {
        "mjd": tai_to_utc_mjd(float(mjd_tai)),
        "filter": str(band),
        "mag": mag,
        "magerr": magerr,
        "limit": limit,
        "flux": flux,
        "fluxerr": fluxerr,
        "telescope": RUBIN_TELESCOPE,
        "instrument": RUBIN_INSTRUMENT,
        "negative_subtraction": True if negative else None,
    }
