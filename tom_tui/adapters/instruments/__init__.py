"""Instrument profiles: how each telescope and camera writes its FITS headers, and its detector."""
