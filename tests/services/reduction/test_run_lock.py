"""One reduction run at a time per store: a second one (the TUI, cron and a script can each start
one) is refused at once with a sentence, and writes nothing."""

from __future__ import annotations

import pytest

from tests.support.reduction import NightFiles, import_night
from tests.support.stores import snapshot
from tom_tui.domain.errors import ValidationError
from tom_tui.services.reduction.runs import one_run_at_a_time, start_run
from tom_tui.store.store import Store


def test_a_second_run_is_refused_while_one_works(store: Store, night_files: NightFiles) -> None:
    import_night(store, night_files)
    before = snapshot(store)
    with one_run_at_a_time(store), pytest.raises(ValidationError, match="another reduction run is working"):
        start_run(store)
    after = {path: digest for path, digest in snapshot(store).items() if not path.startswith(".work/")}
    assert after == {path: digest for path, digest in before.items() if not path.startswith(".work/")}
