"""Run a project: the catalogue split into RA bins, each bin a task on a Dask cluster.

The bins run where :func:`tom_tui.services.reduction.executors.open_executor` says: a local
cluster of single-threaded worker processes on 127.0.0.1 (one per core by default), an existing
cluster given by its scheduler's address (every worker must see the store's directory at the same
path), or this process when one worker is asked for. Outputs go to
``projects/<name>/<version>/`` in the store, next to ``configuration.json`` (every setting, the
code version and the catalogue's digest) and, after each run, ``summary.json``.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tom_tui import __version__
from tom_tui.domain.clock import now_iso
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.projects.histograms import add_histograms, dense_counts
from tom_tui.processing.projects.quality import check_bits
from tom_tui.processing.projects.settings import ANALYSIS_VERSION
from tom_tui.services.projects.catalogue import Catalogue, read_catalogue
from tom_tui.services.projects.project_file import Project, file_digest, read_project, version_of
from tom_tui.services.projects.stages import BinReport, BinTask, parquet_bytes, read_output, run_bin_task
from tom_tui.services.reduction.executors import open_executor
from tom_tui.store.store import Store

PROJECTS_FOLDER = "projects"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
Progress = Callable[[int, int], None]


@dataclass
class RunSummary:
    """What a run did: sources by download status, failures by reason, detections, and whether
    it stopped early (``stopped``: why) or was cut short on purpose (``interrupted``)."""

    project: str
    version: str
    folder: str
    bins: int = 0
    bins_skipped: int = 0
    bins_done: int = 0
    sources: int = 0
    rejected: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failure_reasons: dict[str, int] = field(default_factory=dict)
    detections: int = 0
    stopped: str = ""
    interrupted: bool = False
    finished: str = ""

    def add(self, report: BinReport) -> None:
        self.bins_done += 1
        self.bins_skipped += int(report.skipped)
        for status, count in report.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        reasons = Counter(reason for _, _, reason in report.failures)
        for reason, count in reasons.items():
            self.failure_reasons[reason] = self.failure_reasons.get(reason, 0) + count
        self.detections += report.detections
        if report.stopped and not self.stopped:
            self.stopped = report.stopped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PreparedProject:
    project: Project
    version: str
    folder: str
    catalogue: Catalogue


def prepare(store: Store, path: Path, *, save: bool = True) -> PreparedProject:
    """Read the project and its catalogue, name the version, and (with ``save``, once per
    version) save the configuration, the catalogue at the survey epoch and the rejected rows."""
    project = read_project(path)
    if not _SAFE_NAME.match(project.name):
        raise ValidationError(
            f"{path}: [project] name: {project.name!r} names a folder: use letters, digits, '.', '_' or '-'"
        )
    digest = file_digest(project.catalogue_path) if project.catalogue_path.exists() else ""
    catalogue = read_catalogue(
        project.catalogue_path, project.catalogue, project.download.epoch, project.name
    )
    version = version_of(project, digest)
    folder = f"{PROJECTS_FOLDER}/{project.name}/{version}"
    configuration = {
        **project.configuration(),
        "version": version,
        "code": {"tom_tui": __version__, "analysis": ANALYSIS_VERSION},
        "catalogue_sha256": digest,
        "flag_bits": check_bits(project.analysis.quality.checks),
        "project_file": str(path.resolve()),
    }
    with store.read() as view:
        saved = view.exists(f"{folder}/configuration.json")
    if save and not saved:
        with store.transaction() as tx:
            tx.write_json(f"{folder}/configuration.json", configuration)
            tx.write_bytes(f"{folder}/catalogue.parquet", parquet_bytes(catalogue.sources))
            tx.write_bytes(f"{folder}/rejected.parquet", parquet_bytes(catalogue.rejected))
    return PreparedProject(project, version, folder, catalogue)


def run_project(
    store: Store,
    path: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    stop_after_bins: int | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Run every stage of the project in ``path`` over every bin that is not done.

    ``workers`` local processes (default: one per core; one runs here, with no cluster), or the
    cluster at ``scheduler``. ``stop_after_bins`` ends the run after that many bins, as if it had
    been killed (the rest is left for the next run).
    """
    prepared = prepare(store, path)
    sources = prepared.catalogue.sources
    groups = sources.groupby("ra_bin", sort=True)
    bins = {int(str(ra_bin)): group.reset_index(drop=True) for ra_bin, group in groups}
    summary = RunSummary(prepared.project.name, prepared.version, prepared.folder, bins=len(bins))
    summary.sources, summary.rejected = len(sources), len(prepared.catalogue.rejected)
    tasks = [
        BinTask(str(store.root), prepared.project, prepared.folder, ra_bin, group)
        for ra_bin, group in bins.items()
    ]
    with open_executor(scheduler, workers, len(tasks)) as executor:
        for report in executor.map_unordered(run_bin_task, tasks):
            summary.add(report)
            if progress is not None:
                progress(summary.bins_done, summary.bins)
            cut_short = stop_after_bins is not None and summary.bins_done >= stop_after_bins
            if summary.stopped or cut_short:
                # Leaving the loop cancels the bins not started; a bin already running on a
                # worker either finishes or leaves nothing half-written (one transaction).
                summary.interrupted = cut_short and not summary.stopped
                break
    summary.finished = now_iso()
    totals = add_histograms([read_output(store, prepared.folder, "histograms")])
    with store.transaction() as tx:
        tx.write_json(f"{prepared.folder}/summary.json", summary.as_dict())
        tx.write_bytes(f"{prepared.folder}/histograms.parquet", parquet_bytes(totals))
        tx.write_bytes(f"{prepared.folder}/histograms.npz", dense_histograms(totals, prepared.project))
    return summary


def dense_histograms(totals: pd.DataFrame, project: Project) -> bytes:
    """The summed histograms as arrays in an ``.npz`` file: for each kind (``real``,
    ``injected``) a ``filters × magnitude bins × score bins`` array of counts, with the filter
    names and both sets of bin edges."""
    settings = project.analysis.histograms
    arrays: dict[str, np.ndarray] = {
        "mag_edges": np.asarray(settings.mag_edges),
        "score_edges": np.asarray(settings.score_edges),
    }
    for kind in ("real", "injected"):
        filters, counts = dense_counts(totals, settings, kind)
        arrays[f"{kind}_counts"], arrays[f"{kind}_filters"] = counts, np.asarray(filters, dtype=str)
    sink = io.BytesIO()
    np.savez(sink, allow_pickle=False, **arrays)
    return sink.getvalue()
