"""Command-line interface: `tom-tui` opens the TUI, subcommands are for scripts and cron."""
