"""Exporting photometry (one target, many, or a whole target list) and spectra to files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tom_tui.domain.errors import ValidationError
from tom_tui.domain.spectra import Spectrum
from tom_tui.domain.target import Target
from tom_tui.processing.photometry import export as photometry_export
from tom_tui.processing.photometry.export import ExportFormat as ExportFormat  # the face chooses one
from tom_tui.processing.spectra import writers as spectrum_writers
from tom_tui.services.photometry.reads import target_photometry
from tom_tui.services.targets.operations import TargetFilter, TargetService
from tom_tui.store.spectra import SpectrumRepository
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository


@dataclass
class ExportReport:
    files: list[str] = field(default_factory=list)
    targets: int = 0
    points: int = 0
    spectra: int = 0
    left_out: int = 0  # points the format cannot hold (SNANA: no flux; TOM Toolkit: no magnitude or limit)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "targets": self.targets,
            "points": self.points,
            "spectra": self.spectra,
            "left_out": self.left_out,
        }


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "target"


def resolve_targets(store: Store, references: list[str], list_name: str | None) -> list[Target]:
    targets: list[Target] = []
    with store.read() as view:
        repository = TargetRepository(view)
        targets.extend(repository.resolve(reference) for reference in references)
    if list_name is not None:
        rows = TargetService(store).query(TargetFilter(lists=[list_name]))
        ids = [int(i) for i in rows.column("id").to_pylist()]
        with store.read() as view:
            targets.extend(TargetRepository(view).get_many(ids))
    if not targets:
        raise ValidationError("nothing to export: name targets or give --list LIST")
    unique: dict[int, Target] = {}
    for target in targets:
        assert target.id is not None
        unique.setdefault(target.id, target)
    return list(unique.values())


def export_photometry(
    store: Store,
    references: list[str],
    list_name: str | None,
    fmt: ExportFormat,
    output: Path,
    include_flagged: bool = False,
) -> ExportReport:
    """Write the points of the targets (flagged points only with ``include_flagged``) to ``output``."""
    targets = resolve_targets(store, references, list_name)
    report = ExportReport(targets=len(targets))
    with store.read() as view:
        tables = [
            (target, target_photometry(view, target.id or 0, include_flagged=include_flagged))
            for target in targets
        ]
    report.points = sum(table.num_rows for _, table in tables)
    if fmt.one_target_per_file and len(targets) > 1:
        output.mkdir(parents=True, exist_ok=True)
        destinations = [
            (target, table, output / f"{_file_stem(target.name)}{fmt.suffix}") for target, table in tables
        ]
    elif fmt.one_target_per_file:
        destinations = [(tables[0][0], tables[0][1], output)]
    else:
        combined = photometry_export.with_target_names([(target.name, table) for target, table in tables])
        writer = {
            ExportFormat.CSV: photometry_export.write_csv,
            ExportFormat.ECSV: photometry_export.write_ecsv,
            ExportFormat.JSON: photometry_export.write_json,
        }[fmt]
        output.parent.mkdir(parents=True, exist_ok=True)
        writer(combined, output)
        report.files.append(str(output))
        return report
    for target, table, destination in destinations:
        named = photometry_export.with_target_names([(target.name, table)])
        if fmt is ExportFormat.SNANA:
            report.left_out += photometry_export.write_snana(
                named, destination, target.name, target.ra, target.dec
            )
        else:
            report.left_out += photometry_export.write_tomtoolkit(named, destination)
        report.files.append(str(destination))
    return report


# Spectrum export formats: the file suffix and the writer of each.
SPECTRUM_WRITERS = {
    "ecsv": (".ecsv", spectrum_writers.write_spectrum_ecsv),
    "fits": (".fits", spectrum_writers.write_spectrum_fits),
    "tomtoolkit": (".csv", spectrum_writers.write_spectrum_tomtoolkit),
}


def write_spectrum(spectrum: Spectrum, path: Path, fmt: str, name: str) -> None:
    SPECTRUM_WRITERS[fmt][1](spectrum, path, name)


def export_spectra(
    store: Store, references: list[str], list_name: str | None, fmt: str, output: Path
) -> ExportReport:
    if fmt not in SPECTRUM_WRITERS:
        raise ValidationError(f"spectra export format {fmt!r}: expected {', '.join(SPECTRUM_WRITERS)}")
    targets = resolve_targets(store, references, list_name)
    report = ExportReport(targets=len(targets))
    output.mkdir(parents=True, exist_ok=True)
    with store.read() as view:
        repository = SpectrumRepository(view)
        for target in targets:
            for record in repository.for_target(target.id or 0):
                spectrum = repository.load(record)
                destination = (
                    output / f"{_file_stem(target.name)}_spectrum{record.id}{SPECTRUM_WRITERS[fmt][0]}"
                )
                write_spectrum(spectrum, destination, fmt, target.name)
                report.files.append(str(destination))
                report.spectra += 1
    return report
