"""Target actions shared by the list and the detail screen: delete after confirmation."""

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
