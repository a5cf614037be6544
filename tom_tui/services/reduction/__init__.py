"""Reduction: the raw frame archive, instrument profiles, and the runs that turn frames into
calibrated photometry."""
