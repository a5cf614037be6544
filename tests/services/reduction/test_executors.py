"""Where a run's frames are reduced: this process for one worker or a small run, Dask otherwise;
worker counts and scheduler addresses checked before anything starts."""

from __future__ import annotations

import pytest

from tom_tui.domain.errors import ValidationError
from tom_tui.services.reduction.executors import (
    SMALL_RUN_ITEMS,
    InProcessExecutor,
    check_scheduler_address,
    open_executor,
)


def test_one_worker_or_a_small_run_stays_in_this_process() -> None:
    with open_executor(None, 1, 100) as executor:
        assert isinstance(executor, InProcessExecutor) and executor.description == "in-process"
        assert sorted(executor.map_unordered(lambda n: n * n, [3, 1, 2])) == [1, 4, 9]
    with open_executor(None, None, SMALL_RUN_ITEMS - 1) as executor:
        assert isinstance(executor, InProcessExecutor)
    with open_executor(None, 4, 1) as executor:  # one frame needs no cluster
        assert isinstance(executor, InProcessExecutor)


def test_wrong_worker_counts_and_addresses_are_refused() -> None:
    with pytest.raises(ValidationError, match="--workers 0: expected at least 1"), open_executor(None, 0, 5):
        pass
    for address in ("localhost:8786", "tcp://", "http://host:8786"):
        with pytest.raises(ValidationError, match="expected tcp://HOST:PORT"):
            check_scheduler_address(address)
    assert check_scheduler_address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
