"""Image reduction stages: masters, calibration, sources and astrometry, aperture photometry.

Each step is a small :class:`~tom_tui.processing.reduction.stages.Stage` that takes a
:class:`~tom_tui.processing.reduction.stages.ReductionFrame` and returns it, or drops it with a
flag and a reason. The run that reads frames, chains the stages and writes products is a service.
"""
