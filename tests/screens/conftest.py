"""Screen tests run the app on a fixed store with the clock, time zone and home directory pinned."""

from tests.support import tui

fixed_env = tui.fixed_env
store = tui.tui_store
grid_store = tui.grid_store
make_app = tui.make_app
