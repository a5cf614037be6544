"""Sky images of a field, for finding charts: a survey cutout service, or the simulated sky offline."""
