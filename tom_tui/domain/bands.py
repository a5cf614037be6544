"""Photometric bands: one canonical name per survey band, whatever a route calls it.

Routes spell the same band differently: ZTF's ``r`` is ``fid=2`` in an alert, ``r`` with telescope
``P48`` from a broker, ``r-ZTF`` in a YSE-PZ dictionary, ``ztfr`` or ``ZTF_r`` in SkyPortal and
forced-photometry files. The canonical name is the sncosmo/SkyPortal one (``ztfr``, ``atlaso``,
``lsstr``); a plain letter becomes a survey band only when the telescope or instrument says which
survey took it. Bands no survey here claims (``B``, ``V``, ``sdssr``) keep their name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Survey:
    """A survey whose bands have canonical names: its bands' letters and how rows name it."""

    prefix: str  # the canonical name is prefix + letter (``ztf`` + ``r``)
    letters: tuple[str, ...]
    facility_names: frozenset[str]  # telescope or instrument names (lower case) that mean it
    telescope: str | None = None  # the one name stored for its telescope, however a row names it
    instrument: str | None = None  # its only instrument, for rows that leave the instrument out


ZTF_BAND_PREFIX = "ztf"
SURVEYS = (
    Survey(
        ZTF_BAND_PREFIX,
        ("g", "r", "i"),
        frozenset({"p48", "ztf", "zwicky transient facility"}),
        telescope="P48",
        instrument="ZTF",
    ),
    # ATLAS units (01a, 02a...) are kept as the rows name them.
    Survey("atlas", ("o", "c"), frozenset({"atlas"})),
    # Rubin has carried LSSTComCam and LSSTCam: the instrument is never guessed.
    Survey(
        "lsst",
        ("u", "g", "r", "i", "z", "y"),
        frozenset({"rubin", "lsst", "lsstcam", "lsstcomcam"}),
        telescope="Rubin",
    ),
)

# How sources write a survey band around its letter (``ztfr``, ``ztf_r``, ``ztf::r``, ``r-ztf``).
_SEPARATORS = ("", "_", "-", "::", ".")


def _aliases() -> dict[str, str]:
    """Lower-case spellings that name a survey band by themselves, mapped to its canonical name."""
    table: dict[str, str] = {}
    for survey in SURVEYS:
        for letter in survey.letters:
            canonical = survey.prefix + letter
            for separator in _SEPARATORS:
                table[f"{survey.prefix}{separator}{letter}"] = canonical
                table[f"{letter}{separator}{survey.prefix}"] = canonical
    return table


BAND_ALIASES = _aliases()


def survey_of(telescope: str | None, instrument: str | None) -> Survey | None:
    """The survey a row's telescope or instrument names, if any."""
    for name in (telescope, instrument):
        key = (name or "").strip().lower()
        for survey in SURVEYS:
            if key in survey.facility_names:
                return survey
    return None


def canonical_facility(telescope: str | None, instrument: str | None) -> tuple[str | None, str | None]:
    """The one telescope and instrument name of a survey's rows (``ZTF`` as telescope → ``P48``
    with instrument ``ZTF``); rows of other telescopes unchanged."""
    survey = survey_of(telescope, None) if telescope else survey_of(None, instrument)
    if survey is None or survey.telescope is None:
        return telescope, instrument
    return survey.telescope, instrument or survey.instrument


def canonical_band(name: str, telescope: str | None = None, instrument: str | None = None) -> str:
    """The one name of a band (``r-ZTF``, ``ZTF_r``, ``r`` taken with P48 → ``ztfr``).

    A name that is not a survey band, or a letter taken by a telescope no survey here names,
    keeps its own spelling.
    """
    key = name.strip().lower()
    known = BAND_ALIASES.get(key)
    if known is not None:
        return known
    survey = survey_of(telescope, instrument)
    if survey is not None and key in survey.letters:
        return survey.prefix + key
    return name
