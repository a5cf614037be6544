"""ZTF candidates as measurements: one mapping for alert packets and every broker that relays them.

A ZTF candidate (``candidate``, ``prv_candidates`` entries, a broker's detection or
non-detection row) carries the fields of the ZTF alert schema (https://zwickytransientfacility.
github.io/ztf-avro-alert/schema.html):

- ``jd``: the start of the exposure as a Julian Date, UTC (brokers that relay it as ``mjd``
  give the same instant as a Modified Julian Date); stored as MJD.
- ``fid``: the filter id, 1 = g, 2 = r, 3 = i (ZTF's own bands, kept as ``g``/``r``/``i``).
- ``magpsf``/``sigmapsf``: the PSF-fit magnitude of the difference image and its 1-sigma error,
  AB (calibrated against PS1).
- ``diffmaglim``: the 5-sigma limiting magnitude of the difference image; the row's value for a
  non-detection.
- ``isdiffpos``: ``t`` (or ``1``) when the candidate comes from the positive subtraction
  (science minus reference), ``f`` (or ``0``) from the negative one, where the source is fainter
  than in the reference; ``magpsf`` is then the magnitude of the absolute difference flux.
  ALeRCE relays it as 1 / -1. A negative subtraction is stored as a signed (negative) difference
  flux flagged ``negative_subtraction``, with ``diffmaglim`` as its limit and no magnitude.

Which rows are detections differs by where the candidate comes from (a packet's previous
candidates without ``candid``, Fink's ``d:tag``, ALeRCE's non-detection list), so the caller says.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from tom_tui.domain.photometry import finite_or_none
from tom_tui.domain.units import jd_to_mjd, mag_to_flux_and_error

ZTF_FILTERS = {1: "g", 2: "r", 3: "i"}
ZTF_TELESCOPE = "P48"
ZTF_INSTRUMENT = "ZTF"
# Every ZTF magnitude (alert, broker, forced photometry) is AB.
ZTF_MAGSYS = "AB"
# How ``isdiffpos`` says "negative subtraction" (alert packets and Fink: 'f'/'0'; ALeRCE: -1).
_NEGATIVE_SUBTRACTION = {"f", "0", "-1", "false"}


def ztf_band(fid: Any) -> str:
    """The band name of a ZTF filter id (the id itself, as text, when unknown)."""
    return ZTF_FILTERS.get(int(fid), str(fid))


def is_negative_subtraction(isdiffpos: Any) -> bool:
    """True when ``isdiffpos`` says the candidate comes from the negative subtraction."""
    if isdiffpos is None:
        return False
    return str(isdiffpos).strip().lower() in _NEGATIVE_SUBTRACTION


class _FieldNames(NamedTuple):
    mjd: str
    jd: str
    fid: str
    diffmaglim: str
    magpsf: str
    sigmapsf: str
    isdiffpos: str


@lru_cache(maxsize=8)
def _field_names(prefix: str) -> _FieldNames:
    """The candidate's field names under ``prefix``, built once (not twice per point of a
    history of hundreds of thousands)."""
    return _FieldNames(*(prefix + name for name in _FieldNames._fields))


def ztf_measurement(fields: Mapping[str, Any], *, detected: bool, prefix: str = "") -> dict[str, Any]:
    """A measurement-schema row (without ``source``) from a ZTF candidate's fields.

    ``prefix`` is how the source names the fields (Fink: ``i:``). A detection keeps ``magpsf``
    and ``sigmapsf`` and their flux in µJy; a negative subtraction keeps its signed flux, the
    ``negative_subtraction`` flag and ``diffmaglim`` as its limit; a non-detection keeps
    ``diffmaglim`` as its limit.
    """
    names = _field_names(prefix)
    mjd = fields.get(names.mjd)
    if mjd is None:
        mjd = jd_to_mjd(float(fields[names.jd]))
    row: dict[str, Any] = {
        "mjd": float(mjd),
        "filter": ztf_band(fields[names.fid]),
        "mag": None,
        "magerr": None,
        "limit": None,
        "telescope": ZTF_TELESCOPE,
        "instrument": ZTF_INSTRUMENT,
    }
    if not detected:
        row["limit"] = finite_or_none(fields.get(names.diffmaglim))
        return row
    mag = finite_or_none(fields.get(names.magpsf))
    magerr = finite_or_none(fields.get(names.sigmapsf))
    flux, fluxerr = mag_to_flux_and_error(mag, magerr)
    if is_negative_subtraction(fields.get(names.isdiffpos)):
        row["limit"] = finite_or_none(fields.get(names.diffmaglim))
        row["flux"] = None if flux is None else -flux
        row["fluxerr"] = fluxerr
        row["negative_subtraction"] = True
        return row
    row.update(mag=mag, magerr=magerr, flux=flux, fluxerr=fluxerr)
    return row
