"""What a project has produced: its status per version, its tables, and promoting detections.

Every output is a folder of Parquet files (one per RA bin) that pandas, DuckDB or Dask read
without tom-tui, e.g. ``pd.read_parquet("STORE/projects/<name>/<version>/detections")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tom_tui.domain.errors import NotFoundError
from tom_tui.domain.target import build_target
from tom_tui.processing.projects.histograms import add_histograms
from tom_tui.services.projects.run import PROJECTS_FOLDER, PreparedProject, prepare
from tom_tui.services.projects.stages import read_output
from tom_tui.services.targets.operations import OnDuplicate, TargetService, add_targets
from tom_tui.store.store import Store
from tom_tui.store.targets import TargetRepository


@dataclass
class ProjectStatus:
    """The state of a project's current version (its settings and catalogue as they are now)."""

    project: str
    version: str
    folder: str
    bins: int
    bins_done: int
    sources: int
    rejected: int
    statuses: dict[str, int] = field(default_factory=dict)
    detections: int = 0
    last_run: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def project_status(store: Store, path: Path) -> ProjectStatus:
    """How far the project in ``path`` has come (nothing is downloaded or computed)."""
    prepared = prepare(store, path, save=False)
    with store.read() as view:
        done = [rel for rel in view.list_dir(f"{prepared.folder}/done") if rel.endswith(".json")]
        records = [view.read_json(rel) for rel in done]
        last_run = view.read_json(f"{prepared.folder}/summary.json") or {}
    statuses: dict[str, int] = {}
    for record in records:
        for status, count in (record or {}).get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + int(count)
    sources = prepared.catalogue.sources
    return ProjectStatus(
        project=prepared.project.name,
        version=prepared.version,
        folder=prepared.folder,
        bins=int(sources["ra_bin"].nunique()),
        bins_done=len(done),
        sources=len(sources),
        rejected=len(prepared.catalogue.rejected),
        statuses=statuses,
        detections=len(read_output(store, prepared.folder, "detections")),
        last_run=last_run,
    )


def histogram_totals(store: Store, folder: str) -> pd.DataFrame:
    """The project's histograms summed over every bin."""
    return add_histograms([read_output(store, folder, "histograms")])


def rates(store: Store, folder: str, confidence: float = 0.95) -> pd.DataFrame:
    """Event rates per source-year and their upper limits, by filter and injected amplitude."""
    from tom_tui.processing.projects.rates import event_rates

    properties = read_output(store, folder, "properties")
    return event_rates(properties, read_output(store, folder, "injections"), confidence)


@dataclass
class ProjectOverview:
    """One version of one project as the store holds it (no project file needed): what its
    configuration says and how far its runs have come."""

    project: str
    version: str
    folder: str
    bins: int
    bins_done: int
    sources: int
    statuses: dict[str, int]
    detections: int
    last_run: dict[str, Any]
    score_edges: list[float]
    histogram: pd.DataFrame

    def score_counts(self, kind: str) -> list[int]:
        """Light curves per score bin, all filters and magnitudes together."""
        rows = self.histogram[self.histogram["kind"] == kind] if len(self.histogram) else self.histogram
        counts = [0] * max(len(self.score_edges) - 1, 0)
        if len(rows):
            for score_bin, count in rows.groupby("score_bin")["count"].sum().items():
                counts[int(str(score_bin))] += int(count)
        return counts


def project_overviews(store: Store) -> list[ProjectOverview]:
    """Every version of every project in the store, newest run first."""
    with store.read() as view:
        folders = [rel for name in view.list_dir(PROJECTS_FOLDER) for rel in view.list_dir(name)]
        configured = [rel for rel in folders if view.exists(f"{rel}/configuration.json")]
    overviews = [_overview(store, folder) for folder in configured]
    return sorted(overviews, key=lambda item: str(item.last_run.get("finished", "")), reverse=True)


def _overview(store: Store, folder: str) -> ProjectOverview:
    with store.read() as view:
        configuration = view.read_json(f"{folder}/configuration.json") or {}
        last_run = view.read_json(f"{folder}/summary.json") or {}
        done = [rel for rel in view.list_dir(f"{folder}/done") if rel.endswith(".json")]
        records = [view.read_json(rel) or {} for rel in done]
        catalogue = view.read_parquet(f"{folder}/catalogue.parquet", columns=["ra_bin"])
    statuses: dict[str, int] = {}
    for record in records:
        for status, count in record.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + int(count)
    bins = catalogue.column("ra_bin").to_pandas().nunique() if catalogue is not None else 0
    return ProjectOverview(
        project=str(configuration.get("project", {}).get("name", folder.split("/")[1])),
        version=str(configuration.get("version", folder.rsplit("/", 1)[-1])),
        folder=folder,
        bins=int(bins),
        bins_done=len(done),
        sources=0 if catalogue is None else catalogue.num_rows,
        statuses=statuses,
        detections=len(read_output(store, folder, "detections")),
        last_run=last_run,
        score_edges=[float(edge) for edge in configuration.get("histograms", {}).get("score_edges", [])],
        histogram=histogram_totals(store, folder),
    )


@dataclass(frozen=True)
class PromoteOutcome:
    considered: int
    created: list[str]
    skipped: list[str]


def promote(store: Store, path: Path, min_score: float) -> PromoteOutcome:
    """Detections with a score of at least ``min_score`` become targets (one per source, its
    best detection; a source already in the store by name or position is skipped)."""
    prepared: PreparedProject = prepare(store, path, save=False)
    detections = read_output(store, prepared.folder, "detections")
    if not len(detections):
        raise NotFoundError(f"{path}: no detections yet in version {prepared.version}; run the project first")
    chosen = detections[detections["score"].to_numpy(float) >= min_score]
    best = chosen.sort_values("score", ascending=False).drop_duplicates("source")
    rows = [{str(key): value for key, value in row.items()} for row in best.to_dict("records")]
    targets = [_target_of(row, prepared.project.name) for row in rows]
    radius = TargetService(store).duplicate_radius_arcsec
    with store.transaction() as tx:
        repo = TargetRepository(tx)
        outcomes = add_targets(repo, targets, OnDuplicate.SKIP, radius)
        repo.flush()
    created = [outcome.target.name for outcome in outcomes if outcome.action == "created"]
    skipped = [outcome.target.name for outcome in outcomes if outcome.action != "created"]
    return PromoteOutcome(len(best), created, skipped)


def _target_of(row: dict[str, Any], project: str) -> Any:
    return build_target(
        {
            "name": str(row["name"]),
            "ra": float(row["ra"]),
            "dec": float(row["dec"]),
            "tags": [f"project:{project}"],
            "extra": {
                "project_score": round(float(row["score"]), 3),
                "project_peak_mjd": round(float(row["peak_mjd"]), 5),
                "project_filter": str(row["filter"]),
            },
        }
    )
