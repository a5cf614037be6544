"""Targets: what is observed. Sidereal (fixed coordinates) or non-sidereal (orbital elements).

Field names and the non-sidereal schemes follow TOM Toolkit so that its CSV files and its users'
habits carry over unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypedDict

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.text import strip_control, strip_control_in

SIDEREAL = "SIDEREAL"
NON_SIDEREAL = "NON_SIDEREAL"
TARGET_TYPES = (SIDEREAL, NON_SIDEREAL)

SIDEREAL_FIELDS = ("ra", "dec", "epoch", "pm_ra", "pm_dec", "parallax", "distance", "distance_err")
ORBITAL_FIELDS = (
    "epoch_of_elements",
    "mean_anomaly",
    "arg_of_perihelion",
    "eccentricity",
    "lng_asc_node",
    "inclination",
    "mean_daily_motion",
    "semimajor_axis",
    "epoch_of_perihelion",
    "ephemeris_period",
    "ephemeris_period_err",
    "ephemeris_epoch",
    "ephemeris_epoch_err",
    "perihdist",
)
NUMERIC_FIELDS = SIDEREAL_FIELDS + ORBITAL_FIELDS
SCHEMES = ("MPC_MINOR_PLANET", "MPC_COMET", "JPL_MAJOR_PLANET")
# How callers name a target: an int is a stored target id; a string is a name, an alias or "#id"
# as a person typed it.
TargetRef = int | str
REQUIRED_ORBITAL_FIELDS = (
    "epoch_of_elements",
    "inclination",
    "lng_asc_node",
    "arg_of_perihelion",
    "eccentricity",
)
REQUIRED_PER_SCHEME = {
    "MPC_COMET": ("perihdist", "epoch_of_perihelion"),
    "MPC_MINOR_PLANET": ("mean_anomaly", "semimajor_axis"),
    "JPL_MAJOR_PLANET": ("mean_daily_motion", "mean_anomaly", "semimajor_axis"),
}
FIELD_HELP = {
    "ra": "right ascension in degrees [0, 360) or sexagesimal hours (12:34:56.7)",
    "dec": "declination in degrees [-90, 90] or sexagesimal degrees (-12:34:56)",
    "epoch": "epoch of the coordinates in Julian years (2000)",
    "pm_ra": "proper motion in RA, mas/yr",
    "pm_dec": "proper motion in Dec, mas/yr",
    "parallax": "parallax, mas",
    "distance": "distance, pc",
    "distance_err": "distance error, pc",
    "epoch_of_elements": "epoch of the elements, MJD",
    "mean_anomaly": "mean anomaly, degrees",
    "arg_of_perihelion": "argument of perihelion (J2000), degrees",
    "eccentricity": "eccentricity",
    "lng_asc_node": "longitude of the ascending node (J2000), degrees",
    "inclination": "inclination to the ecliptic (J2000), degrees",
    "mean_daily_motion": "mean daily motion, degrees/day",
    "semimajor_axis": "semi-major axis, AU",
    "epoch_of_perihelion": "epoch of perihelion, MJD",
    "ephemeris_period": "period, days",
    "ephemeris_period_err": "period error, days",
    "ephemeris_epoch": "ephemeris epoch, days",
    "ephemeris_epoch_err": "ephemeris epoch error, days",
    "perihdist": "perihelion distance, AU",
}

_IGNORED_IN_NAMES = str.maketrans("", "", " \t\n\r\f\v-_()")


@cache  # bulk imports ask for the same names several times; a store's names are bounded
def simplify_name(name: str) -> str:
    """The form two names are compared in: case, spaces, ``-``, ``_`` and parentheses ignored."""
    return name.translate(_IGNORED_IN_NAMES).lower()


def parse_float(field_name: str, value: Any, expected: str | None = None) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{field_name}: {value!r} is not a number; expected {expected or 'a number'}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        wanted = expected or FIELD_HELP.get(field_name, "a number")
        raise ValidationError(f"{field_name}: {value!r} is not a number; expected {wanted}") from None
    if not math.isfinite(number):
        raise ValidationError(f"{field_name}: {value!r} is not a finite number")
    return number


def _parse_sexagesimal(value: str, unit: str) -> float:
    from astropy.coordinates import Angle  # only for sexagesimal input: astropy is slow to import

    # Rounded to 1e-10 degree (0.4 µas) so 10:00:00 reads back as 150.0, not 149.99999999999997.
    return round(float(Angle(value, unit=unit).degree), 10)


def _parse_angle(field_name: str, value: Any, sexagesimal_unit: str) -> float | None:
    """Degrees from a number or a sexagesimal string; None for an empty value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        try:
            return _parse_sexagesimal(str(value).strip(), sexagesimal_unit)
        except Exception:
            raise ValidationError(
                f"{field_name}: {value!r} is not an angle; expected {FIELD_HELP[field_name]}"
            ) from None


def parse_ra(value: Any) -> float | None:
    """RA in degrees from degrees, ``HH:MM:SS.s``, ``HH MM SS`` or ``12h34m56s``."""
    degrees = _parse_angle("ra", value, "hourangle")
    if degrees is not None and (not math.isfinite(degrees) or not 0.0 <= degrees < 360.0):
        raise ValidationError(f"ra: {value!r} is outside [0, 360) degrees")
    return degrees


def parse_dec(value: Any) -> float | None:
    """Dec in degrees from degrees, ``±DD:MM:SS.s``, ``±DD MM SS`` or ``-12d34m56s``."""
    degrees = _parse_angle("dec", value, "deg")
    if degrees is not None and (not math.isfinite(degrees) or not -90.0 <= degrees <= 90.0):
        raise ValidationError(f"dec: {value!r} is outside [-90, 90] degrees")
    return degrees


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_extra_value(raw: Any) -> Any:
    """Type an extra's value: int, float, bool and ISO dates are recognised, the rest stays text.

    Dates stay ISO 8601 strings (JSON has no date type), normalised so they sort as dates.
    """
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
        if math.isfinite(number):
            return number
    except ValueError:
        pass
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            return text
    if _DATETIME.match(text):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            return text
    return text


def extra_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str) and (_DATE.match(value) or _DATETIME.match(value)):
        return "date"
    return "text"


@dataclass
class Target:
    """A target as stored. ``id`` is assigned by the store and never reused."""

    name: str
    type: str = SIDEREAL
    id: int | None = None
    ra: float | None = None
    dec: float | None = None
    epoch: float | None = None
    pm_ra: float | None = None
    pm_dec: float | None = None
    parallax: float | None = None
    distance: float | None = None
    distance_err: float | None = None
    scheme: str | None = None
    epoch_of_elements: float | None = None
    mean_anomaly: float | None = None
    arg_of_perihelion: float | None = None
    eccentricity: float | None = None
    lng_asc_node: float | None = None
    inclination: float | None = None
    mean_daily_motion: float | None = None
    semimajor_axis: float | None = None
    epoch_of_perihelion: float | None = None
    ephemeris_period: float | None = None
    ephemeris_period_err: float | None = None
    ephemeris_epoch: float | None = None
    ephemeris_epoch_err: float | None = None
    perihdist: float | None = None
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    created: str | None = None
    modified: str | None = None

    @property
    def is_sidereal(self) -> bool:
        return self.type == SIDEREAL

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def to_document(self, copy: bool = True) -> dict[str, Any]:
        """The JSON document stored in TinyDB (no ``None`` values, to keep files small).

        ``copy=False`` shares the lists and the extras dict with this target: for a target that is
        written and then dropped, as in a bulk import.
        """
        document = {key: value for key, value in self.__dict__.items() if value is not None and key != "id"}
        if copy:
            for key in ("aliases", "tags", "lists"):
                document[key] = list(document[key])
            document["extra"] = dict(document["extra"])
        return document

    @classmethod
    def from_document(cls, document: dict[str, Any], target_id: int | None = None) -> Target:
        known = {key: document[key] for key in cls.__dataclass_fields__ if key in document}
        target = cls(**known)
        if target_id is not None:
            target.id = target_id
        return target

    def to_json(self) -> dict[str, Any]:
        """The public JSON form: every field of the target's type, ``null`` when unknown."""
        return public_json(self.__dict__, self.id)


def public_json(fields: Mapping[str, Any], target_id: int | None, *, copy: bool = True) -> dict[str, Any]:
    """The public JSON form of a target from its fields or its stored document (which leaves
    out empty fields), without building a :class:`Target`: listing a million targets calls this
    once per target. ``copy=False`` shares lists and extras with ``fields`` (to serialise and drop)."""
    sidereal = fields.get("type", SIDEREAL) == SIDEREAL
    data = (_SIDEREAL_JSON if sidereal else _NON_SIDEREAL_JSON).copy()
    if fields.keys() <= data.keys():
        data.update(fields)  # a stored document: its keys are a subset, and keep the form's order
    else:
        for key in data:
            if key in fields:
                data[key] = fields[key]
    data["id"] = target_id
    if data["type"] is None:
        data["type"] = SIDEREAL
    if copy:
        for key in ("aliases", "tags", "lists"):
            data[key] = list(data[key])
        data["extra"] = dict(data["extra"])
    return data


def _json_form(*fields: str) -> dict[str, Any]:
    """The keys of the public JSON form in order, each with its value when the target has none."""
    form: dict[str, Any] = dict.fromkeys(("id", "name", "type", *fields, "aliases", "tags", "lists"))
    form.update(aliases=(), tags=(), lists=(), extra={}, created=None, modified=None)
    return form


_SIDEREAL_JSON = _json_form(*SIDEREAL_FIELDS)
_NON_SIDEREAL_JSON = _json_form("ra", "dec", "scheme", *ORBITAL_FIELDS)


def _clean_names(values: Iterable[str], what: str) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        text = strip_control(str(value)).strip()
        if not text:
            raise ValidationError(f"{what}: empty value")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def build_target(fields: dict[str, Any]) -> Target:
    """Validate raw input (strings from a CLI, CSV or form) into a :class:`Target`.

    Every problem is reported at once, one line per field, naming the value and what was expected.
    """
    problems: list[str] = []
    name = strip_control(str(fields.get("name") or "")).strip()
    if not name:
        problems.append("name: missing; every target needs a name")
    target_type, scheme = _type_and_scheme(fields, problems)
    values = _parse_numbers(fields, problems)
    bad_fields = {problem.split(":", 1)[0] for problem in problems}
    if target_type == SIDEREAL:
        _check_sidereal(values, bad_fields, problems)
        scheme = None
    else:
        _check_orbital(scheme, values, bad_fields, problems)
    name_lists = _name_lists(fields, name, problems)
    extra = _clean_extra(fields.get("extra") or {}, problems)
    if problems:
        raise ValidationError(problems[0], problems)
    return Target(name=name, type=target_type, scheme=scheme, extra=extra, **name_lists, **values)


def _type_and_scheme(fields: dict[str, Any], problems: list[str]) -> tuple[str, str | None]:
    """The target type (guessed from the scheme when not given) and the upper-cased scheme."""
    target_type = str(fields.get("type") or "").strip().upper()
    scheme = str(fields.get("scheme") or "").strip().upper() or None
    if not target_type:
        target_type = NON_SIDEREAL if scheme else SIDEREAL
    if target_type not in TARGET_TYPES:
        problems.append(
            f"type: {fields.get('type')!r} is not a target type; expected SIDEREAL or NON_SIDEREAL"
        )
        target_type = SIDEREAL
    return target_type, scheme


def _parse_numbers(fields: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Every numeric field, parsed; ``None`` where it is absent, empty or not a number."""
    values: dict[str, Any] = dict.fromkeys(NUMERIC_FIELDS)
    for key in [k for k in NUMERIC_FIELDS if k in fields]:
        raw = fields[key]
        if raw is None or raw == "":
            continue
        try:
            if key == "ra":
                values[key] = parse_ra(raw)
            elif key == "dec":
                values[key] = parse_dec(raw)
            else:
                values[key] = parse_float(key, raw)
        except ValidationError as error:
            problems.append(str(error))
    return values


def _check_sidereal(values: dict[str, Any], bad_fields: set[str], problems: list[str]) -> None:
    for key in ("ra", "dec"):
        if values[key] is None and key not in bad_fields:
            problems.append(f"{key}: missing; a sidereal target needs {FIELD_HELP[key]}")


def _check_orbital(
    scheme: str | None, values: dict[str, Any], bad_fields: set[str], problems: list[str]
) -> None:
    if scheme is None:
        problems.append(f"scheme: missing; a non-sidereal target needs one of {', '.join(SCHEMES)}")
    elif scheme not in SCHEMES:
        problems.append(
            f"scheme: {scheme!r} is not an orbital element scheme; expected one of {', '.join(SCHEMES)}"
        )
    required = REQUIRED_ORBITAL_FIELDS + REQUIRED_PER_SCHEME.get(scheme or "", ())
    for key in required:
        if values[key] is None and key not in bad_fields:
            problems.append(f"{key}: missing; the {scheme} scheme needs {FIELD_HELP[key]}")
    eccentricity = values.get("eccentricity")
    if eccentricity is not None and eccentricity < 0:
        problems.append(f"eccentricity: {eccentricity} is negative; expected a value >= 0")


class _NameLists(TypedDict):
    aliases: list[str]
    tags: list[str]
    lists: list[str]


def _name_lists(fields: dict[str, Any], name: str, problems: list[str]) -> _NameLists:
    """Aliases, tags and lists, trimmed and without repeats; an alias that is the name itself is dropped."""
    aliases: list[str] = []
    tags: list[str] = []
    lists: list[str] = []
    try:
        aliases = _clean_names(fields.get("aliases") or (), "alias")
        tags = _clean_names(fields.get("tags") or (), "tag")
        lists = _clean_names(fields.get("lists") or (), "list")
    except ValidationError as error:
        problems.append(str(error))
    if aliases and name:
        own_key = simplify_name(name)
        aliases = [alias for alias in aliases if simplify_name(alias) != own_key]
    return {"aliases": aliases, "tags": tags, "lists": lists}


def _clean_extra(raw_extra: dict[Any, Any], problems: list[str]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key, value in raw_extra.items():
        clean_key = strip_control(str(key)).strip()
        if not clean_key:
            problems.append("extra: empty key; expected KEY=VALUE")
            continue
        extra[clean_key] = parse_extra_value(strip_control_in(value))
    return extra
