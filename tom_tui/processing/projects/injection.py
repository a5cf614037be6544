"""Inject: simulated events of known amplitude, width and time added to copies of light curves.

The copies go through the quality checks and the finder again; the fraction of injected events
that come back as detections, by amplitude, is the search's detection efficiency.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.processing.projects.lightcurves import lightcurve_bounds
from tom_tui.processing.projects.settings import InjectSettings

FloatArray = npt.NDArray[np.float64]
SHAPES = ("gaussian", "flare")
# A flare rises over this fraction of its decay time (a fast rise, then the exponential decay).
FLARE_RISE_FRACTION = 0.1
MAX_EXPONENT = 80.0


def event_shape(shape: str, days_from_peak: FloatArray, width_days: FloatArray) -> FloatArray:
    """The event profile, 1 at the peak: ``gaussian`` (standard deviation ``width``) or ``flare``
    (a linear rise over a tenth of ``width``, then exp(-t / width))."""
    scaled = days_from_peak / width_days
    # Far from the peak the profile is below 1e-17 of it; capping the exponent there keeps exp
    # out of denormal numbers, which are many times slower to compute.
    if shape == "gaussian":
        profile: FloatArray = np.exp(-0.5 * np.minimum(scaled * scaled, MAX_EXPONENT))
        return profile
    if shape == "flare":
        rising = np.clip(1.0 + scaled / FLARE_RISE_FRACTION, 0.0, 1.0)
        decaying = np.exp(-np.clip(scaled, 0.0, MAX_EXPONENT / 2))
        flare: FloatArray = np.where(scaled < 0, rising, decaying)
        return flare
    raise ValueError(f"inject.shape: {shape!r} is not known; expected one of {', '.join(SHAPES)}")


def plan_injections(
    lightcurves: pd.DataFrame, settings: InjectSettings, copy: int, noise: FloatArray
) -> pd.DataFrame:
    """One event per light curve for copy number ``copy``: its peak time (uniform within the
    light curve's span), amplitude (in units of ``noise``, one value per light curve), width.

    ``lightcurves`` has one row per light curve with ``lightcurve``, ``source``, ``start`` and
    ``end`` (MJD). The draws depend only on the seed, the copy and the source, so a partition
    gives the same events whichever worker runs it.
    """
    count = len(lightcurves)
    amplitudes = np.asarray(settings.amplitudes, dtype=float)
    widths = np.asarray(settings.widths_days, dtype=float)
    # The same source and season get the same event in every filter, as a real event would.
    draws = _unit_draws(
        settings.seed,
        copy,
        lightcurves["source"].to_numpy(np.uint64),
        lightcurves["season"].to_numpy(np.uint64),
        3,
    )
    start = lightcurves["start"].to_numpy(float)
    end = lightcurves["end"].to_numpy(float)
    amplitude = amplitudes[np.minimum((draws[0] * len(amplitudes)).astype(int), len(amplitudes) - 1)]
    return pd.DataFrame(
        {
            "lightcurve": lightcurves["lightcurve"].to_numpy(),
            "copy": np.full(count, copy, dtype=np.int32),
            "peak_mjd": start + draws[1] * (end - start),
            "amplitude": amplitude,
            "amplitude_flux": amplitude * noise,
            "width_days": widths[np.minimum((draws[2] * len(widths)).astype(int), len(widths) - 1)],
        }
    )


def _unit_draws(
    seed: int, copy: int, sources: npt.NDArray[np.uint64], seasons: npt.NDArray[np.uint64], count: int
) -> FloatArray:
    """``count`` numbers in [0, 1) per light curve, fixed by (seed, copy, source, season, i)."""
    draws = np.empty((count, len(sources)))
    with np.errstate(over="ignore"):
        base = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(copy) * np.uint64(
            0xBF58476D1CE4E5B9
        )
    for index in range(count):
        with np.errstate(over="ignore"):
            mixed = base + sources * np.uint64(0x94D049BB133111EB) + seasons * np.uint64(0x2545F4914F6CDD1D)
            mixed = mixed + np.uint64(index + 1) * np.uint64(0xD6E8FEB86659FD93)
            mixed ^= mixed >> np.uint64(31)
            mixed *= np.uint64(0x7FB5D329728EA185)
            mixed ^= mixed >> np.uint64(27)
        draws[index] = (mixed >> np.uint64(11)).astype(np.float64) / float(2**53)
    return draws


def injected_copy(points: pd.DataFrame, events: pd.DataFrame, shape: str) -> pd.DataFrame:
    """A copy of the light curve points with each light curve's event added to its flux."""
    starts, ends = lightcurve_bounds(points["lightcurve"].to_numpy())
    order = np.searchsorted(events["lightcurve"].to_numpy(), points["lightcurve"].to_numpy()[starts])
    per_point = np.repeat(order, ends - starts)
    peak = events["peak_mjd"].to_numpy(float)[per_point]
    width = events["width_days"].to_numpy(float)[per_point]
    bump = events["amplitude_flux"].to_numpy(float)[per_point] * event_shape(
        shape, points["mjd"].to_numpy(float) - peak, width
    )
    return points.assign(flux=points["flux"].to_numpy(float) + bump)


def recovered(events: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """The injected events with what the search found for their light curves: ``score``,
    ``found_mjd`` and ``recovered`` (a detection whose peak lies within 2 × width, at least a
    day, of the injected peak)."""
    found = events.merge(
        candidates[["lightcurve", "score", "peak_mjd", "detected"]].rename(columns={"peak_mjd": "found_mjd"}),
        on="lightcurve",
        how="left",
    )
    tolerance = np.maximum(2.0 * found["width_days"].to_numpy(float), 1.0)
    close = np.abs(found["found_mjd"].to_numpy(float) - found["peak_mjd"].to_numpy(float)) <= tolerance
    found["recovered"] = found["detected"].fillna(False).to_numpy(bool) & close
    return found.drop(columns=["detected"])
