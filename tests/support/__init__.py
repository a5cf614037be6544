"""Fixtures and helpers the test folders share; each folder's conftest.py imports the ones it uses."""
