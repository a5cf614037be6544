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
- ``isdiffpos``: whether the candidate is a positive subtraction; not used: ``magpsf`` is the
  magnitude of the difference flux either way, as every broker publishes it.

Which rows are detections differs by where the candidate comes from (a packet's previous
candidates without ``candid``, Fink's ``d:tag``, ALeRCE's non-detection list), so the caller says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tom_tui.domain.photometry import finite_or_none
from tom_tui.domain.units import jd_to_mjd

ZTF_FILTERS = {1: "g", 2: "r", 3: "i"}
ZTF_TELESCOPE = "P48"
ZTF_INSTRUMENT = "ZTF"
# Every ZTF magnitude (alert, broker, forced photometry) is AB.
ZTF_MAGSYS = "AB"


def ztf_band(fid: Any) -> str:
    """The band name of a ZTF filter id (the id itself, as text, when unknown)."""
    return ZTF_FILTERS.get(int(fid), str(fid))


def ztf_measurement(fields: Mapping[str, Any], *, detected: bool, prefix: str = "") -> dict[str, Any]:
    """A measurement-schema row (without ``source``) from a ZTF candidate's fields.

    ``prefix`` is how the source names the fields (Fink: ``i:``). A detection keeps ``magpsf``
    and ``sigmapsf``; a non-detection keeps ``diffmaglim`` as its limit.
    """
    mjd = fields.get(f"{prefix}mjd")
    if mjd is None:
        mjd = jd_to_mjd(float(fields[f"{prefix}jd"]))
    return {
        "mjd": float(mjd),
        "filter": ztf_band(fields[f"{prefix}fid"]),
        "mag": finite_or_none(fields.get(f"{prefix}magpsf")) if detected else None,
        "magerr": finite_or_none(fields.get(f"{prefix}sigmapsf")) if detected else None,
        "limit": None if detected else finite_or_none(fields.get(f"{prefix}diffmaglim")),
        "telescope": ZTF_TELESCOPE,
        "instrument": ZTF_INSTRUMENT,
    }
