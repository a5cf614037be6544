"""`tom-tui data ...` (upload, list, show, delete, undo, export) and `tom-tui photometry TARGET`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import (
    AppContext,
    app_command,
    complete_target_names,
    emit_json,
    json_flag,
    json_option,
)
from tom_tui.cli.options import add_click_options, option_values
from tom_tui.cli.photometry import photometry_command
from tom_tui.domain.dataproducts import DataProduct
from tom_tui.domain.errors import ValidationError
from tom_tui.services.data import products as data_service
from tom_tui.services.data.export import ExportFormat, export_photometry, export_spectra
from tom_tui.services.data.upload_options import UPLOAD_OPTIONS, upload_file


@click.group("data")
def data_group() -> None:
    """Data products: files kept with a target (photometry, spectra, images, anything)."""


@data_group.command("upload")
@click.argument("target", shell_complete=complete_target_names)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@add_click_options(UPLOAD_OPTIONS)
@json_option("Print the result as JSON.")
@app_command
def upload_command(app: AppContext, /, target: str, file: Path, as_json: bool, **values: Any) -> None:
    """Copy FILE into the store as a data product of TARGET and process it (all or nothing)."""
    outcome = upload_file(app.store, target, file, option_values(UPLOAD_OPTIONS, values))
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
        for note in ingest.notes:
            click.echo(f"  {note}", err=True)
        for line in ingest.invalid_lines:
            click.echo(f"  skipped: {line}", err=True)
    for spectrum in outcome.spectra:
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
@click.argument("target", required=False, shell_complete=complete_target_names)
@click.option("--type", "data_type", help="Only products of this type.")
@json_flag
@app_command
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
@json_flag
@app_command
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
@app_command
def delete_command(app: AppContext, product_id: int) -> None:
    """Delete a data product with its file and the photometry or spectrum it brought."""
    product = data_service.delete_product(app.store, product_id)
    click.echo(f"Deleted data product {product.id} ({product.original_name}).")


@data_group.command("undo")
@click.argument("upload_id", type=int)
@app_command
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
    "--spectra",
    is_flag=True,
    help="Export spectra (ecsv, fits or tomtoolkit CSV, one file each) instead of photometry.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (a directory for spectra, or for snana/tomtoolkit with several targets).",
)
@click.option("--include-flagged", is_flag=True, help="Also export photometry points flagged as bad.")
@json_flag
@app_command
def export_command(
    app: AppContext,
    targets: tuple[str, ...],
    list_name: str | None,
    export_format: str,
    spectra: bool,
    output: Path,
    as_json: bool,
    include_flagged: bool,
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
        report = export_photometry(
            app.store, list(targets), list_name, ExportFormat(export_format), output, include_flagged
        )
    if as_json:
        emit_json(report.to_json())
        return
    what = f"{report.spectra} spectra" if spectra else f"{report.points} points"
    click.echo(f"Exported {what} of {report.targets} targets to {', '.join(report.files) or output}.")
    if report.left_out:
        reason = (
            "upper limits without a flux (SNANA needs fluxes)"
            if export_format == "snana"
            else "points with neither magnitude nor limit (TOM Toolkit needs one)"
        )
        click.echo(f"{report.left_out} {reason} were left out.", err=True)


COMMANDS: list[click.Command] = [data_group, photometry_command]
