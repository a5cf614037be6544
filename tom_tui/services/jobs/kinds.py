"""The built-in job kinds, found through the ``tom_tui.job_kinds`` plugin group
(:mod:`tom_tui.services.plugins`; see :mod:`tom_tui.services.jobs.scheduler` for how to add more).

- ``broker_query``: ``broker``, ``options`` (the broker's query options), ``rules_only`` (default
  true when the store has ``[[alert_rules]]``), ``lists``, ``with_history`` (default true),
  ``max_import`` (default 200): query a broker and import what it answers.
- ``ingest_alerts``: ``path`` (a directory or file of Avro alerts), ``rules_only``, ``lists``: ingest
  the files that are new or changed since the job last saw them.
- ``catalog_refresh``: ``catalog``, ``names``: resolve names in a catalog and add or update targets.
- ``reduce_frames`` (:mod:`tom_tui.services.reduction.jobs`): ``telescope``, ``catalog``,
  ``workers``, ``scheduler``: reduce the light frames no reduction run has reached yet.
- ``command``: ``command`` (argument list or a string run by the shell): run a script with
  ``TOM_TUI_STORE`` set and without tom-tui's credentials in its environment; its output is kept
  in the run's log with known secrets hidden; a non-zero exit status fails the job.

Kinds of other concepts live with them: ``survey_fetch`` (survey photometry of targets) in
:mod:`tom_tui.services.surveys.jobs`, the observation kinds in :mod:`tom_tui.services.observations.jobs`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tom_tui.adapters.alerts.avro import alert_files, default_workers
from tom_tui.adapters.http import known_secret_values, redact, without_secrets
from tom_tui.domain.errors import TomError, ValidationError
from tom_tui.domain.text import escape_control
from tom_tui.services.alerts.rules import load_rules
from tom_tui.services.jobs.base import JobContext

SEEN_FILES = "state/ingested_alert_files.json"


def _lists(params: Mapping[str, Any]) -> list[str]:
    value = params.get("lists", [])
    return [value] if isinstance(value, str) else [str(v) for v in value]


def broker_query(context: JobContext) -> dict[str, int]:
    from tom_tui.services.alerts.brokers import BrokerService

    params = context.job.params
    if "broker" not in params:
        raise ValidationError(f'job {context.job.name}: broker_query needs broker = "name"')
    store = context.store
    service = BrokerService(store)
    name = str(params["broker"])
    options = params.get("options") or {}
    if not isinstance(options, Mapping):
        raise ValidationError(
            f"job {context.job.name}: options must be a table, e.g. options = {{ limit = 20 }}"
        )
    alerts = service.query(name, options)
    limit = int(params.get("max_import", 200))
    context.log.info(
        "%s answered %d result(s); importing up to %d", service.broker(name).label, len(alerts), limit
    )
    rules_only = bool(params.get("rules_only", bool(load_rules(store.config))))
    report = service.import_alerts(
        name,
        alerts[:limit],
        with_history=bool(params.get("with_history", True)),
        rules_only=rules_only,
        lists=_lists(params),
    )
    context.log.info(
        "created %d, updated %d, filtered out %d, %d photometry point(s) added, %d already stored",
        report.created,
        report.updated,
        report.filtered_out,
        report.photometry_stored,
        report.photometry_duplicates,
    )
    return {"results": len(alerts), **report.counts()}


def ingest_alerts(context: JobContext) -> dict[str, int]:
    from tom_tui.services.alerts.ingest import ingest_alert_files

    params = context.job.params
    if "path" not in params:
        raise ValidationError(f'job {context.job.name}: ingest_alerts needs path = "DIR"')
    store = context.store
    with store.read() as view:
        seen: dict[str, float] = dict(view.read_json(SEEN_FILES) or {})
    files = [
        p
        for p in alert_files([Path(str(params["path"])).expanduser()])
        if seen.get(str(p.resolve())) != p.stat().st_mtime
    ]
    if not files:
        context.log.info("no new alert files")
        return {"files": 0, "alerts": 0}
    report = ingest_alert_files(
        store,
        files,
        rules_only=bool(params.get("rules_only", False)),
        lists=_lists(params),
        workers=default_workers(),
    )
    with store.transaction() as tx:
        current = dict(tx.read_json(SEEN_FILES) or {})
        current.update({str(p.resolve()): p.stat().st_mtime for p in files})
        tx.write_json(SEEN_FILES, current)
    context.log.info(
        "%d file(s): %d alert(s), created %d, updated %d",
        len(files),
        report.alerts,
        report.created,
        report.updated,
    )
    for reason in report.skipped:
        context.log.info("skipped %s", reason)
    return {"files": len(files), **report.counts()}


def catalog_refresh(context: JobContext) -> dict[str, int]:
    from tom_tui.services.targets.resolve import CatalogService

    params = context.job.params
    names = params.get("names") or []
    if not isinstance(names, list) or not names:
        raise ValidationError(f'job {context.job.name}: catalog_refresh needs names = ["..."]')
    service = CatalogService(context.store)
    counts = {"resolved": 0, "created": 0, "updated": 0, "failed": 0}
    for name in names:
        try:
            outcome = service.resolve(str(name), catalog=params.get("catalog"), add=True)
        except TomError as error:
            counts["failed"] += 1
            context.log.warning("%s: %s", name, error)
            continue
        counts["resolved"] += 1
        counts["created" if outcome.action == "created" else "updated"] += 1
    if counts["failed"] and not counts["resolved"]:
        raise TomError(f"none of {len(names)} name(s) resolved")
    return counts


def command(context: JobContext) -> dict[str, int]:
    value = context.job.params.get("command")
    if not value:
        raise ValidationError(f'job {context.job.name}: command needs command = ["program", "arg"]')
    argv = [str(v) for v in value] if isinstance(value, list) else ["/bin/sh", "-c", str(value)]
    # A script gets the store, not the credentials tom-tui was given (it may log or leak them).
    env = {**without_secrets(os.environ), "TOM_TUI_STORE": str(context.store.root)}
    context.log.info("running %s", shlex.join(argv))
    completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    secrets = known_secret_values(context.store.root)
    for line in (completed.stdout + completed.stderr).splitlines():
        context.log.info("| %s", escape_control(redact(line, secrets)))
    if completed.returncode != 0:
        raise TomError(f"command exited with status {completed.returncode}")
    return {"exit_status": 0}
