"""Sharing tests run `tom-tui` on the test's store (tests/support/cli.py)."""

from tests.support import cli

run = cli.run
