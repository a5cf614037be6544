"""Reference stars in a frame's band: which magnitude column of a catalog matches the frame's
filter, and Gaia photometry converted to that band.

A filter name is read as a band of a photometric system (:func:`band_of_filter`): SDSS/Sloan
``u g r i z`` (also ``rp``, ``r'``, ``sdss_r``, ``Sloan r``...; ZTF, Pan-STARRS and Rubin bands
are close enough to count as SDSS) or Johnson-Cousins ``U B V R I`` (``Rc``, ``Ic``, ``Bessell V``,
``Johnson R``...). A lone letter keeps its case: ``r`` is SDSS r, ``R`` is Cousins R.

Gaia DR3 G, BP and RP are converted with the polynomials in G_BP − G_RP of the Gaia DR3
documentation, section 5.5.1 "Relationships with other photometric systems" (Carrasco and
Bellazzini; the Gaia EDR3 relations of Riello et al. 2021, A&A 649, A3, table C.2, which DR3's
photometry shares), each valid only over the colour range the documentation states: stars
outside it get no magnitude and so never calibrate a zero point. Their scatter is added to each
star's error. Bands without a relation there (u, z, U, B) and unfiltered frames use G itself,
with the caveat stated in the catalog's ``note``: the zero point then carries a colour term.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from astropy.table import Table

from tom_tui.processing.reduction.astrometry import ReferenceCatalog, pointing_of

FloatArray = npt.NDArray[np.float64]

SDSS = "SDSS"
JOHNSON_COUSINS = "Johnson-Cousins"
GAIA = "Gaia"
# 2.5 / ln 10: a flux signal-to-noise ratio S gives a magnitude error of this over S.
MAG_PER_FLUX_FRACTION = 2.5 / math.log(10.0)


@dataclass(frozen=True)
class PhotometricBand:
    """A band of a photometric system, e.g. ``PhotometricBand(SDSS, "r")``."""

    system: str
    letter: str

    def __str__(self) -> str:
        return f"{self.system} {self.letter}"


@dataclass(frozen=True)
class GaiaRelation:
    """``G − band = sum(coefficients[k] * (BP − RP)**k)``, with its scatter (mag), valid for
    ``low < BP − RP < high``."""

    coefficients: tuple[float, ...]
    scatter: float
    low: float
    high: float


# Gaia DR3 documentation, section 5.5.1, table 5.9 (= Riello et al. 2021, table C.2), colour
# ranges from table 5.10 (= table C.1): G minus the band as a polynomial in G_BP − G_RP.
GAIA_RELATIONS: dict[PhotometricBand, GaiaRelation] = {
    PhotometricBand(SDSS, "g"): GaiaRelation((0.2199, -0.6365, -0.1548, 0.0064), 0.0745, 0.3, 3.0),
    PhotometricBand(SDSS, "r"): GaiaRelation(
        (-0.09837, 0.08592, 0.1907, -0.1701, 0.02263), 0.03776, 0.0, 3.0
    ),
    PhotometricBand(SDSS, "i"): GaiaRelation((-0.293, 0.6404, -0.09609, -0.002104), 0.04092, 0.5, 2.0),
    PhotometricBand(JOHNSON_COUSINS, "V"): GaiaRelation(
        (-0.02704, 0.01424, -0.2156, 0.01426), 0.03017, -0.5, 5.0
    ),
    PhotometricBand(JOHNSON_COUSINS, "R"): GaiaRelation(
        (-0.02275, 0.3961, -0.1243, -0.01396, 0.003775), 0.03167, 0.0, 4.0
    ),
    PhotometricBand(JOHNSON_COUSINS, "I"): GaiaRelation((0.01753, 0.76, -0.0991), 0.03765, -0.5, 4.5),
}

# Column names of Gaia's three magnitudes: the archive's, and VizieR's (ATLAS-REFCAT2 carries them too).
GAIA_COLUMNS = (
    ("phot_g_mean_mag", "phot_bp_mean_mag", "phot_rp_mean_mag"),
    ("Gmag", "BPmag", "RPmag"),
)

# Words that name the system around a band's letter: "sdss_r", "r-sloan", "ztfr", "Bessell V".
GENERIC_MAGNITUDE_COLUMNS = ("mag", "MAG", "magnitude")
_SDSS_WORDS = ("sdss", "sloan", "ps1", "panstarrs", "ztf", "lsst")
_JC_WORDS = ("johnson", "bessell", "bessel", "cousins")


def _letter_around(compact: str, words: Sequence[str], letters: str) -> str | None:
    for word in words:
        for rest in (compact.removeprefix(word), compact.removesuffix(word)):
            if rest != compact and len(rest) == 1 and rest in letters:
                return rest
    return None


def band_of_filter(name: str | None) -> PhotometricBand | None:
    """The band a frame's filter name stands for; None for no filter or a name not understood."""
    text = (name or "").strip()
    if len(text) == 1:
        if text in "ugriz":
            return PhotometricBand(SDSS, text)
        return PhotometricBand(JOHNSON_COUSINS, text) if text in "UBVRI" else None
    compact = "".join(text.lower().replace("-", " ").replace("_", " ").split())
    if compact in ("rc", "ic"):
        return PhotometricBand(JOHNSON_COUSINS, compact[0].upper())
    if len(compact) == 2 and compact[0] in "ugriz" and compact[1] in "p'":  # LCO's rp, Sloan's r'
        return PhotometricBand(SDSS, compact[0])
    letter = _letter_around(compact.replace("'", ""), _SDSS_WORDS, "ugriz")
    if letter is not None:
        return PhotometricBand(SDSS, letter)
    letter = _letter_around(compact, _JC_WORDS, "ubvri")
    return PhotometricBand(JOHNSON_COUSINS, letter.upper()) if letter is not None else None


def magnitude_columns(band: PhotometricBand) -> tuple[str, ...]:
    """Column names a catalog may give the band's magnitudes under, most specific first."""
    letter = band.letter
    if band.system == SDSS:
        return (
            f"{letter}mag",
            f"{letter}'mag",
            f"{letter}_mag",
            f"{letter}MeanPSFMag",
            f"mag_{letter}",
            f"{letter}p_mag",
            f"sdss_{letter}",
            f"{letter}'",
            f"{letter}p",
            letter,
        )
    return (
        f"{letter}mag",
        f"{letter}_mag",
        f"{letter}cmag" if letter in "RI" else f"{letter}jmag",
        f"mag_{letter}",
        letter,
    )


def magnitude_column(colnames: Sequence[str], band: PhotometricBand) -> str | None:
    """The first of :func:`magnitude_columns` present (names compared exactly: ``rmag`` is
    SDSS r, ``Rmag`` Cousins R)."""
    return next((name for name in magnitude_columns(band) if name in colnames), None)


def gaia_columns(colnames: Sequence[str]) -> tuple[str, str, str] | None:
    """The names of the G, BP and RP columns if the table has all three."""
    for names in GAIA_COLUMNS:
        if all(name in colnames for name in names):
            return names
    return None


def _floats(values: object) -> FloatArray:
    filled = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    return np.asarray(filled, dtype=np.float64)


def gaia_in_band(
    g: FloatArray, bp: FloatArray, rp: FloatArray, g_error: FloatArray, band: PhotometricBand | None
) -> tuple[FloatArray, FloatArray, str]:
    """Magnitudes and errors in ``band`` from Gaia G, BP, RP (and G's error), with a note on how.

    NaN where the star's colour is outside the relation's range or a magnitude is missing."""
    relation = GAIA_RELATIONS.get(band) if band is not None else None
    if relation is None:
        wanted = f"the {band} band" if band is not None else "an unfiltered frame"
        return (
            g,
            g_error,
            f"Gaia G used for {wanted}: no Gaia DR3 relation, so the zero point has a colour term",
        )
    colour = bp - rp
    g_minus_band = np.polynomial.polynomial.polyval(colour, relation.coefficients)
    inside = (colour > relation.low) & (colour < relation.high)
    mag = np.where(inside, g - g_minus_band, np.nan)
    error = np.where(inside, np.hypot(g_error, relation.scatter), np.nan)
    note = (
        f"Gaia DR3 G, BP, RP converted to {band} (Gaia DR3 documentation 5.5.1; "
        f"scatter {relation.scatter:.3f} mag, {relation.low:g} < BP-RP < {relation.high:g})"
    )
    return np.asarray(mag, dtype=np.float64), np.asarray(error, dtype=np.float64), note


def catalog_in_band(
    table: Table,
    filter_name: str | None,
    source: str,
    column: str | None = None,
) -> ReferenceCatalog:
    """The reference catalog of ``table`` with magnitudes in the band of ``filter_name``.

    The magnitude column is ``column`` when given; else the band's own column
    (:func:`magnitude_columns`); else a plain ``mag`` column (a catalog made for this field and
    band); else Gaia G, BP and RP converted (:func:`gaia_in_band`). A table with none of them is
    refused with a sentence naming the file, the band and the columns it has."""
    band = band_of_filter(filter_name)
    chosen = column or (magnitude_column(table.colnames, band) if band else None)
    # A catalog with one plain magnitude column (made for this field) is taken as the frame's band.
    chosen = chosen or next((name for name in GENERIC_MAGNITUDE_COLUMNS if name in table.colnames), None)
    if chosen is not None:
        found = ReferenceCatalog.from_table(table, mag_column=chosen, source=source)
        return ReferenceCatalog(
            found.ra, found.dec, found.mag, found.mag_error, note=f"{source}: column {chosen}"
        )
    names = gaia_columns(table.colnames)
    if names is None:
        expected = ", ".join([*(magnitude_columns(band) if band else ()), *GENERIC_MAGNITUDE_COLUMNS])
        raise ValueError(
            f"{source} has no magnitudes for filter {filter_name!r}"
            f"{f' ({band})' if band else ''}; expected a column named {expected}, or Gaia "
            f"{'/'.join(GAIA_COLUMNS[1])}; its columns are {', '.join(table.colnames)}"
        )
    positions = ReferenceCatalog.from_table(table, source=source)
    g, bp, rp = (_floats(table[name]) for name in names)
    g_error = _g_error(table, names[0])
    mag, error, note = gaia_in_band(g, bp, rp, g_error, band)
    return ReferenceCatalog(positions.ra, positions.dec, mag, error, note=f"{source}: {note}")


def _g_error(table: Table, g_name: str) -> FloatArray:
    if "phot_g_mean_flux_over_error" in table.colnames:
        return MAG_PER_FLUX_FRACTION / _floats(table["phot_g_mean_flux_over_error"])
    for name in (f"e_{g_name}", f"{g_name}_err", f"{g_name}err"):
        if name in table.colnames:
            return _floats(table[name])
    return np.full(len(table), np.nan)


@dataclass(frozen=True)
class SkyField:
    """A patch of sky around a frame: centre (ICRS degrees) and the radius reaching past its corners."""

    ra: float
    dec: float
    radius_deg: float


def field_from_pointing(
    header: Mapping[str, object], shape: tuple[int, int], pixel_scale_arcsec: float, margin: float = 1.1
) -> SkyField | None:
    """The field of a frame with no WCS, from its pointing keywords
    (:func:`~tom_tui.processing.reduction.astrometry.pointing_of`) and the pixel scale."""
    pointing = pointing_of(header)
    if pointing is None:
        return None
    half_diagonal = math.hypot(*shape) / 2 * pixel_scale_arcsec / 3600.0
    return SkyField(pointing[0], pointing[1], half_diagonal * margin)


def propagate_proper_motion(
    ra: FloatArray,
    dec: FloatArray,
    pm_ra_cosdec: FloatArray,
    pm_dec: FloatArray,
    from_year: float,
    to_year: float,
) -> tuple[FloatArray, FloatArray]:
    """Positions moved by their proper motions (mas/yr; RA's times cos Dec) from one epoch to
    another, linearly: exact to well under a milliarcsecond over decades for all but the nearest
    stars. Stars without a proper motion stay where they are."""
    years = to_year - from_year
    pm_ra = np.nan_to_num(pm_ra_cosdec)
    pm_de = np.nan_to_num(pm_dec)
    cos_dec = np.maximum(np.cos(np.radians(dec)), 1e-6)
    moved_ra = (ra + pm_ra * years / 3.6e6 / cos_dec) % 360.0
    moved_dec = np.clip(dec + pm_de * years / 3.6e6, -90.0, 90.0)
    return np.asarray(moved_ra, dtype=np.float64), np.asarray(moved_dec, dtype=np.float64)
