"""Adapters talk HTTP through a client that records its backoff instead of sleeping."""

from tests.support import http

sleeps = http.sleeps
client = http.client
