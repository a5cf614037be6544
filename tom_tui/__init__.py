"""tom-tui: a Target and Observation Manager that lives in the terminal."""

__version__ = "0.1.0"
