"""Bulk survey projects: project files, catalogues, downloads, runs on Dask, results."""
