"""The work of one RA bin of a project: download from each survey, then every analysis stage.

This is what a Dask worker runs. Each bin writes only its own files, so workers never write the
same file; all of a bin's analysis outputs are written in one transaction, together with
``done/ra_NNN.json``, which records what the analysis was made from. A bin is skipped when that
record shows every source answered; it is analysed again when more answers have arrived since.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tom_tui.domain.errors import ValidationError
from tom_tui.processing.projects.analysis import PartitionResult, analyse_partition, source_properties
from tom_tui.processing.projects.finders import Finder
from tom_tui.processing.projects.lightcurves import empty_raw
from tom_tui.processing.projects.quality import QualityCheck
from tom_tui.services import plugins
from tom_tui.services.projects.download import BinDownload, download_bin
from tom_tui.services.projects.project_file import Project
from tom_tui.services.projects.raw_data import position_key, read_rows
from tom_tui.store.store import Store

# Per-bin output tables, each a folder of ra_NNN.parquet files under the version folder.
OUTPUT_TABLES = (
    "download",
    "lightcurves",
    "candidates",
    "detections",
    "properties",
    "injections",
    "histograms",
)
UNANSWERED = ("failed", "pending")


@dataclass
class BinReport:
    """What one bin's task did, sent back to the run: counts by download status, failures with
    their reasons, detections, whether the bin was skipped or stopped early."""

    ra_bin: int
    skipped: bool = False
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    detections: int = 0
    stopped: str = ""


def bin_rel(version_rel: str, table: str, ra_bin: int, suffix: str = "parquet") -> str:
    return f"{version_rel}/{table}/ra_{ra_bin:03d}.{suffix}"


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as Parquet; filters are written as plain text in every file (not as a dictionary
    in some), so the files of one folder read as one table."""
    categorical = [name for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)]
    if categorical:
        frame = frame.astype({name: object for name in categorical})
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue()


def read_output(store: Store, folder: str, table: str) -> pd.DataFrame:
    """All bins of one output table of a version folder, as one frame (empty when none yet)."""
    if table not in OUTPUT_TABLES:
        raise ValidationError(
            f"table: {table!r} is not an output; expected one of {', '.join(OUTPUT_TABLES)}"
        )
    with store.read() as view:
        files = [rel for rel in view.list_dir(f"{folder}/{table}") if rel.endswith(".parquet")]
        parts = [view.read_parquet(rel) for rel in files]
    frames = [part.to_pandas() for part in parts if part is not None and part.num_rows]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _done_record(store: Store, version_rel: str, ra_bin: int) -> dict[str, Any] | None:
    with store.read() as view:
        record: dict[str, Any] | None = view.read_json(bin_rel(version_rel, "done", ra_bin, "json"))
    return record


def _raw_for(store: Store, project: Project, ra_bin: int, sources: pd.DataFrame) -> pd.DataFrame:
    """The bin's raw measurements from every survey, each row naming its catalogue source."""
    radius = project.download.radius_arcsec
    keys = [
        position_key(float(ra), float(dec), radius)
        for ra, dec in zip(sources["ra"], sources["dec"], strict=True)
    ]
    source_of_key = dict(zip(keys, sources["source"].astype(int), strict=True))
    parts = []
    for survey in project.download.surveys:
        rows = read_rows(store, survey, ra_bin, keys)
        if len(rows):
            rows["source"] = rows["key"].map(source_of_key).astype("int64")
            parts.append(rows)
    return pd.concat(parts, ignore_index=True) if parts else empty_raw()


def _write_outputs(
    store: Store,
    version_rel: str,
    ra_bin: int,
    downloads: pd.DataFrame,
    result: PartitionResult,
    sources: pd.DataFrame,
) -> None:
    names = sources[["source", "name", "ra", "dec"]]
    detections = result.detections.drop(columns=["lightcurve"]).merge(names, on="source", how="left")
    tables = {
        "download": downloads,
        "lightcurves": result.lightcurves,
        "candidates": result.candidates.drop(columns=["lightcurve"]),
        "detections": detections,
        "properties": source_properties(result.lightcurves, result.candidates),
        "injections": result.injections.drop(columns=["lightcurve"], errors="ignore"),
        "histograms": result.histograms,
    }
    statuses = downloads["status"].value_counts().to_dict()
    record = {"sources": len(sources), "statuses": {str(k): int(v) for k, v in statuses.items()}}
    with store.transaction() as tx:
        for table, frame in tables.items():
            tx.write_bytes(bin_rel(version_rel, table, ra_bin), parquet_bytes(frame))
        tx.write_json(bin_rel(version_rel, "done", ra_bin, "json"), record)


def _complete(record: dict[str, Any] | None, sources: int) -> bool:
    if record is None or record.get("sources") != sources:
        return False
    return not any(record.get("statuses", {}).get(status) for status in UNANSWERED)


@dataclass(frozen=True)
class BinTask:
    """One bin's work, as sent to a worker (everything in it pickles)."""

    root: str
    project: Project
    version_rel: str
    ra_bin: int
    sources: pd.DataFrame


def run_bin_task(task: BinTask) -> BinReport:
    """The function each worker runs."""
    return run_bin(task.root, task.project, task.version_rel, task.ra_bin, task.sources)


def run_bin(root: str, project: Project, version_rel: str, ra_bin: int, sources: pd.DataFrame) -> BinReport:
    """Download and analyse one bin."""
    store = Store.open(Path(root))
    report = BinReport(ra_bin)
    record = _done_record(store, version_rel, ra_bin)
    if _complete(record, len(sources)):
        assert record is not None
        return BinReport(ra_bin, skipped=True, statuses=dict(record["statuses"]))
    downloads = [_download(store, project, survey, ra_bin, sources) for survey in project.download.surveys]
    table = pd.concat([download.table() for download in downloads], ignore_index=True)
    report.statuses = {str(k): int(v) for k, v in table["status"].value_counts().items()}
    failed = table[table["status"] == "failed"]
    report.failures = list(zip(failed["source"].astype(int), failed["survey"], failed["reason"], strict=True))
    report.stopped = next((download.stopped for download in downloads if download.stopped), "")
    if report.stopped:
        return report
    new_answers = report.statuses.get("downloaded", 0) + report.statuses.get("empty", 0)
    if record is not None and new_answers == 0:
        # Nothing arrived since the last analysis (only failures again): it still holds.
        report.detections = _detections_written(store, version_rel, ra_bin)
        return report
    result = analyse_partition(
        _raw_for(store, project, ra_bin, sources), _checks(project), _finder(project), project.analysis
    )
    _write_outputs(store, version_rel, ra_bin, table, result, sources)
    report.detections = len(result.detections)
    return report


def _download(
    store: Store, project: Project, survey_name: str, ra_bin: int, sources: pd.DataFrame
) -> BinDownload:
    survey = plugins.make_survey(survey_name, store.config, store.root)
    return download_bin(store, survey, ra_bin, sources, project.download)


def _detections_written(store: Store, version_rel: str, ra_bin: int) -> int:
    with store.read() as view:
        table = view.read_parquet(bin_rel(version_rel, "detections", ra_bin), columns=["source"])
    return 0 if table is None else table.num_rows


def _checks(project: Project) -> Sequence[QualityCheck]:
    return [plugins.project_check(name) for name in project.analysis.quality.checks]


def _finder(project: Project) -> Finder:
    return plugins.project_finder(project.analysis.find.finder)
