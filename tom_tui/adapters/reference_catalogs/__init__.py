"""Reference star catalogs for reduction: Gaia DR3 from the ESA archive, and the simulated sky's stars."""
