"""Clients of the systems targets and data are shared with (TOM Toolkit over its REST API)."""
