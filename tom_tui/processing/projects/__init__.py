"""Bulk survey projects: the pure analysis stages (reduce, quality, find, inject, histograms, rates)."""
