"""`python -m tom_tui` runs the `tom-tui` command."""

from tom_tui.cli.main import main

main()
