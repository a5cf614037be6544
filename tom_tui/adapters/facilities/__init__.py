"""Observation facilities: telescopes that take requests (see :mod:`.base` for the contract)."""
