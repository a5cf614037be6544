"""`tom-tui data ...` (upload, list, show, delete, undo, export) and `tom-tui photometry TARGET`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import AppContext, emit_json, handle_errors, pass_app
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.dataproducts import BUILTIN_PROCESSORS, ProcessOptions
from tom_tui.processing.photometry import PhotometryFormat, ReadOptions
from tom_tui.processing.photometry.dedup import DedupPolicy, OnDuplicatePoint
from tom_tui.processing.photometry.export import ExportFormat
from tom_tui.processing.photometry.normalise import MAPPABLE_FIELDS
from tom_tui.processing.photometry.timeformat import TimeFormat
from tom_tui.processing.spectra import SpectrumOptions
from tom_tui.services.data import products as data_service
from tom_tui.services.data.export import export_photometry, export_spectra
from tom_tui.services.photometry.reads import points_to_json
from tom_tui.store.dataproducts import DataProduct


def parse_column_map(pairs: tuple[str, ...]) -> dict[str, str]:
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


def parse_pairs(pairs: tuple[str, ...], option: str, shape: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise ValidationError(f"{option} {pair!r}: expected {shape}")
        parsed[key.strip()] = value
    return parsed


@click.group("data")
def data_group() -> None:
    """Data products: files kept with a target (photometry, spectra, images, anything)."""


@data_group.command("upload")
@click.argument("target")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--type", "data_type", required=True, help=f"Data type: {', '.join(BUILTIN_PROCESSORS)} or a plugin's."
)
@click.option("--observation", "observation_id", help="Id of the observation this file came from.")
@click.option("--group", "groups", multiple=True, help="Group allowed to see it (repeatable).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice([f.value for f in PhotometryFormat]),
    default="auto",
    show_default=True,
    help="Photometry file format.",
)
@click.option(
    "--time-format",
    type=click.Choice([f.value for f in TimeFormat]),
    help="Time column format when its name does not say (mjd, jd, iso).",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Which file column holds a field (time, mag, magerr, limit, filter, flux, fluxerr, zp, ...).",
)
@click.option("--filter", "default_filter", help="Filter for files without a filter column.")
@click.option("--telescope", help="Telescope for rows that do not name one.")
@click.option("--instrument", help="Instrument for rows that do not name one.")
@click.option("--source", "source_name", help="Source/origin for rows that do not name one.")
@click.option(
    "--flux-unit", help="Unit of a flux column without zero point (uJy, nJy, mJy, Jy; default uJy)."
)
@click.option("--zero-point", type=float, help="AB zero point of the flux column when the file has none.")
@click.option(
    "--magsys",
    default="ab",
    show_default=True,
    help="Magnitude system when the file has no magsys column (ab, vega, instrumental...); "
    "only AB magnitudes are converted to fluxes.",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="COLUMN=VALUE",
    help="Keep only rows with this value (one object of a multi-object table), repeatable.",
)
@click.option(
    "--on-duplicate",
    type=click.Choice([p.value for p in OnDuplicatePoint]),
    default="error",
    show_default=True,
    help="A point with the same MJD, filter, telescope, instrument and source as a stored one.",
)
@click.option(
    "--mjd-match",
    type=float,
    metavar="DAYS",
    help="YSE-PZ style: a point within DAYS of a stored one (same filter, instrument) is the same point.",
)
@click.option(
    "--clobber", is_flag=True, help="With --mjd-match: replace matched stored points instead of skipping."
)
@click.option("--wavelength-unit", help="Spectra: wavelength unit when the file does not give it.")
@click.option("--flux-unit-spectrum", help="Spectra: flux unit when the file does not give it.")
@click.option("--date", "observed", help="Spectra: observation date when the file has none (ISO).")
@click.option(
    "--allow-same-file", is_flag=True, help="Upload a file even if the same content is already there."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
@handle_errors
def upload_command(
    app: AppContext,
    target: str,
    file: Path,
    data_type: str,
    observation_id: str | None,
    groups: tuple[str, ...],
    file_format: str,
    time_format: str | None,
    columns: tuple[str, ...],
    default_filter: str | None,
    telescope: str | None,
    instrument: str | None,
    source_name: str | None,
    flux_unit: str | None,
    zero_point: float | None,
    magsys: str,
    where: tuple[str, ...],
    on_duplicate: str,
    mjd_match: float | None,
    clobber: bool,
    wavelength_unit: str | None,
    flux_unit_spectrum: str | None,
    observed: str | None,
    allow_same_file: bool,
    as_json: bool,
) -> None:
    """Copy FILE into the store as a data product of TARGET and process it (all or nothing)."""
    if clobber and mjd_match is None:
        raise ValidationError("--clobber needs --mjd-match DAYS")
    options = ProcessOptions(
        photometry=ReadOptions(
            format=PhotometryFormat(file_format),
            time_format=TimeFormat(time_format) if time_format else None,
            columns=parse_column_map(columns),
            filter=default_filter,
            telescope=telescope,
            instrument=instrument,
            source=source_name,
            flux_unit=flux_unit,
            zero_point=zero_point,
            magsys=magsys,
            where=parse_pairs(where, "--where", "COLUMN=VALUE"),
        ),
        spectrum=SpectrumOptions(
            wavelength_unit=wavelength_unit,
            flux_unit=flux_unit_spectrum,
            date=observed,
            telescope=telescope,
            instrument=instrument,
        ),
    )
    policy = DedupPolicy(
        on_duplicate=OnDuplicatePoint(on_duplicate), mjd_match_days=mjd_match, clobber=clobber
    )
    outcome = data_service.upload_data_product(
        app.store,
        target,
        file,
        data_type,
        observation_id=observation_id,
        groups=list(groups),
        options=options,
        dedup=policy,
        allow_same_file=allow_same_file,
    )
    if as_json:
        emit_json(outcome.to_json())
        return
    product = outcome.product
    click.echo(f"Data product {product.id} ({product.type}) added to {outcome.target.name}: {product.path}")
    if outcome.ingest is not None:
        ingest = outcome.ingest
        click.echo(
            f"Photometry upload {ingest.upload_id}: {ingest.added} points added, "
            f"{ingest.duplicates_skipped} duplicates skipped, {ingest.replaced} replaced"
            f" (undo with `tom-tui data undo {ingest.upload_id}`)"
        )
        if ingest.skipped_lines:
            shown = ", ".join(str(n) for n in ingest.skipped_lines[:10])
            more = "..." if len(ingest.skipped_lines) > 10 else ""
            click.echo(
                f"{len(ingest.skipped_lines)} rows hold no measurement and were not stored "
                f"(lines {shown}{more})",
                err=True,
            )
    if outcome.spectrum is not None:
        spectrum = outcome.spectrum
        click.echo(
            f"Spectrum {spectrum.id}: {spectrum.points} points, {spectrum.wavelength_min:.1f}–"
            f"{spectrum.wavelength_max:.1f} {spectrum.wavelength_unit}, flux unit "
            f"{spectrum.flux_unit or 'not given by the file'}, observed {spectrum.date_obs or 'unknown'}"
        )


def _product_line(product: DataProduct) -> str:
    extra = ""
    if product.upload_id is not None:
        extra = f" upload {product.upload_id}"
    if product.spectrum_id is not None:
        extra = f" spectrum {product.spectrum_id}"
    return (
        f"{product.id:>5}  {product.type:<12} {product.size:>10}  {product.created}  "
        f"{product.original_name}{extra}"
    )


@data_group.command("list")
@click.argument("target", required=False)
@click.option("--type", "data_type", help="Only products of this type.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def list_command(app: AppContext, target: str | None, data_type: str | None, as_json: bool) -> None:
    """List data products, of one TARGET or all."""
    products = data_service.list_products(app.store, target, data_type)
    if as_json:
        emit_json([product.to_json() for product in products])
        return
    if not products:
        click.echo("No data products.")
        return
    click.echo(f"{'id':>5}  {'type':<12} {'bytes':>10}  {'created':<25}  file")
    for product in products:
        click.echo(_product_line(product))


@data_group.command("show")
@click.argument("product_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def show_command(app: AppContext, product_id: int, as_json: bool) -> None:
    """Show one data product and what processing found in it."""
    product = data_service.get_product(app.store, product_id)
    document = product.to_json()
    document["file"] = str(data_service.product_file(app.store, product))
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        if key == "details" and isinstance(value, dict):
            for detail_key, detail_value in value.items():
                if detail_key != "header":
                    click.echo(f"  {detail_key}: {detail_value}")
            continue
        click.echo(f"{key}: {value}")


@data_group.command("delete")
@click.argument("product_id", type=int)
@pass_app
@handle_errors
def delete_command(app: AppContext, product_id: int) -> None:
    """Delete a data product with its file and the photometry or spectrum it brought."""
    product = data_service.delete_product(app.store, product_id)
    click.echo(f"Deleted data product {product.id} ({product.original_name}).")


@data_group.command("undo")
@click.argument("upload_id", type=int)
@pass_app
@handle_errors
def undo_command(app: AppContext, upload_id: int) -> None:
    """Remove exactly the photometry points of one upload (and restore points it replaced)."""
    upload = data_service.undo_photometry_upload(app.store, upload_id)
    click.echo(
        f"Undid photometry upload {upload.id}: removed {upload.rows} points"
        + (f", restored {upload.replaced} replaced points" if upload.replaced else "")
        + "."
    )


@data_group.command("export")
@click.argument("targets", nargs=-1)
@click.option("--list", "list_name", help="Export every target of this target list.")
@click.option(
    "--format",
    "export_format",
    type=click.Choice([f.value for f in ExportFormat] + ["fits"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--spectra", is_flag=True, help="Export spectra (ecsv or fits, one file each) instead of photometry."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (a directory for spectra, or for snana/tomtoolkit with several targets).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@handle_errors
def export_command(
    app: AppContext,
    targets: tuple[str, ...],
    list_name: str | None,
    export_format: str,
    spectra: bool,
    output: Path,
    as_json: bool,
) -> None:
    """Export photometry (or spectra) of TARGETS and/or a whole --list."""
    if spectra:
        report = export_spectra(
            app.store, list(targets), list_name, "ecsv" if export_format == "csv" else export_format, output
        )
    else:
        if export_format == "fits":
            raise ValidationError(
                "--format fits is for --spectra; photometry exports csv, ecsv, json, snana or tomtoolkit"
            )
        report = export_photometry(app.store, list(targets), list_name, ExportFormat(export_format), output)
    if as_json:
        emit_json(report.to_json())
        return
    what = f"{report.spectra} spectra" if spectra else f"{report.points} points"
    click.echo(f"Exported {what} of {report.targets} targets to {', '.join(report.files) or output}.")
    if report.left_out:
        click.echo(
            f"{report.left_out} upper limits without a flux were left out (SNANA needs fluxes).", err=True
        )


POINT_COLUMNS = [
    "mjd",
    "filter",
    "mag",
    "magerr",
    "limit",
    "flux",
    "fluxerr",
    "telescope",
    "instrument",
    "source",
]


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@click.command("photometry")
@click.argument("target")
@click.option("--filter", "filters", multiple=True, help="Only this filter (repeatable).")
@click.option("--since", "since_days", type=float, metavar="DAYS", help="Only points of the last DAYS days.")
@click.option("--json", "as_json", is_flag=True, help="JSON list of points.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")
@pass_app
@handle_errors
def photometry_command(
    app: AppContext,
    target: str,
    filters: tuple[str, ...],
    since_days: float | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Print the photometry of TARGET."""
    from tom_tui.domain.clock import now_mjd

    since = None if since_days is None else now_mjd() - since_days
    found, table = data_service.photometry_of(app.store, target, list(filters) or None, since)
    if as_json:
        emit_json(points_to_json(table))
        return
    rows = points_to_json(table)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(POINT_COLUMNS)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in POINT_COLUMNS])
        return
    if not rows:
        click.echo(f"{found.name}: no photometry.")
        return
    click.echo(f"{found.name}: {len(rows)} points")
    click.echo(
        f"{'MJD':>12} {'filter':<8} {'mag':>7} {'err':>6} {'limit':>7} {'flux µJy':>11} {'err':>9}  source"
    )
    for row in rows:
        origin = " ".join(str(row[c]) for c in ("telescope", "instrument", "source") if row[c])
        click.echo(
            f"{row['mjd']:>12.5f} {row['filter'] or '':<8} {_cell(row['mag'], 3):>7} "
            f"{_cell(row['magerr'], 3):>6} "
            f"{_cell(row['limit'], 2):>7} {_cell(row['flux'], 2):>11} {_cell(row['fluxerr'], 2):>9}  {origin}"
        )


COMMANDS: list[click.Command] = [data_group, photometry_command]
