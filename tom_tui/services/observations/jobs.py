"""Job kinds for ``tom-tui cron`` (registered in the ``tom_tui.job_kinds`` entry point group)::

[[jobs]]
name = "observations"
kind = "observation_update"   # poll open requests, fetch data, run due cadences
every = "10m"

[[jobs]]
name = "followup"
kind = "followup"             # apply the [[followup]] rules
every = "30m"
"""

from __future__ import annotations

from tom_tui.services.jobs.base import JobContext
from tom_tui.services.observations.followup import run_followup
from tom_tui.services.observations.requests import ObservationService


def observation_update_job(context: JobContext) -> dict[str, int]:
    """Job kind ``observation_update`` for ``tom-tui cron``: ``obs update`` on a schedule.

    Parameters: ``download`` (default true) fetches the data of completed requests.
    """
    summary = ObservationService(context.store).update(
        download=bool(context.job.params.get("download", True))
    )
    for notice in summary.notices:
        context.log.info(notice.line())
    for error in summary.errors:
        context.log.warning(error)
    return {
        "polled": summary.polled,
        "changed": len(summary.notices),
        "downloaded": summary.downloaded,
        "errors": len(summary.errors),
        "new_requests": len(summary.new_requests),
    }


def followup_job(context: JobContext) -> dict[str, int]:
    """Job kind ``followup`` for ``tom-tui cron``: apply the ``[[followup]]`` rules."""
    report = run_followup(context.store)
    for entry in report.fired:
        context.log.info(
            "rule %s fired for %s (observation %s)", entry["rule"], entry["target"], entry["observation_id"]
        )
    for error in report.errors:
        context.log.warning(error)
    return {"fired": len(report.fired), "errors": len(report.errors)}
