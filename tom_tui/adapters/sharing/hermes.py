"""Hermes messages: a target's photometry and spectra as one ``submit_message`` payload.

The format is the one Hermes (LCOGT/hermes, ``hermes/serializers.py``) validates and TOM Toolkit
and SkyPortal send: ``topic``, ``title``, ``submitter``, ``authors``, ``message_text`` and
``data`` with

- ``targets``: ``name``, ``ra`` and ``dec`` in decimal degrees, ``aliases``;
- ``photometry``: ``target_name``, ``date_obs`` (ISO 8601, UTC), ``telescope``, ``instrument``
  (Hermes needs one of the two), ``bandpass``, ``brightness``, ``brightness_error`` and
  ``brightness_unit`` (``AB mag``, ``Vega mag`` or ``mJy``), and ``limiting_brightness`` with
  ``limiting_brightness_unit`` for a non-detection (and next to a detection when known);
- ``spectroscopy``: ``target_name``, ``date_obs``, ``telescope``, ``instrument``, ``flux`` and
  ``flux_error`` lists in ``flux_units`` (``erg / s / cm² / Å`` or ``mJy``, the only two it
  takes), ``flux_type`` (``Fλ`` or ``Fν``), and ``wavelength`` in ``wavelength_units`` (``Å``).

It is POSTed as JSON to ``{base_url}/api/v0/submit_message/`` with ``Authorization: Token <key>``
(the key on the user's Hermes profile page). Hermes answers 200 with the message and its ``uuid``,
or 400 with the fields it refused. The POST goes through
:class:`~tom_tui.adapters.http.HttpClient`, which never sends it twice: a POST that may have reached
Hermes and then failed raises :class:`~tom_tui.adapters.http.AmbiguousRequestError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from tom_tui.adapters.http import AmbiguousRequestError, Credentials, HttpClient, HttpRequest, quoted_reply
from tom_tui.domain.clock import from_mjd
from tom_tui.domain.errors import AdapterError, ValidationError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import Target

SUBMIT_PATH = "api/v0/submit_message/"
AB_MAG = "AB mag"
VEGA_MAG = "Vega mag"
MILLIJANSKY = "mJy"
MICROJANSKY_PER_MILLIJANSKY = 1000.0
FLAMBDA_UNIT = "erg / s / cm² / Å"
FNU_UNIT = MILLIJANSKY
WAVELENGTH_UNIT = "Å"
# Magnitude systems of the domain schema that Hermes names itself.
MAGNITUDE_UNITS = {"AB": AB_MAG, "VEGA": VEGA_MAG}


def iso_utc(mjd: float) -> str:
    """An MJD (UTC) as an ISO 8601 time with its UTC offset, to the millisecond."""
    return from_mjd(mjd).isoformat(timespec="milliseconds")


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def hermes_target(target: Target) -> dict[str, Any]:
    """A target row: name, decimal degrees and aliases."""
    if target.ra is None or target.dec is None:
        raise ValidationError(f"{target.name}: no ra/dec; Hermes needs a position for each target")
    row: dict[str, Any] = {"name": target.name, "ra": target.ra, "dec": target.dec}
    aliases = [alias for alias in target.aliases if alias != target.name]
    if aliases:
        row["aliases"] = aliases
    return row


def _brightness(row: Mapping[str, Any]) -> dict[str, Any]:
    """The brightness fields of one point: its magnitude in AB or Vega, else its flux in mJy."""
    unit = MAGNITUDE_UNITS.get(str(row.get("magsys") or "AB").upper())
    fields: dict[str, Any] = {}
    if _present(row.get("mag")) and unit is not None:
        fields = {"brightness": float(row["mag"]), "brightness_unit": unit}
        if _present(row.get("magerr")):
            fields["brightness_error"] = float(row["magerr"])
    elif (
        _present(row.get("flux"))
        and not row.get("negative_subtraction")
        and (_present(row.get("mag")) or not _present(row.get("limit")))
    ):
        # A magnitude in a system Hermes does not name, or a flux alone: the flux, in mJy.
        fields = {"brightness": float(row["flux"]) / MICROJANSKY_PER_MILLIJANSKY, "brightness_unit": FNU_UNIT}
        if _present(row.get("fluxerr")):
            fields["brightness_error"] = float(row["fluxerr"]) / MICROJANSKY_PER_MILLIJANSKY
    if _present(row.get("limit")) and unit is not None:
        fields.update(limiting_brightness=float(row["limit"]), limiting_brightness_unit=unit)
    return fields


def photometry_row(target_name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """One measurement (the domain photometry schema) as a Hermes photometry row.

    Raises :class:`ValidationError` with the reason for a point Hermes would refuse: neither
    telescope nor instrument, or neither a brightness nor a limit it can name.
    """
    when = f"{target_name} point at MJD {float(row['mjd']):.5f}"
    if not row.get("telescope") and not row.get("instrument"):
        raise ValidationError(f"{when}: no telescope or instrument, and Hermes needs one of them")
    brightness = _brightness(row)
    if "brightness" not in brightness and "limiting_brightness" not in brightness:
        raise ValidationError(
            f"{when}: no magnitude, limit or flux Hermes can name (magnitude system {row.get('magsys')!r})"
        )
    return {
        "target_name": target_name,
        "date_obs": iso_utc(float(row["mjd"])),
        "telescope": row.get("telescope") or "",
        "instrument": row.get("instrument") or "",
        "bandpass": row.get("filter") or "",
        **brightness,
    }


def spectroscopy_row(target_name: str, spectrum: Spectrum, label: str) -> dict[str, Any]:
    """A spectrum as a Hermes spectroscopy row: wavelengths in Å, flux in one of Hermes's units.

    ``label`` names the spectrum in a refusal (``spectrum 3``).
    """
    import astropy.units as u

    if spectrum.mjd is None:
        raise ValidationError(f"{target_name} {label}: no date of observation")
    if not spectrum.telescope and not spectrum.instrument:
        raise ValidationError(f"{target_name} {label}: no telescope or instrument, and Hermes needs one")
    wavelength = (spectrum.wavelength * u.Unit(spectrum.wavelength_unit)).to(u.AA, equivalencies=u.spectral())
    flux_unit = u.Unit(spectrum.flux_unit) if spectrum.flux_unit else None
    if flux_unit is not None and flux_unit.is_equivalent(u.erg / u.s / u.cm**2 / u.AA):
        target_unit, flux_type, hermes_unit = u.erg / u.s / u.cm**2 / u.AA, "Fλ", FLAMBDA_UNIT
    elif flux_unit is not None and flux_unit.is_equivalent(u.mJy):
        target_unit, flux_type, hermes_unit = u.mJy, "Fν", FNU_UNIT
    else:
        raise ValidationError(
            f"{target_name} {label}: flux unit {spectrum.flux_unit or 'not given'}; Hermes takes a flux "
            "density per wavelength (erg/s/cm²/Å) or per frequency (mJy)"
        )
    scale = flux_unit.to(target_unit)
    row: dict[str, Any] = {
        "target_name": target_name,
        "date_obs": iso_utc(spectrum.mjd),
        "telescope": spectrum.telescope or "",
        "instrument": spectrum.instrument or "",
        "flux": [float(value) * scale for value in spectrum.flux],
        "flux_units": hermes_unit,
        "flux_type": flux_type,
        "wavelength": [float(value) for value in wavelength.value],
        "wavelength_units": WAVELENGTH_UNIT,
    }
    if spectrum.flux_error is not None:
        row["flux_error"] = [
            float(value) * scale if math.isfinite(value) else 0.0 for value in spectrum.flux_error
        ]
    return row


@dataclass
class HermesMessage:
    """One message: who sends it, on which topic, and its data tables."""

    topic: str
    title: str
    submitter: str
    authors: str = ""
    message_text: str = ""
    targets: list[dict[str, Any]] = field(default_factory=list)
    photometry: list[dict[str, Any]] = field(default_factory=list)
    spectroscopy: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The JSON body of ``submit_message``; empty tables are left out."""
        data: dict[str, Any] = {"targets": self.targets}
        if self.photometry:
            data["photometry"] = self.photometry
        if self.spectroscopy:
            data["spectroscopy"] = self.spectroscopy
        return {
            "topic": self.topic,
            "title": self.title,
            "submitter": self.submitter,
            "authors": self.authors,
            "message_text": self.message_text,
            "data": data,
        }


def _first_problem(answer: Any, path: str = "") -> str:
    """The first refused field of a Hermes 400 answer (nested serializer errors) as ``field: reason``."""
    if isinstance(answer, Mapping):
        for key, value in answer.items():
            found = _first_problem(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
        return ""
    if isinstance(answer, list):
        for index, value in enumerate(answer):
            if isinstance(value, str):
                return f"{path}: {value}" if path else value
            found = _first_problem(value, f"{path}[{index}]")
            if found:
                return found
        return ""
    return f"{path}: {answer}" if answer not in (None, "") else ""


class HermesClient:
    """Publishes messages to one Hermes."""

    def __init__(self, base_url: str, credentials: Credentials, client: HttpClient | None = None) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url {base_url!r}: expected an http:// or https:// address")
        credentials.require("token")
        self.base_url = base_url.rstrip("/") + "/"
        self._token = credentials["token"]
        self.http = client or HttpClient()

    def submit_request(self, message: HermesMessage) -> HttpRequest:
        return HttpRequest(
            "POST",
            urljoin(self.base_url, SUBMIT_PATH),
            json=message.payload(),
            headers={"Authorization": f"Token {self._token}"},
        )

    def submit(self, message: HermesMessage) -> dict[str, Any]:
        """Publish ``message``; Hermes's answer (the message with its ``uuid``)."""
        request = self.submit_request(message)
        try:
            response = self.http.send(request, check_status=False)
        except AmbiguousRequestError as error:
            raise AmbiguousRequestError(
                f"{error}; the message may have been published: look for it on Hermes before publishing "
                "again (nothing was marked as published here)"
            ) from None
        where = f"Hermes ({request.display_url()})"
        if response.status_code in (401, 403):
            raise AdapterError(
                f"{where} refused the API token (HTTP {response.status_code}); put the token from your "
                "Hermes profile page in the store's credentials file"
            )
        if response.status_code == 429:
            raise AdapterError(
                f"{where} is limiting requests (HTTP 429); nothing was published, try again later"
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 400:
            problem = _first_problem(answer) or quoted_reply(response, request).lstrip(": ")
            raise AdapterError(f"{where} refused the message: {problem}")
        if response.status_code >= 300 or not isinstance(answer, dict):
            raise AdapterError(
                f"{where}: HTTP {response.status_code}{quoted_reply(response, request)}; "
                "nothing was marked as published"
            )
        return answer
