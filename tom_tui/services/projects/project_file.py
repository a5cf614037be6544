"""A project file (TOML, or YAML with the same tables): what to download and how to analyse it.

```toml
[project]
name = "bright-flares"            # the output folder is projects/<name>/<version>/ in the store

[catalogue]
path = "stars.csv"                # CSV, ECSV, FITS or Parquet; relative to the project file
epoch = 2016.0                    # Julian year of the positions (Gaia DR3: 2016.0)
[catalogue.columns]               # which column holds what (only ra and dec are required)
name = "source_id"
ra = "ra"
dec = "dec"
pm_ra = "pmra"                    # mas/yr, already times cos(dec), as Gaia gives it
pm_dec = "pmdec"

[download]
surveys = ["simulated"]
epoch = 2020.0                    # positions are moved by their proper motion to this epoch
radius_arcsec = 3.0
threads = 4                       # requests in flight per worker
requests_per_second = 5.0         # per worker and survey

[reduce]      # season_gap_days, min_points
[quality]     # checks, max_offset_arcsec, offset_sigma
[find]        # finder, threshold, extent_snr, min_extent_points, sideband_days, max_sideband_snr
[inject]      # copies, shape, amplitudes, widths_days, seed
[histograms]  # score_edges, mag_edges
```

Every problem is reported at once, each naming the file, the table and the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tom_tui import __version__
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.projects.settings import (
    ANALYSIS_VERSION,
    AnalysisSettings,
    FindSettings,
    HistogramSettings,
    InjectSettings,
    QualitySettings,
    ReduceSettings,
)
from tom_tui.services.config import unknown_name

CATALOGUE_FORMATS = ("csv", "ecsv", "fits", "parquet")
COLUMN_ROLES = ("name", "ra", "dec", "pm_ra", "pm_dec", "mag")
# Settings that change how fast a run goes, never what it finds: left out of the version.
SPEED_ONLY = ("threads", "requests_per_second")


@dataclass(frozen=True)
class CatalogueSettings:
    path: str = ""
    format: str = ""
    epoch: float = 2000.0
    columns: Mapping[str, str] = field(default_factory=lambda: {"ra": "ra", "dec": "dec"})


@dataclass(frozen=True)
class DownloadSettings:
    surveys: tuple[str, ...] = ("simulated",)
    epoch: float = 2020.0
    radius_arcsec: float = 3.0
    since_mjd: float = 0.0
    threads: int = 4
    requests_per_second: float = 5.0


@dataclass(frozen=True)
class Project:
    """A parsed project file. ``folder`` is where its catalogue path is relative to."""

    name: str
    folder: Path
    catalogue: CatalogueSettings
    download: DownloadSettings
    analysis: AnalysisSettings
    description: str = ""

    @property
    def catalogue_path(self) -> Path:
        return (self.folder / self.catalogue.path).resolve()

    def configuration(self) -> dict[str, Any]:
        """Every setting, resolved (defaults filled in), as plain JSON values."""
        return {
            "project": {"name": self.name, "description": self.description},
            "catalogue": {**dataclasses.asdict(self.catalogue), "path": str(self.catalogue_path)},
            "download": dataclasses.asdict(self.download),
            **{name: dataclasses.asdict(value) for name, value in vars(self.analysis).items()},
        }


ANALYSIS_SECTIONS: dict[str, type] = {
    "reduce": ReduceSettings,
    "quality": QualitySettings,
    "find": FindSettings,
    "inject": InjectSettings,
    "histograms": HistogramSettings,
}
SECTIONS = ("project", "catalogue", "download", *ANALYSIS_SECTIONS)


def read_project(path: Path) -> Project:
    """The project in ``path`` (``.toml``, ``.yaml`` or ``.yml``); ValidationError lists every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such project file") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise ValidationError(f"{path}: not a readable project file ({error})") from None
    except Exception as error:  # yaml's own errors (YAMLError) carry the line and column
        raise ValidationError(f"{path}: not a readable project file ({error})") from None
    if not isinstance(data, Mapping):
        raise ValidationError(f"{path}: expected tables such as [project] and [catalogue]")
    return parse_project(data, path)


def parse_project(data: Mapping[str, Any], path: Path) -> Project:
    problems: list[str] = []
    for section in data:
        if section not in SECTIONS:
            problems.append(unknown_name(str(path), str(section), SECTIONS, "table"))
    project_table = _table(data, "project", path, problems)
    name = str(project_table.get("name") or path.stem)
    for key in project_table:
        if key not in ("name", "description"):
            problems.append(unknown_name(f"{path}: [project]", str(key), ("name", "description")))
    catalogue = _section(data, "catalogue", CatalogueSettings, path, problems)
    download = _section(data, "download", DownloadSettings, path, problems)
    analysis = AnalysisSettings(
        **{name: _section(data, name, cls, path, problems) for name, cls in ANALYSIS_SECTIONS.items()}
    )
    problems.extend(_meaning_problems(catalogue, download, analysis, path))
    if problems:
        raise ValidationError(f"{path}: {len(problems)} problem(s) in the project file", problems)
    return Project(
        name, path.parent, catalogue, download, analysis, str(project_table.get("description", ""))
    )


def _table(data: Mapping[str, Any], name: str, path: Path, problems: list[str]) -> Mapping[str, Any]:
    table = data.get(name) or {}
    if not isinstance(table, Mapping):
        problems.append(f"{path}: [{name}] must be a table")
        return {}
    return table


def _section(data: Mapping[str, Any], name: str, cls: type, path: Path, problems: list[str]) -> Any:
    table = _table(data, name, path, problems)
    defaults = cls()
    known = [item.name for item in dataclasses.fields(cls)]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in known:
            problems.append(unknown_name(f"{path}: [{name}]", str(key), known))
            continue
        converted = _converted(raw, getattr(defaults, key))
        if converted is None:
            expected = _kind(getattr(defaults, key))
            problems.append(f"{path}: [{name}] {key}: expected {expected}, got {raw!r}")
        else:
            values[key] = converted
    return dataclasses.replace(defaults, **values)


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, tuple):
        return f"a list of {_kind(default[0]) if default else 'values'}s"
    if isinstance(default, Mapping):
        return "a table of names"
    return "text"


def _converted(raw: Any, default: Any) -> Any:
    """``raw`` as the type of ``default``, or None when it cannot be."""
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else None
    if isinstance(default, int):
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if isinstance(default, float):
        return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    if isinstance(default, tuple):
        if not isinstance(raw, list | tuple) or (default and not raw):
            return None
        items = [_converted(item, default[0]) if default else item for item in raw]
        return None if any(item is None for item in items) else tuple(items)
    if isinstance(default, Mapping):
        ok = isinstance(raw, Mapping) and all(isinstance(value, str) for value in raw.values())
        return dict(raw) if ok else None
    return raw if isinstance(raw, str) else None


def _meaning_problems(
    catalogue: CatalogueSettings, download: DownloadSettings, analysis: AnalysisSettings, path: Path
) -> list[str]:
    problems: list[str] = []
    if not catalogue.path:
        problems.append(f"{path}: [catalogue] path: expected the catalogue file (CSV, FITS or Parquet)")
    if catalogue.format and catalogue.format not in CATALOGUE_FORMATS:
        problems.append(f"{path}: [catalogue] format: expected one of {', '.join(CATALOGUE_FORMATS)}")
    for role in catalogue.columns:
        if role not in COLUMN_ROLES:
            problems.append(unknown_name(f"{path}: [catalogue.columns]", role, COLUMN_ROLES, "column role"))
    positive = {
        "[download] radius_arcsec": download.radius_arcsec,
        "[download] threads": download.threads,
        "[download] requests_per_second": download.requests_per_second,
        "[reduce] season_gap_days": analysis.reduce.season_gap_days,
        "[find] threshold": analysis.find.threshold,
    }
    problems.extend(
        f"{path}: {where}: expected a positive number" for where, value in positive.items() if not value > 0
    )
    if not download.surveys:
        problems.append(f"{path}: [download] surveys: expected at least one survey")
    for name, edges in (
        ("score_edges", analysis.histograms.score_edges),
        ("mag_edges", analysis.histograms.mag_edges),
    ):
        if len(edges) < 2 or any(later <= earlier for earlier, later in itertools.pairwise(edges)):
            problems.append(f"{path}: [histograms] {name}: expected at least two increasing edges")
    if analysis.inject.shape not in ("gaussian", "flare"):
        problems.append(
            f"{path}: [inject] shape: expected 'gaussian' or 'flare', got {analysis.inject.shape!r}"
        )
    return problems


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_of(project: Project, catalogue_digest: str) -> str:
    """The name of the project's output folder: a hash of every setting that changes a result,
    the code version and the catalogue's content (not its path or the run's speed settings)."""
    configuration = project.configuration()
    configuration["catalogue"].pop("path")
    for key in SPEED_ONLY:
        configuration["download"].pop(key)
    configuration.pop("project")
    identity = {
        "configuration": configuration,
        "code": {"tom_tui": __version__, "analysis": ANALYSIS_VERSION},
        "catalogue": catalogue_digest,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
