"""Checking a store's ``tom-tui.toml``: unknown sections and keys (named with the closest known
one, so a typo never silently turns a setting off), values of the wrong type, and names of
brokers, catalogs, facilities and job kinds that are not installed, and the keys of
``[instruments.NAME]`` profiles.

The arrays ``[[alert_rules]]`` and ``[[followup]]`` are checked by their own loaders.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

from tom_tui.domain.config import CONFIG_NAME
from tom_tui.services import plugins

Check = Callable[[Any], str | None]  # None if the value is right, else what was expected


def _positive_number(value: Any) -> str | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        return "a positive number"
    return None


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "text"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def _port(value: Any) -> str | None:
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536
    return None if valid else "a port number"


def _texts(value: Any) -> str | None:
    valid = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return None if valid else "a list of text"


def _table(value: Any) -> str | None:
    return None if isinstance(value, dict) else "a table"


def _named_texts(value: Any) -> str | None:
    valid = isinstance(value, dict) and all(isinstance(text, str) for text in value.values())
    return None if valid else 'a table of name = "text"'


def _installed(group: plugins.PluginGroup, value: Any, what: str) -> str | None:
    installed = plugins.plugin_names(group)
    return None if value in installed else f"an installed {what}: {', '.join(installed)}"


# The keys of each fixed section and what each holds.
SECTION_KEYS: dict[str, dict[str, Check]] = {
    "targets": {"duplicate_radius_arcsec": _positive_number},
    "observatory": {"site": _text},
    "observations": {"default_facility": lambda value: _installed(plugins.FACILITIES, value, "facility")},
    "notifications.email": {
        "host": _text,
        "port": _port,
        "sender": _text,
        "recipients": _texts,
        "starttls": _boolean,
        "timeout": _positive_number,
        "username": _text,
    },
    "tui": {"keys": _table, "low_bandwidth": _boolean},
    "sql": {"queries": _named_texts},
    "reduction": {
        "catalog": _text,
        "catalogs": _table,  # telescope = catalog file
        "catalog_columns": _table,  # filter = magnitude column
        "gaia": _boolean,
        "gaia_url": _text,
        "gaia_timeout": _positive_number,
        "gaia_faintest_mag": _positive_number,
        "scheduler": _text,  # a running Dask scheduler (tcp://HOST:PORT) for runs started in the TUI
    },
}
PLUGIN_SECTIONS: dict[str, plugins.PluginGroup] = {
    "brokers": plugins.BROKERS,
    "catalogs": plugins.CATALOGS,
    "facilities": plugins.FACILITIES,
    "surveys": plugins.SURVEYS,
    "cutouts": plugins.CUTOUTS,
}
ARRAY_SECTIONS = ("jobs", "alert_rules", "followup")
TOP_LEVEL = (
    *[key for key in SECTION_KEYS if "." not in key],
    "notifications",
    *PLUGIN_SECTIONS,
    "instruments",
    "sharing",
    *ARRAY_SECTIONS,
)

JOB_SCHEDULE_KEYS = ("name", "kind", "every", "cron", "timeout", "enabled")
# The parameters each built-in job kind reads; kinds from other packages are not checked.
JOB_KIND_PARAMETERS: dict[str, tuple[str, ...]] = {
    "broker_query": ("broker", "options", "max_import", "rules_only", "with_history", "lists"),
    "ingest_alerts": ("path", "rules_only", "lists"),
    "catalog_refresh": ("names", "catalog"),
    "command": ("command",),
    "observation_update": ("download",),
    "followup": (),
    "survey_fetch": ("survey", "targets", "list", "new", "force"),
}


def unknown_name(where: str, name: str, known: Collection[str], what: str = "key") -> str:
    """``where: unknown key 'x'; did you mean 'y'?`` with the closest known name, or the list."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(sorted(known))}"
    return f"{where}: unknown {what} {name!r}; {hint}"


def config_problems(config: Mapping[str, Any], config_name: str = CONFIG_NAME) -> list[str]:
    """Every problem in a parsed config, one sentence each naming the section and key."""
    problems: list[str] = []
    for section, value in config.items():
        if section not in TOP_LEVEL:
            problems.append(unknown_name(config_name, section, TOP_LEVEL, "section"))
        elif section in ARRAY_SECTIONS:
            if section == "jobs":
                problems.extend(_job_problems(value, config_name))
        elif not isinstance(value, dict):
            problems.append(f"{config_name}: [{section}] must be a table, not {value!r}")
        elif section in PLUGIN_SECTIONS:
            problems.extend(_plugin_section_problems(section, value, config_name))
        elif section == "instruments":
            problems.extend(_instrument_problems(value, config_name))
        elif section == "sharing":
            from tom_tui.services.sharing.destinations import destination_problems

            problems.extend(destination_problems(value, config_name))
        elif section == "notifications":
            problems.extend(_nested_problems("notifications", value, config_name))
        else:
            problems.extend(_keys_problems(section, value, config_name))
    return problems


def _keys_problems(section: str, table: Mapping[str, Any], config_name: str) -> list[str]:
    known = SECTION_KEYS[section]
    problems: list[str] = []
    for key, value in table.items():
        where = f"{config_name}: [{section}]"
        if key not in known:
            problems.append(unknown_name(where, key, known))
            continue
        expected = known[key](value)
        if expected:
            problems.append(f"{where} {key} = {value!r}; expected {expected}")
    return problems


def _nested_problems(section: str, table: Mapping[str, Any], config_name: str) -> list[str]:
    known = {key.split(".", 1)[1] for key in SECTION_KEYS if key.startswith(f"{section}.")}
    problems: list[str] = []
    for name, value in table.items():
        if name not in known:
            problems.append(unknown_name(f"{config_name}: [{section}]", name, known, "section"))
        elif not isinstance(value, dict):
            problems.append(f"{config_name}: [{section}.{name}] must be a table")
        else:
            problems.extend(_keys_problems(f"{section}.{name}", value, config_name))
    return problems


def _plugin_section_problems(section: str, table: Mapping[str, Any], config_name: str) -> list[str]:
    """``[brokers.NAME]`` and the like: NAME must be installed; ``[catalogs] order`` lists catalogs."""
    installed = plugins.plugin_names(PLUGIN_SECTIONS[section])
    what = section.rstrip("s").replace("ie", "y")
    problems: list[str] = []
    for name, value in table.items():
        if section == "catalogs" and name == "order":
            if _texts(value):
                problems.append(
                    f"{config_name}: [catalogs] order = {value!r}; expected a list of catalog names"
                )
                continue
            problems.extend(
                unknown_name(f"{config_name}: [catalogs] order", entry, installed, "catalog")
                for entry in value
                if entry not in installed
            )
        elif name not in installed:
            problems.append(unknown_name(f"{config_name}: [{section}]", name, installed, what))
        elif not isinstance(value, dict):
            problems.append(f"{config_name}: [{section}.{name}] must be a table")
    return problems


def _instrument_problems(table: Mapping[str, Any], config_name: str) -> list[str]:
    """``[instruments.NAME]``: any NAME (a new profile or settings for an installed one); its keys
    are the profile settings, and ``base`` must name an installed profile."""
    from tom_tui.adapters.instruments.base import setting_problems

    installed = plugins.plugin_names(plugins.INSTRUMENTS)
    problems: list[str] = []
    for name, settings in table.items():
        where = f"{config_name}: [instruments.{name}]"
        if not isinstance(settings, dict):
            problems.append(f"{where} must be a table")
            continue
        problems.extend(setting_problems(where, settings))
        base = settings.get("base")
        if isinstance(base, str) and base not in installed:
            problems.append(unknown_name(f"{where} base", base, installed, "instrument profile"))
    return problems


def _job_problems(jobs: Any, config_name: str) -> list[str]:
    """Unknown keys of built-in job kinds; the schedule itself is checked by the scheduler."""
    if not isinstance(jobs, list):
        return [f"{config_name}: jobs must be an array of tables ([[jobs]])"]
    problems: list[str] = []
    for number, job in enumerate(jobs, start=1):
        if not isinstance(job, dict):
            continue
        parameters = JOB_KIND_PARAMETERS.get(str(job.get("kind")))
        if parameters is None:
            continue
        known = (*JOB_SCHEDULE_KEYS, *parameters)
        where = f"{config_name}: jobs[{number}] ({job.get('name', '?')})"
        problems.extend(unknown_name(where, key, known) for key in job if key not in known)
    return problems
