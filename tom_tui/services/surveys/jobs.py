"""The ``survey_fetch`` job kind: keep targets' survey photometry up to date from cron.

Parameters (a ``[[jobs]]`` table): ``survey`` (default ``simulated``), ``targets`` (names or ids)
or ``list`` (a target list), ``new`` (default true: ask each target only for what is newer than its
last fetch; false fetches only targets never fetched), ``force`` (default false).
"""

from __future__ import annotations

from tom_tui.domain.errors import TomError, ValidationError
from tom_tui.services.jobs.base import JobContext
from tom_tui.services.surveys.fetch import TargetListRef, TargetsOrList, fetch_survey


def _chosen(context: JobContext) -> TargetsOrList:
    params = context.job.params
    if "list" in params and "targets" not in params:
        return TargetListRef(str(params["list"]))
    targets = params.get("targets")
    if isinstance(targets, list) and targets and "list" not in params:
        return [int(t) if isinstance(t, int) else str(t) for t in targets]
    raise ValidationError(
        f'job {context.job.name}: survey_fetch needs targets = ["name", ...] or list = "LIST" (one of them)'
    )


def survey_fetch_job(context: JobContext) -> dict[str, int]:
    params = context.job.params
    survey = str(params.get("survey", "simulated"))
    summary = fetch_survey(
        context.store,
        _chosen(context),
        survey,
        force=bool(params.get("force", False)),
        new=bool(params.get("new", True)),
    )
    context.log.info("%s", summary.describe())
    for failed in summary.failed:
        context.log.warning("%s: %s", failed.name, failed.reason)
    if summary.failed and len(summary.failed) == len(summary.targets):
        raise TomError(f"{survey}: every one of {len(summary.targets)} target(s) failed")
    return summary.counts()
