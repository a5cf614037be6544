"""Observation tests drive `tom-tui` on a store with the clock pinned to a November night."""

from tests.support import cli, smtp, stores

store = stores.observation_store
run = cli.run
targets = cli.targets
smtp_sink = smtp.smtp_sink
