"""`tom-tui obs ...` (observation requests), `tom-tui plan` and `tom-tui plot visibility`.

The request flags of `obs request` and `obs template save` are built from the facilities' own
option declarations, so a new facility's options appear here without touching this file.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from tom_tui.cli.common import (
    AppContext,
    ProgressBar,
    app_command,
    complete_target_names,
    emit_json,
    handle_errors,
    json_flag,
)
from tom_tui.cli.options import click_option
from tom_tui.domain.options import Option, describe_options

OPTION_PREFIX = "facility_option__"


def _declared_options() -> list[click.Option]:
    """A flag for every option of every installed facility, merged by name (the first declaration
    gives the type; the help names every facility that takes it)."""
    from tom_tui.services.plugins import FACILITIES, load_facility, plugin_names

    merged: dict[str, tuple[Option, list[str]]] = {}
    for facility_name in plugin_names(FACILITIES):
        for option in load_facility(facility_name).options:
            merged.setdefault(option.name, (option, []))[1].append(facility_name)
    return [
        # Defaults differ between facilities, so the help names the facilities rather than one default.
        click_option(option, OPTION_PREFIX + name, f"{option.help}{_choices(option)} ({', '.join(owners)})")
        for name, (option, owners) in merged.items()
    ]


def _choices(option: Option) -> str:
    return f" [{'|'.join(option.choices)}]" if option.choices and option.type != "choice" else ""


class FacilityOptionsCommand(click.Command):
    """A command whose flags include every facility's request options (loaded on first use)."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if not any(p.name and p.name.startswith(OPTION_PREFIX) for p in params):
            help_option = params.pop() if params and params[-1].name == "help" else None
            self.params.extend(_declared_options())
            params = super().get_params(ctx)
            if help_option is not None and params[-1].name != "help":
                params.append(help_option)
        return params


def _facility_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        key[len(OPTION_PREFIX) :]: value
        for key, value in list(kwargs.items())
        if key.startswith(OPTION_PREFIX) and value is not None
    }


def _record_line(record: Any) -> str:
    start = (record.scheduled_start or "")[:16].replace("T", " ")
    return (
        f"{record.id:>5}  {record.target_name[:22]:<22}  {record.facility:<10}  {record.status:<16}  "
        f"{start:<16}  {len(record.data_products):>3}"
    )


@click.group("obs")
def obs_group() -> None:
    """Observation requests: submit, follow, cancel, fetch the data."""


@obs_group.command("facilities")
@json_flag
@handle_errors
def facilities_command(as_json: bool) -> None:
    """List the installed facilities and their request options."""
    from tom_tui.services.plugins import FACILITIES, load_facility, plugin_names

    described: list[dict[str, Any]] = []
    for name in plugin_names(FACILITIES):
        facility = load_facility(name)
        described.append(
            {
                "name": name,
                "description": facility.description,
                "terminal_states": sorted(facility.terminal_states),
                "failed_states": sorted(facility.failed_states),
                "sites": [site.to_json() for site in facility.sites()],
                "options": describe_options(facility.options),
            }
        )
    if as_json:
        emit_json(described)
        return
    for entry in described:
        click.echo(f"{entry['name']}: {entry['description']}")
        for option in entry["options"]:
            default = "" if option["default"] in (None, "") else f" (default {option['default']})"
            required = " [required]" if option["required"] else ""
            click.echo(f"  {option['flag']:<22} {option['type']:<8} {option['help']}{default}{required}")


@obs_group.command("request", cls=FacilityOptionsCommand)
@click.argument("target", shell_complete=complete_target_names)
@click.option(
    "--facility",
    "facility_name",
    help="Facility name (default: [observations] default_facility, else simulated).",
)
@click.option("--template", help="Start from a saved template; flags given here override it.")
@click.option("--every", "every_days", type=float, help="Cadence: repeat every N days.")
@click.option("--repeat", "repeat_count", type=int, help="Cadence: number of requests in all (with --every).")
@click.option("--until", help="Cadence: stop after this date (with --every).")
@click.option("--dry-run", is_flag=True, help="Print the facility and the payload to be sent; send nothing.")
@json_flag
@app_command
def request_command(
    app: AppContext,
    /,
    target: str,
    facility_name: str | None,
    template: str | None,
    every_days: float | None,
    repeat_count: int | None,
    until: str | None,
    dry_run: bool,
    as_json: bool,
    **kwargs: Any,
) -> None:
    """Submit an observation request for TARGET (name, alias or #id)."""
    from tom_tui.domain.errors import ValidationError
    from tom_tui.services.observations.requests import ObservationService

    if dry_run:
        service = ObservationService(app.store)
        preview = service.preview(target, facility_name, _facility_options(kwargs), template)
        if as_json:
            emit_json(preview.to_json())
        else:
            click.echo(f"Would send to {preview.facility} (nothing sent):")
            click.echo(json.dumps(preview.payload, indent=2, ensure_ascii=True))
        return
    cadence = None
    if every_days is not None:
        cadence = (every_days, repeat_count or 1_000_000, until)
    elif repeat_count is not None or until is not None:
        raise ValidationError("--repeat and --until need --every DAYS")
    record = ObservationService(app.store).request(
        target, facility_name, _facility_options(kwargs), template=template, cadence=cadence
    )
    if as_json:
        emit_json(record.to_json())
    else:
        click.echo(
            f"Submitted observation {record.id} of {record.target_name} "
            f"to {record.facility} as {record.facility_id}"
        )


@obs_group.command("list")
@click.option("--status", help="A status (PENDING, COMPLETED...), or open, terminal, failed.")
@click.option("--facility", "facility_name")
@click.option("--target")
@json_flag
@app_command
def list_command(
    app: AppContext, status: str | None, facility_name: str | None, target: str | None, as_json: bool
) -> None:
    """List observation requests."""
    from tom_tui.services.observations.requests import ObservationService

    records = ObservationService(app.store).records(status, facility_name, target)
    if as_json:
        emit_json([record.to_json() for record in records])
        return
    click.echo(
        f"{'id':>5}  {'target':<22}  {'facility':<10}  {'status':<16}  {'scheduled (UTC)':<16}  {'data':>3}"
    )
    for record in records:
        click.echo(_record_line(record))


@obs_group.command("show")
@click.argument("observation_id", type=int)
@json_flag
@app_command
def show_command(app: AppContext, observation_id: int, as_json: bool) -> None:
    """Show one request: parameters, status history and data."""
    from tom_tui.services.observations.requests import ObservationService

    record = ObservationService(app.store).get(observation_id)
    if as_json:
        emit_json(record.to_json())
        return
    click.echo(f"Observation {record.id}: {record.target_name} at {record.facility} ({record.facility_id})")
    click.echo(
        f"  status     {record.status}{'  (error: ' + record.last_error + ')' if record.last_error else ''}"
    )
    click.echo(f"  scheduled  {record.scheduled_start or '-'} → {record.scheduled_end or '-'}")
    click.echo(f"  submitted  {record.submitted}   modified {record.modified}")
    for key in ("template", "rule", "cadence_id"):
        if getattr(record, key) is not None:
            click.echo(f"  {key:<10} {getattr(record, key)}")
    click.echo("  parameters")
    for key, value in record.parameters.items():
        click.echo(f"    {key} = {value}")
    click.echo("  history")
    for change in record.history:
        click.echo(f"    {change.time}  {change.status}  {change.detail}")
    click.echo(f"  data products  {', '.join(map(str, record.data_products)) or 'none yet'}")


@obs_group.command("cancel")
@click.argument("observation_id", type=int)
@app_command
def cancel_command(app: AppContext, observation_id: int) -> None:
    """Cancel a request that has not finished."""
    from tom_tui.services.observations.requests import ObservationService

    record = ObservationService(app.store).cancel(observation_id)
    click.echo(f"Observation {record.id} is now {record.status}")


@obs_group.command("update")
@click.option("--no-download", is_flag=True, help="Only poll statuses; fetch no data.")
@json_flag
@app_command
def update_command(app: AppContext, no_download: bool, as_json: bool) -> None:
    """Poll every open request; download the data of completed ones; run due cadences."""
    from tom_tui.services.observations.requests import ObservationService

    with ProgressBar("polling requests") as bar:
        summary = ObservationService(app.store).update(download=not no_download, progress=bar.update)
    if as_json:
        emit_json(summary.to_json())
    else:
        for notice in summary.notices:
            click.echo(notice.line())
        click.echo(
            f"Polled {summary.polled}, {len(summary.notices)} changed, "
            f"{summary.downloaded} file(s) downloaded, "
            f"{len(summary.new_requests)} cadence request(s)"
        )
    for error in summary.errors:
        click.echo(f"Warning: {error}", err=True)


@obs_group.command("status")
@click.argument("observation_id", type=int)
@click.argument("status")
@click.option("--detail", default="", help="Why (kept in the history).")
@app_command
def status_command(app: AppContext, observation_id: int, status: str, detail: str) -> None:
    """Set the status of a manual observation by hand."""
    from tom_tui.services.observations.requests import ObservationService

    record = ObservationService(app.store).set_status(observation_id, status.upper(), detail)
    click.echo(f"Observation {record.id} is now {record.status}")


@obs_group.command("attach")
@click.argument("observation_id", type=int)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--telescope", required=True, help="Telescope, for raw/<telescope>/<night>/.")
@click.option("--night", required=True, help="Night as YYYYMMDD (the evening's date).")
@app_command
def attach_command(
    app: AppContext, observation_id: int, files: tuple[Path, ...], telescope: str, night: str
) -> None:
    """Add frames observed by hand to an observation (stored under raw/<telescope>/<night>/)."""
    from tom_tui.domain.errors import ValidationError
    from tom_tui.services.observations.requests import ObservationService

    try:
        dt.datetime.strptime(night, "%Y%m%d")
    except ValueError:
        raise ValidationError(f"--night: {night!r} is not a date; expected YYYYMMDD") from None
    added = ObservationService(app.store).attach_files(observation_id, list(files), telescope, night)
    click.echo(f"Attached {len(added)} file(s) to observation {observation_id}")


@obs_group.command("cadences")
@json_flag
@app_command
def cadences_command(app: AppContext, as_json: bool) -> None:
    """List repeating requests."""
    from tom_tui.services.observations.requests import ObservationService

    cadences = ObservationService(app.store).cadences()
    if as_json:
        emit_json([cadence.to_json() for cadence in cadences])
        return
    for cadence in cadences:
        state = "active" if cadence.active else "done"
        click.echo(
            f"{cadence.id:>4}  target #{cadence.target_id}  {cadence.facility}  "
            f"every {cadence.every_days:g} d  "
            f"{cadence.remaining} left  next {cadence.next_due}  {state}"
        )


@obs_group.command("followup")
@click.option("--dry-run", is_flag=True, help="Show what would be requested; submit nothing.")
@json_flag
@app_command
def followup_command(app: AppContext, dry_run: bool, as_json: bool) -> None:
    """Apply the [[followup]] rules of tom-tui.toml: request observations of qualifying targets."""
    from tom_tui.services.observations.followup import run_followup

    report = run_followup(app.store, dry_run=dry_run)
    if as_json:
        emit_json(report.to_json())
    else:
        for entry in report.fired:
            made = f"observation {entry['observation_id']}" if entry["observation_id"] else "no request"
            click.echo(f"{entry['rule']}: {entry['target']} → {made if not dry_run else 'would request'}")
        click.echo(f"{len(report.fired)} rule firing(s)")
    for error in report.errors:
        click.echo(f"Warning: {error}", err=True)


@obs_group.group("template")
def template_group() -> None:
    """Named request options for a facility, applicable to any target."""


@template_group.command("save", cls=FacilityOptionsCommand)
@click.argument("name")
@click.option("--facility", "facility_name", required=True)
@click.option("--description", default="")
@app_command
def template_save_command(
    app: AppContext, /, name: str, facility_name: str, description: str, **kwargs: Any
) -> None:
    """Save (or replace) a template from the facility flags given."""
    from tom_tui.services.observations.requests import ObservationService

    template = ObservationService(app.store).save_template(
        name, facility_name, _facility_options(kwargs), description
    )
    click.echo(f"Saved template {template.name} for {template.facility}")


@template_group.command("list")
@json_flag
@app_command
def template_list_command(app: AppContext, as_json: bool) -> None:
    """List templates."""
    from tom_tui.services.observations.requests import ObservationService

    templates = ObservationService(app.store).templates()
    if as_json:
        emit_json([template.to_json() for template in templates])
        return
    for template in templates:
        options = ", ".join(f"{k}={v}" for k, v in template.parameters.items())
        click.echo(f"{template.name:<20} {template.facility:<10} {options}")


@template_group.command("show")
@click.argument("name")
@json_flag
@app_command
def template_show_command(app: AppContext, name: str, as_json: bool) -> None:
    """Show one template: its facility and the options a request made from it gets."""
    from tom_tui.services.observations.requests import ObservationService

    template = ObservationService(app.store).template(name)
    if as_json:
        emit_json(template.to_json())
        return
    click.echo(f"{template.name}  ({template.facility})")
    for key, value in template.parameters.items():
        click.echo(f"  {key} = {value}")


@template_group.command("delete")
@click.argument("name")
@app_command
def template_delete_command(app: AppContext, name: str) -> None:
    """Delete a template (requests made from it keep their options)."""
    from tom_tui.services.observations.requests import ObservationService

    ObservationService(app.store).delete_template(name)
    click.echo(f"Deleted template {name}")


def _hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "  -  "


@click.command("plan")
@click.option("--list", "list_name", help="Target list to plan (default: every target).")
@click.option(
    "--hour-angle",
    "hour_angle_limit",
    type=float,
    metavar="HOURS",
    help="Observable only this many hours from the meridian (a telescope's hour-angle limit).",
)
@click.option("--site", help="Observatory name or LAT,LON,HEIGHT (default: [observatory] site).")
@click.option("--night", help="Evening date YYYY-MM-DD (default: tonight at the site).")
@click.option("--airmass", "airmass_limit", type=float, default=2.0, show_default=True)
@click.option(
    "--twilight",
    type=click.Choice(["civil", "nautical", "astronomical"]),
    default="nautical",
    show_default=True,
)
@json_flag
@app_command
def plan_command(
    app: AppContext,
    list_name: str | None,
    hour_angle_limit: float | None,
    site: str | None,
    night: str | None,
    airmass_limit: float,
    twilight: str,
    as_json: bool,
) -> None:
    """Rise, set, best time, airmass and Moon distance of every target of a list (or of the store)
    for one night."""
    from tom_tui.services.observations.planning import plan_list

    plan = plan_list(app.store, list_name, site, night, airmass_limit, twilight, hour_angle_limit)
    if as_json:
        emit_json(plan.to_json())
        return
    t = plan.twilights
    click.echo(
        f"{plan.site.name}, night of {plan.night}  (times UTC)  sunset {_hhmm(t['sunset'])}  "
        f"{twilight} dark {_hhmm(t[twilight + '_dusk'])}–{_hhmm(t[twilight + '_dawn'])}  "
        f"sunrise {_hhmm(t['sunrise'])}  Moon {plan.moon_illumination:.0%}"
        + (f"  |hour angle| ≤ {plan.hour_angle_limit:g} h" if plan.hour_angle_limit else "")
    )
    click.echo(f"{'target':<24} {'rise':>5} {'set':>5} {'best':>5} {'airm':>5} {'hours':>5} {'moon°':>5}")
    for row in plan.rows:
        airmass = f"{row['min_airmass']:.2f}" if row["min_airmass"] else "  -  "
        click.echo(
            f"{row['name'][:24]:<24} {_hhmm(row['rise']):>5} {_hhmm(row['set']):>5} "
            f"{_hhmm(row['best_time']):>5} "
            f"{airmass:>5} {row['hours_observable']:>5.1f} {row['moon_separation']:>5.0f}"
        )


@click.command("starlist")
@click.option("--list", "list_name", required=True, help="Target list to write.")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["keck", "lick", "csv"]),
    default="keck",
    show_default=True,
    help="The observatory's starlist format.",
)
@click.option("--site", help="Observatory name or LAT,LON,HEIGHT (default: [observatory] site).")
@click.option("--night", help="Evening date YYYY-MM-DD (default: tonight at the site).")
@click.option("--airmass", "airmass_limit", type=float, default=2.0, show_default=True)
@click.option("--all", "include_unobservable", is_flag=True, help="Also targets not observable that night.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file (default: print)."
)
@app_command
def starlist_command(
    app: AppContext,
    list_name: str,
    format_name: str,
    site: str | None,
    night: str | None,
    airmass_limit: float,
    include_unobservable: bool,
    output: Path | None,
) -> None:
    """A list's targets observable in one night, in a telescope's starlist format (Keck, Lick or CSV),
    in the night plan's order, at each target's best time."""
    from tom_tui.services.observations.starlists import make_starlist

    made = make_starlist(
        app.store,
        list_name,
        format_name,
        site_text=site,
        night_text=night,
        airmass_limit=airmass_limit,
        include_unobservable=include_unobservable,
    )
    if output is None:
        click.echo(made.text, nl=False)
    else:
        output.write_text(made.text)
        click.echo(f"Wrote {len(made.entries)} target(s) to {output}", err=True)
    if made.left_out:
        click.echo(f"Left out (not observable that night): {', '.join(made.left_out)}", err=True)


@click.command("visibility")
@click.argument("target", shell_complete=complete_target_names)
@click.option("--site", help="Observatory name or LAT,LON,HEIGHT (default: [observatory] site).")
@click.option("--night", help="Evening date YYYY-MM-DD (default: tonight at the site).")
@click.option("--airmass", "airmass_limit", type=float, default=2.0, show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG image instead.")
@app_command
def visibility_command(
    app: AppContext, target: str, site: str | None, night: str | None, airmass_limit: float, png: Path | None
) -> None:
    """Altitude of TARGET through a night, with twilights, the Moon and the airmass limit."""
    import shutil

    from tom_tui.services.observations.planning import save_track_png, target_track_for, track_text

    track = target_track_for(app.store, target, site, night)
    if png is not None:
        save_track_png(track, airmass_limit, png)
        click.echo(f"Wrote {png}")
        return
    columns, rows = shutil.get_terminal_size((100, 30))
    click.echo(track_text(track, airmass_limit, min(columns, 140), max(15, min(rows - 2, 35))))


def _attach_visibility() -> list[click.Command]:
    """Put `visibility` under the `plot` group of tom_tui.cli.plots, or provide the group here."""
    from tom_tui.cli import plots

    existing = getattr(plots, "plot", None)
    if isinstance(existing, click.Group):
        existing.add_command(visibility_command)
        return []

    @click.group("plot")
    def plot_group() -> None:
        """Plots in the terminal."""

    plot_group.add_command(visibility_command)
    return [plot_group]


COMMANDS: list[click.Command] = [obs_group, plan_command, starlist_command, *_attach_visibility()]
