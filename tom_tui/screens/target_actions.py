"""Target actions shared by the list and the detail screen: delete after confirmation, fetch a
survey's photometry."""

from __future__ import annotations

from collections.abc import Callable

from tom_tui.screens.base import TomScreen
from tom_tui.screens.dialogs import ConfirmScreen
from tom_tui.services.targets.operations import TargetService


def confirm_and_delete(screen: TomScreen, target_id: int, name: str, after: Callable[[], None]) -> None:
    """Ask first; on yes delete the target (and its data) in a worker, then call ``after``."""
    app = screen.tom_app

    def delete() -> None:
        TargetService(app.store).delete(target_id)
        app.call_from_thread(finished)

    def finished() -> None:
        app.notify(f"deleted target {name!r}", title="Targets")
        app.check_store()
        after()

    def answered(yes: bool | None) -> None:
        if yes:
            screen.run_worker(delete, thread=True, name=f"delete {name}", group="write", exit_on_error=False)

    app.push_screen(
        ConfirmScreen(
            f"Delete target {name!r} and all its data?\nThis cannot be undone.", yes_label="Delete"
        ),
        answered,
    )


def choose_survey_and_fetch(screen: TomScreen, target_id: int, name: str, after: Callable[[], None]) -> None:
    """Ask which survey; fetch its photometry of the target in a worker, say what it added, then
    call ``after``. A failure (no position, the service down) reaches the user as one sentence."""
    from tom_tui.domain.errors import TomError
    from tom_tui.screens.dialogs import OptionPicker
    from tom_tui.services.surveys.fetch import fetch_survey, survey_choices

    app = screen.tom_app

    def fetch(survey: str) -> None:
        summary = fetch_survey(app.store, [target_id], survey)
        failed = summary.failed or [t for t in summary.targets if t.status == "pending"]
        if failed:
            raise TomError(f"{survey}: {failed[0].reason}")
        app.call_from_thread(finished, summary.describe())

    def finished(description: str) -> None:
        app.notify(description, title="Survey photometry")
        app.check_store()
        after()

    def chosen(survey: str | None) -> None:
        if survey:
            app.notify(f"fetching {survey} photometry of {name!r}…", title="Survey photometry")
            screen.run_worker(
                lambda: fetch(survey),
                thread=True,
                name=f"survey {survey} {name}",
                group="write",
                exit_on_error=False,
            )

    app.push_screen(OptionPicker(f"Survey photometry of {name}", survey_choices()), chosen)
