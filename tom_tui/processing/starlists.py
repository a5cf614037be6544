"""Starlists: the target lists telescope control software reads, in each observatory's format.

A format is a small class behind :class:`StarlistFormat`; the built-in ones follow their
observatories' published rules:

- ``keck``: W. M. Keck Observatory's starlist (name in columns 1-15, RA ``HH MM SS.SS`` from
  column 17, Dec ``(-)DD MM SS.S`` with ``-00`` for declinations between 0 and -1, equinox,
  then ``key=value`` fields: ``pmra`` in seconds of time per year, ``pmdec`` in arcseconds per
  year, ``dra`` the RA tracking rate in arcseconds per hour divided by 15 and ``ddec`` in
  arcseconds per hour, ``vmag``/``rmag``);
- ``lick``: Lick Observatory's ``coords`` standard format (a name without spaces, ``h m s d m s
  equinox``, then ``pmra``/``pmdec`` in mas/yr, ``pmepoch``, ``mag``);
- ``csv``: one row per target with every value and its unit in the header.
"""

from __future__ import annotations

import csv
import io
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tom_tui.processing.ephemeris import proper_motion_position

KECK_NAME_WIDTH = 15
SECONDS_OF_TIME_PER_ARCSEC = 1.0 / 15.0


@dataclass(frozen=True)
class StarlistEntry:
    """One target as a starlist gives it, ICRS degrees: a star's catalogue position at Julian year
    ``pm_epoch`` with its proper motion in mas/yr (``pm_ra`` is μα·cos δ), or a moving target's
    position at ``mjd`` with its rates in arcsec/hour (``ra_rate`` is dRA·cos δ); the latest
    magnitude and its band, if any."""

    name: str
    ra: float
    dec: float
    mjd: float | None = None
    pm_ra: float | None = None
    pm_dec: float | None = None
    pm_epoch: float | None = None
    ra_rate: float | None = None
    dec_rate: float | None = None
    magnitude: float | None = None
    band: str | None = None

    @property
    def has_proper_motion(self) -> bool:
        return bool(self.pm_ra or self.pm_dec)

    def position_at_year(self, year: float) -> tuple[float, float]:
        """Where a star is at Julian year ``year`` (its catalogue position moved by its proper motion)."""
        if not self.has_proper_motion:
            return self.ra, self.dec
        return proper_motion_position(
            self.ra, self.dec, self.pm_ra, self.pm_dec, self.pm_epoch, 51544.5 + (year - 2000.0) * 365.25
        )

    def position_at_mjd(self) -> tuple[float, float]:
        """The position for the time of the list (``mjd``): a star moved there by its proper motion."""
        if self.mjd is None or not self.has_proper_motion:
            return self.ra, self.dec
        return self.position_at_year(2000.0 + (self.mjd - 51544.5) / 365.25)


def sexagesimal_fields(value: float, divisor: float, decimals: int) -> tuple[str, int, int, float]:
    """Sign, whole units, minutes and seconds of ``value / divisor`` rounded to ``decimals``
    (carrying 60 s into the minute, so 59.999 never prints as 60.00)."""
    sign = "-" if value < 0 else "+"
    scale = 10**decimals
    total = round(abs(value) / divisor * 3600 * scale)
    units, rest = divmod(total, 3600 * scale)
    minutes, seconds = divmod(rest, 60 * scale)
    return sign, int(units), int(minutes), seconds / scale


def ra_fields(ra_deg: float, decimals: int = 2) -> str:
    _, hours, minutes, seconds = sexagesimal_fields(ra_deg % 360.0, 15.0, decimals)
    return f"{hours % 24:02d} {minutes:02d} {seconds:0{decimals + 3}.{decimals}f}"


def dec_fields(dec_deg: float, decimals: int = 1) -> str:
    # The sign is written even for -00: a declination between 0 and -1 must read "-00 mm ss".
    sign, degrees, minutes, seconds = sexagesimal_fields(dec_deg, 1.0, decimals)
    if degrees == minutes == 0 and seconds == 0:
        sign = "+"
    return f"{sign}{degrees:02d} {minutes:02d} {seconds:0{decimals + 3}.{decimals}f}"


def unique_names(names: Sequence[str], width: int, allowed: str) -> list[str]:
    """Names cut to ``width`` characters of the ``allowed`` pattern, made unique by a numbered end."""
    cleaned = [re.sub(f"[^{allowed}]", "_", name)[:width] or "target" for name in names]
    seen: dict[str, int] = {}
    unique = []
    for name in cleaned:
        count = seen.get(name, 0)
        seen[name] = count + 1
        if count:
            suffix = f"~{count}"
            name = name[: width - len(suffix)] + suffix
        unique.append(name)
    return unique


class StarlistFormat(ABC):
    """One observatory's starlist: ``render`` turns entries into the file's text."""

    name: str = ""
    suffix: str = ".txt"

    @abstractmethod
    def render(self, entries: Sequence[StarlistEntry], header: Sequence[str] = ()) -> str:
        """The whole file; ``header`` lines become comments where the format has them."""


class KeckStarlist(StarlistFormat):
    name = "keck"

    def render(self, entries: Sequence[StarlistEntry], header: Sequence[str] = ()) -> str:
        names = unique_names([entry.name for entry in entries], KECK_NAME_WIDTH, r"A-Za-z0-9 +\-_.:/()")
        lines = [f"# {line}" for line in header]
        for entry, name in zip(entries, names, strict=True):
            # Keck's software moves a star from epoch 2000.0 by pmra/pmdec: give it the J2000 place.
            ra, dec = entry.position_at_year(2000.0)
            fields = [f"{name:<16}{ra_fields(ra)} {dec_fields(dec)} 2000.0"]
            if entry.has_proper_motion:
                # Keck: RA proper motion in seconds of time per year, on the sky's RA axis.
                cos_dec = max(math.cos(math.radians(entry.dec)), 1e-9)
                pm_ra_time = (entry.pm_ra or 0.0) / 1000.0 / cos_dec * SECONDS_OF_TIME_PER_ARCSEC
                fields.append(f"pmra={pm_ra_time:+.5f} pmdec={(entry.pm_dec or 0.0) / 1000.0:+.4f}")
            if entry.ra_rate is not None and entry.dec_rate is not None:
                fields.append(f"dra={entry.ra_rate / 15.0:+.5f} ddec={entry.dec_rate:+.4f}")
            band = (entry.band or "").upper()[-1:]
            if entry.magnitude is not None and band in {"V", "R"}:
                fields.append(f"{band.lower()}mag={entry.magnitude:.1f}")
            lines.append(" ".join(fields))
        return "\n".join(lines) + "\n"


class LickStarlist(StarlistFormat):
    name = "lick"

    def render(self, entries: Sequence[StarlistEntry], header: Sequence[str] = ()) -> str:
        names = unique_names([entry.name for entry in entries], 32, r"A-Za-z0-9+\-_.:/()")
        width = max((len(name) for name in names), default=0)
        lines = [f"# {line}" for line in header]
        for entry, name in zip(entries, names, strict=True):
            fields = [f"{name:<{width}}  {ra_fields(entry.ra)}  {dec_fields(entry.dec)}  2000.0"]
            if entry.has_proper_motion:  # coords moves the catalogue place from pmepoch
                fields.append(f"pmra={entry.pm_ra or 0.0:.3f} pmdec={entry.pm_dec or 0.0:.3f}")
                fields.append(f"pmepoch={entry.pm_epoch or 2000.0:.1f}")
            if entry.magnitude is not None:
                fields.append(f"mag={entry.magnitude:.2f}")
            if entry.ra_rate is not None and entry.dec_rate is not None:
                # coords has no tracking-rate keyword: the rates go in the comment for the operator.
                fields.append(f"moving: {entry.ra_rate:+.2f} {entry.dec_rate:+.2f} arcsec/h")
            lines.append(" ".join(fields))
        return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    ("name", ""),
    ("ra_deg", "ICRS degrees"),
    ("dec_deg", "ICRS degrees"),
    ("ra_hms", ""),
    ("dec_dms", ""),
    ("mjd_utc", "time the position is for"),
    ("pm_ra_mas_yr", "mu_alpha cos delta"),
    ("pm_dec_mas_yr", ""),
    ("ra_rate_arcsec_h", "dRA cos Dec"),
    ("dec_rate_arcsec_h", ""),
    ("mag", ""),
    ("band", ""),
)


class CsvStarlist(StarlistFormat):
    name = "csv"
    suffix = ".csv"

    def render(self, entries: Sequence[StarlistEntry], header: Sequence[str] = ()) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([name for name, _ in CSV_COLUMNS])
        for entry in entries:
            ra, dec = entry.position_at_mjd()
            writer.writerow(
                [
                    entry.name,
                    f"{ra:.7f}",
                    f"{dec:.7f}",
                    ra_fields(ra, 3).replace(" ", ":"),
                    dec_fields(dec, 2).replace(" ", ":"),
                    _number(entry.mjd, 6),
                    _number(entry.pm_ra, 3),
                    _number(entry.pm_dec, 3),
                    _number(entry.ra_rate, 3),
                    _number(entry.dec_rate, 3),
                    _number(entry.magnitude, 3),
                    entry.band or "",
                ]
            )
        return out.getvalue()


def _number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


FORMATS: Mapping[str, StarlistFormat] = {
    fmt.name: fmt for fmt in (KeckStarlist(), LickStarlist(), CsvStarlist())
}
