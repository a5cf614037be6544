"""Reduction tests start from an empty store with the clock pinned to a November night, so the
simulated telescope's frames can be requested and fetched."""

from tests.support import cli, reduction, stores

store = stores.observation_store
run = cli.run
targets = cli.targets
night_files = reduction.night_files
