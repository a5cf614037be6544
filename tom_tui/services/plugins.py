"""Every plugin group, found one way: entry points, with the built-ins as a fallback.

A plugin is a name in a group that points at a Python object (``module:attribute``). Built-in
plugins are registered in ``pyproject.toml`` exactly as a third-party package registers its own;
the same names are also listed here, so a source checkout that was never installed, or installed
metadata that is missing or broken, still finds them. Names are listed without importing
anything; an object is imported only when it is loaded by name.

Groups: brokers, catalogs, facilities, processors (by data type), target data holders, job kinds,
instrument profiles, survey data services, project finders and quality checks, image cutouts.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tom_tui.domain.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from tom_tui.adapters.brokers.base import Broker
    from tom_tui.adapters.catalogs.base import Catalog
    from tom_tui.adapters.cutouts.base import CutoutService
    from tom_tui.adapters.facilities.base import Facility
    from tom_tui.adapters.http import HttpClient
    from tom_tui.adapters.instruments.base import InstrumentProfile
    from tom_tui.adapters.surveys.base import SurveyService
    from tom_tui.processing.dataproducts import DataProcessor
    from tom_tui.processing.projects.finders import Finder
    from tom_tui.processing.projects.quality import QualityCheck

log = logging.getLogger(__name__)


class UnknownPluginError(NotFoundError, ValidationError):
    """No plugin of that name in a group: a missing thing, and a bad value where a user chose it."""


@dataclass(frozen=True)
class PluginGroup:
    """One entry point group.

    ``unknown`` is the start of the error for a name that is not there (``{name}`` is filled in).
    ``builtins`` maps a built-in name to ``"module:attribute"`` (or, for plugins registered in the
    running process, to the object itself).
    """

    name: str
    unknown: str
    builtins: dict[str, Any] = field(default_factory=dict)


BROKERS = PluginGroup(
    "tom_tui.brokers",
    "no broker named {name!r}",
    {
        "alerce": "tom_tui.adapters.brokers.alerce:AlerceBroker",
        "antares": "tom_tui.adapters.brokers.antares:AntaresBroker",
        "fink": "tom_tui.adapters.brokers.fink:FinkBroker",
        "lasair": "tom_tui.adapters.brokers.lasair:LasairBroker",
        "tns": "tom_tui.adapters.brokers.tns:TnsBroker",
        "simulated": "tom_tui.adapters.simulated.broker:SimulatedBroker",
    },
)
CATALOGS = PluginGroup(
    "tom_tui.catalogs",
    "no catalog named {name!r}",
    {
        "simbad": "tom_tui.adapters.catalogs.simbad:SimbadCatalog",
        "ned": "tom_tui.adapters.catalogs.ned:NedCatalog",
        "jpl_horizons": "tom_tui.adapters.catalogs.horizons:HorizonsCatalog",
        "mpc": "tom_tui.adapters.catalogs.mpc:MpcCatalog",
        "tns": "tom_tui.adapters.catalogs.tns:TnsCatalog",
    },
)
FACILITIES = PluginGroup(
    "tom_tui.facilities",
    "no facility named {name!r}",
    {
        "lco": "tom_tui.adapters.facilities.lco:LCOFacility",
        "manual": "tom_tui.adapters.facilities.manual:ManualFacility",
        "simulated": "tom_tui.adapters.simulated.facility:SimulatedFacility",
    },
)
PROCESSORS = PluginGroup(
    "tom_tui.processors",
    "data type {name!r} has no processor",
    {
        "photometry": "tom_tui.processing.dataproducts:PhotometryProcessor",
        "spectroscopy": "tom_tui.processing.dataproducts:SpectroscopyProcessor",
        "image_file": "tom_tui.processing.dataproducts:ImageFileProcessor",
        "other": "tom_tui.processing.dataproducts:OtherProcessor",
    },
)
TARGET_DATA = PluginGroup(
    "tom_tui.target_data",
    "no target data holder named {name!r}",
    {
        "dataproducts": "tom_tui.services.data.products:TargetDataProducts",
        "observations": "tom_tui.store.observations:ObservationTargetData",
        "polarimetry": "tom_tui.store.polarimetry:PolarimetryTargetData",
    },
)
JOB_KINDS = PluginGroup(
    "tom_tui.job_kinds",
    "job kind {name!r} is not known",
    {
        "broker_query": "tom_tui.services.jobs.kinds:broker_query",
        "ingest_alerts": "tom_tui.services.jobs.kinds:ingest_alerts",
        "catalog_refresh": "tom_tui.services.jobs.kinds:catalog_refresh",
        "command": "tom_tui.services.jobs.kinds:command",
        "observation_update": "tom_tui.services.observations.jobs:observation_update_job",
        "followup": "tom_tui.services.observations.jobs:followup_job",
        "reduce_frames": "tom_tui.services.reduction.jobs:reduce_frames_job",
        "survey_fetch": "tom_tui.services.surveys.jobs:survey_fetch_job",
    },
)
INSTRUMENTS = PluginGroup(
    "tom_tui.instruments",
    "no instrument profile named {name!r}",
    {
        "generic": "tom_tui.adapters.instruments.generic:GenericProfile",
        "simulated": "tom_tui.adapters.instruments.simulated:SimulatedProfile",
    },
)
SURVEYS = PluginGroup(
    "tom_tui.surveys",
    "no survey service named {name!r}",
    {
        "simulated": "tom_tui.adapters.surveys.simulated:SimulatedSurvey",
        "ztf": "tom_tui.adapters.surveys.ztf:ZtfIrsaLightCurves",
        "ztf_fps": "tom_tui.adapters.surveys.ztf:ZtfForcedPhotometryFiles",
        "atlas": "tom_tui.adapters.surveys.atlas:AtlasForcedPhotometry",
        "ps1": "tom_tui.adapters.surveys.ps1:PanStarrsDetections",
        "gaia": "tom_tui.adapters.surveys.gaia:GaiaEpochPhotometry",
        "gsa": "tom_tui.adapters.surveys.gaia:GaiaScienceAlerts",
    },
)
PROJECT_FINDERS = PluginGroup(
    "tom_tui.project_finders",
    "no project finder named {name!r}",
    {"robust_snr": "tom_tui.processing.projects.finders:RobustSnrFinder"},
)
PROJECT_CHECKS = PluginGroup(
    "tom_tui.project_checks",
    "no project quality check named {name!r}",
    {
        "survey_flags": "tom_tui.processing.projects.quality:SurveyFlags",
        "bad_errors": "tom_tui.processing.projects.quality:BadErrors",
        "offset_outliers": "tom_tui.processing.projects.quality:OffsetOutliers",
    },
)
CUTOUTS = PluginGroup(
    "tom_tui.cutouts",
    "no image cutout service named {name!r}",
    {
        "simulated": "tom_tui.adapters.cutouts.simulated:SimulatedCutout",
        "hips2fits": "tom_tui.adapters.cutouts.hips2fits:Hips2FitsCutout",
    },
)
GROUPS: tuple[PluginGroup, ...] = (
    BROKERS,
    CATALOGS,
    FACILITIES,
    PROCESSORS,
    TARGET_DATA,
    JOB_KINDS,
    INSTRUMENTS,
    SURVEYS,
    PROJECT_FINDERS,
    PROJECT_CHECKS,
    CUTOUTS,
)


def entry_points(group: str) -> Any:
    """The installed entry points of ``group`` (importlib.metadata costs ~40 ms to import, so
    only when a plugin is looked up, not at every command's start)."""
    from importlib.metadata import entry_points as installed_entry_points

    return installed_entry_points(group=group)


@cache
def _installed(group_name: str) -> dict[str, str]:
    """``name → module:attribute`` from the installed metadata (empty when it cannot be read)."""
    try:
        return {entry_point.name: entry_point.value for entry_point in entry_points(group=group_name)}
    except Exception as error:  # broken metadata must not hide the built-ins
        log.warning("could not read entry points of %s (%s); using the built-in plugins", group_name, error)
        return {}


def forget_installed() -> None:
    """Read the entry point metadata again on next use (after installing a plugin package)."""
    _installed.cache_clear()


def _targets(group: PluginGroup) -> dict[str, Any]:
    # Installed entry points win over a built-in of the same name (they name the same object
    # unless a package deliberately replaces one).
    return {**group.builtins, **_installed(group.name)}


def plugin_names(group: PluginGroup) -> tuple[str, ...]:
    """Names in a group, sorted, without importing any plugin."""
    return tuple(sorted(_targets(group)))


def load_plugin(group: PluginGroup, name: str) -> Any:
    """The object plugin ``name`` of ``group`` points at.

    Raises :class:`UnknownPluginError` naming the group and the installed names.
    """
    target = _targets(group).get(name)
    if target is None:
        installed = ", ".join(plugin_names(group)) or "none"
        raise UnknownPluginError(
            f"{group.unknown.format(name=name)} (plugin group {group.name}); installed: {installed}"
        )
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    loaded: Any = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else ():
        loaded = getattr(loaded, part)
    return loaded


def load_plugin_class(group: PluginGroup, name: str, base: type) -> Any:
    """Like :func:`load_plugin`, checking the object is a subclass of ``base``."""
    loaded = load_plugin(group, name)
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        raise UnknownPluginError(f"plugin {name!r} of group {group.name} is not a {base.__name__} subclass")
    return loaded


def _settings(config: Mapping[str, Any] | None, table: str, name: str) -> dict[str, Any]:
    return dict(((config or {}).get(table) or {}).get(name) or {})


# -- the groups, typed --


def broker_class(name: str) -> type[Broker]:
    from tom_tui.adapters.brokers.base import Broker

    found: type[Broker] = load_plugin_class(BROKERS, name, Broker)
    return found


def make_broker(
    name: str,
    config: Mapping[str, Any] | None = None,
    store_root: Path | None = None,
    client: HttpClient | None = None,
) -> Broker:
    """Broker ``name`` configured from a store's ``[brokers.<name>]`` settings."""
    settings = _settings(config, "brokers", name)
    return broker_class(name)(client=client, store_root=store_root, settings=settings)


def make_catalog(
    name: str,
    config: Mapping[str, Any] | None = None,
    store_root: Path | None = None,
    client: HttpClient | None = None,
) -> Catalog:
    """Catalog ``name`` configured from a store's ``[catalogs.<name>]`` settings."""
    from tom_tui.adapters.catalogs.base import Catalog

    catalog_class = load_plugin_class(CATALOGS, name, Catalog)
    catalog: Catalog = catalog_class(
        client=client, settings=_settings(config, "catalogs", name), store_root=store_root
    )
    return catalog


def survey_class(name: str) -> type[SurveyService]:
    from tom_tui.adapters.surveys.base import SurveyService

    found: type[SurveyService] = load_plugin_class(SURVEYS, name, SurveyService)
    return found


def make_survey(
    name: str,
    config: Mapping[str, Any] | None = None,
    store_root: Path | None = None,
    client: HttpClient | None = None,
) -> SurveyService:
    """Survey service ``name`` configured from a store's ``[surveys.<name>]`` settings."""
    settings = _settings(config, "surveys", name)
    return survey_class(name)(settings=settings, client=client, store_root=store_root)


def project_finder(name: str) -> Finder:
    """A project's event finder ``name``."""
    from tom_tui.processing.projects.finders import Finder

    finder: Finder = load_plugin_class(PROJECT_FINDERS, name, Finder)()
    return finder


def project_check(name: str) -> QualityCheck:
    """A project's per-point quality check ``name``."""
    from tom_tui.processing.projects.quality import QualityCheck

    check: QualityCheck = load_plugin_class(PROJECT_CHECKS, name, QualityCheck)()
    return check


def load_facility(name: str, settings: Mapping[str, Any] | None = None) -> Facility:
    """Facility ``name`` configured with ``settings`` (its ``[facilities.<name>]`` table)."""
    from tom_tui.adapters.facilities.base import Facility

    facility_class = load_plugin_class(FACILITIES, name, Facility)
    facility: Facility = facility_class(settings)
    return facility


def processor_for(data_type: str) -> DataProcessor:
    """A processor for files of ``data_type``."""
    from tom_tui.processing.dataproducts import DataProcessor

    processor: DataProcessor = load_plugin_class(PROCESSORS, data_type, DataProcessor)()
    return processor


def load_all(group: PluginGroup) -> list[Any]:
    """Every plugin of a group, loaded, in name order."""
    return [load_plugin(group, name) for name in plugin_names(group)]


JobFunction = Callable[..., Mapping[str, int]]


def job_function(name: str) -> JobFunction:
    function: JobFunction = load_plugin(JOB_KINDS, name)
    return function


def instrument_profile(name: str, config: Mapping[str, Any] | None = None) -> InstrumentProfile:
    """Instrument profile ``name``: an installed one with its ``[instruments.<name>]`` settings on
    top, or one defined only in the configuration (starting from its ``base``, else ``generic``)."""
    from tom_tui.adapters.instruments.base import InstrumentProfile

    settings = _settings(config, "instruments", name)
    configured = (config or {}).get("instruments") or {}
    configured_only = name not in plugin_names(INSTRUMENTS) and name in configured
    base = str(settings.get("base", "generic")) if configured_only else name
    profile_class = load_plugin_class(INSTRUMENTS, base, InstrumentProfile)
    profile: InstrumentProfile = profile_class(settings, name=name)
    return profile


def instrument_profile_names(config: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Installed profiles and those defined in the configuration, sorted."""
    configured = ((config or {}).get("instruments") or {}).keys()
    return tuple(sorted({*plugin_names(INSTRUMENTS), *configured}))


def make_cutout_service(
    name: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None
) -> CutoutService:
    """Cutout service ``name`` configured from a store's ``[cutouts.<name>]`` settings."""
    from tom_tui.adapters.cutouts.base import CutoutService

    service_class = load_plugin_class(CUTOUTS, name, CutoutService)
    service: CutoutService = service_class(settings=_settings(config, "cutouts", name), client=client)
    return service
