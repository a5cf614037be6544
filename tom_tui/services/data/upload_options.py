"""The options of uploading a data product, declared once.

``tom-tui data upload`` turns :data:`UPLOAD_OPTIONS` into its flags and the TUI upload dialog into
its fields; both hand the values (by option name) to :func:`upload_file`, which checks them with
:meth:`~tom_tui.domain.options.Option.convert`, builds the reading options of the processing stage
and the duplicate policy, and uploads through :func:`tom_tui.services.data.products.upload_data_product`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.options import Option, parse_pairs, resolve_options
from tom_tui.domain.photometry import DedupPolicy, OnDuplicatePoint
from tom_tui.domain.target import TargetRef
from tom_tui.processing.dataproducts import ProcessOptions
from tom_tui.processing.photometry import PhotometryFormat, ReadOptions
from tom_tui.processing.photometry.normalise import MAPPABLE_FIELDS
from tom_tui.processing.photometry.timeformat import TimeFormat
from tom_tui.processing.spectra import SpectrumOptions
from tom_tui.services import plugins
from tom_tui.services.data import products as data_service
from tom_tui.store.store import Store

BUILTIN_DATA_TYPES = tuple(plugins.PROCESSORS.builtins)

# The options a user sets when choosing the file (shown first in the dialog).
DATA_TYPE = Option(
    "data_type",
    "str",
    None,
    f"Data type: {', '.join(BUILTIN_DATA_TYPES)} or a plugin's.",
    required=True,
    flag_name="type",
)
UPLOAD_OPTIONS: tuple[Option, ...] = (
    DATA_TYPE,
    Option("observation_id", help="Id of the observation this file came from.", flag_name="observation"),
    Option("groups", help="Group allowed to see it (repeatable).", multiple=True, flag_name="group"),
    Option(
        "file_format",
        "choice",
        "auto",
        "Photometry file format.",
        choices=tuple(f.value for f in PhotometryFormat),
        flag_name="format",
    ),
    Option(
        "time_format",
        "choice",
        None,
        "Time column format when its name does not say (mjd, jd, iso).",
        choices=tuple(f.value for f in TimeFormat),
    ),
    Option(
        "columns",
        help="Which file column holds a field (time, mag, magerr, limit, filter, flux, fluxerr, zp, ...).",
        multiple=True,
        flag_name="column",
        metavar="FIELD=COLUMN",
    ),
    Option("default_filter", help="Filter for files without a filter column.", flag_name="filter"),
    Option("telescope", help="Telescope for rows that do not name one."),
    Option("instrument", help="Instrument for rows that do not name one."),
    Option("source_name", help="Source/origin for rows that do not name one.", flag_name="source"),
    Option("flux_unit", help="Unit of a flux column without zero point (uJy, nJy, mJy, Jy; default uJy)."),
    Option("zero_point", "float", None, "AB zero point of the flux column when the file has none."),
    Option(
        "magsys",
        "str",
        "ab",
        "Magnitude system when the file has no magsys column (ab, vega, instrumental...); "
        "only AB magnitudes are converted to fluxes.",
    ),
    Option(
        "where",
        help="Keep only rows with this value (one object of a multi-object table, or one "
        "spectrum of a file holding several), repeatable.",
        multiple=True,
        metavar="COLUMN=VALUE",
    ),
    Option(
        "on_duplicate",
        "choice",
        "error",
        "A point with the same MJD, filter, telescope, instrument and source as a stored one.",
        choices=tuple(p.value for p in OnDuplicatePoint),
    ),
    Option(
        "mjd_match",
        "float",
        None,
        "YSE-PZ style: a point within DAYS of a stored one (same filter, instrument) is the same point.",
        metavar="DAYS",
    ),
    Option("clobber", "bool", False, "With --mjd-match: replace matched stored points instead of skipping."),
    Option(
        "skip_invalid",
        "bool",
        False,
        "Photometry: leave out lines with bad values (each reported) instead of refusing the file.",
    ),
    Option("wavelength_unit", help="Spectra: wavelength unit when the file does not give it."),
    Option("flux_unit_spectrum", help="Spectra: flux unit when the file does not give it."),
    Option("observed", help="Spectra: observation date when the file has none (ISO).", flag_name="date"),
    Option("allow_same_file", "bool", False, "Upload a file even if the same content is already there."),
)


@dataclass(frozen=True)
class UploadRequest:
    """Checked upload values, in the shapes the data service takes."""

    data_type: str
    observation_id: str | None
    groups: list[str]
    options: ProcessOptions
    dedup: DedupPolicy
    allow_same_file: bool


def parse_column_map(pairs: Iterable[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` pairs → which file column holds each field."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        key, separator, column = pair.partition("=")
        key = key.strip().lower()
        if not separator or not column.strip():
            raise ValidationError(f"--column {pair!r}: expected FIELD=COLUMN, e.g. --column mag=m_ap")
        if key not in MAPPABLE_FIELDS:
            raise ValidationError(
                f"--column {pair!r}: field {key!r} is not one of {', '.join(MAPPABLE_FIELDS)}"
            )
        mapping[key] = column.strip()
    return mapping


def upload_request(raw: Mapping[str, Any]) -> UploadRequest:
    """Check raw option values (by option name) and build what the upload needs."""
    values = resolve_options(UPLOAD_OPTIONS, raw, "data upload")
    if values["clobber"] and values["mjd_match"] is None:
        raise ValidationError("--clobber needs --mjd-match DAYS")
    time_format = values["time_format"]
    photometry = ReadOptions(
        format=PhotometryFormat(values["file_format"]),
        time_format=TimeFormat(time_format) if time_format else None,
        columns=parse_column_map(values["columns"]),
        filter=values["default_filter"],
        telescope=values["telescope"],
        instrument=values["instrument"],
        source=values["source_name"],
        flux_unit=values["flux_unit"],
        zero_point=values["zero_point"],
        magsys=values["magsys"],
        where=parse_pairs(values["where"], "--where", "COLUMN=VALUE"),
        skip_invalid=values["skip_invalid"],
    )
    spectrum = SpectrumOptions(
        where=photometry.where,
        wavelength_unit=values["wavelength_unit"],
        flux_unit=values["flux_unit_spectrum"],
        date=values["observed"],
        telescope=values["telescope"],
        instrument=values["instrument"],
    )
    return UploadRequest(
        data_type=values["data_type"],
        observation_id=values["observation_id"],
        groups=list(values["groups"]),
        options=ProcessOptions(photometry=photometry, spectrum=spectrum),
        dedup=DedupPolicy(
            on_duplicate=OnDuplicatePoint(values["on_duplicate"]),
            mjd_match_days=values["mjd_match"],
            clobber=values["clobber"],
        ),
        allow_same_file=values["allow_same_file"],
    )


def upload_form_options() -> tuple[Option, ...]:
    """The upload options for a form: the data type is picked from the installed ones."""
    data_type = replace(
        DATA_TYPE, type="choice", choices=plugins.plugin_names(plugins.PROCESSORS), default="photometry"
    )
    return (data_type, *UPLOAD_OPTIONS[1:])


def upload_file(
    store: Store, target: TargetRef, path: Path, raw: Mapping[str, Any]
) -> data_service.UploadOutcome:
    """Upload ``path`` as a data product of ``target`` with the given option values (all or nothing)."""
    request = upload_request(raw)
    return data_service.upload_data_product(
        store,
        target,
        path,
        request.data_type,
        observation_id=request.observation_id,
        groups=request.groups,
        options=request.options,
        dedup=request.dedup,
        allow_same_file=request.allow_same_file,
    )
