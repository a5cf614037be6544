"""An HTTP client for adapter tests that records its backoff instead of sleeping."""

from __future__ import annotations

import pytest

from tom_tui.adapters.http import HttpClient, RateLimiter


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client(sleeps: RecordingSleep) -> HttpClient:
    """A client that never really sleeps (backoff is recorded instead) and has no rate limit."""
    return HttpClient(timeout=5.0, retries=2, rate_limiter=RateLimiter(default_per_second=0), sleep=sleeps)
