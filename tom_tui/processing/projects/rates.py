"""Rates: detections per source and year of searched light curve, corrected for the efficiency the
injections measured, with Poisson upper limits.

The exposure of a filter is the summed span of its searched seasons over all sources, in years
(a source watched for two 200-day seasons adds 400 days). For events of a given amplitude (in
units of the light curves' noise), the rate is ``detections / (efficiency × exposure)`` and the
upper limit is the Poisson upper limit on the count (3.00 events at 95 % when none was seen)
over the same product.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

DAYS_PER_YEAR = 365.25


def poisson_upper_limit(count: npt.ArrayLike, confidence: float = 0.95) -> npt.NDArray[np.float64]:
    """The one-sided upper limit on a Poisson mean after seeing ``count`` events (Gehrels 1986:
    half the chi-squared quantile with 2(n + 1) degrees of freedom)."""
    from scipy.stats import chi2

    counts = np.asarray(count, dtype=float)
    limit: npt.NDArray[np.float64] = 0.5 * chi2.ppf(confidence, 2.0 * (counts + 1.0))
    return limit


def event_rates(properties: pd.DataFrame, injections: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per filter and injected amplitude: events injected and recovered, the efficiency, the
    source-years searched, detections, the rate per source-year and its upper limit at
    ``confidence``."""
    columns = [
        "filter",
        "amplitude",
        "injected",
        "recovered",
        "efficiency",
        "source_years",
        "detections",
        "rate",
        "upper_limit",
    ]
    if not len(properties) or not len(injections):
        return pd.DataFrame(columns=columns)
    per_filter = properties.assign(filter=properties["filter"].astype(str)).groupby("filter")
    exposure = (per_filter["searched_days"].sum() / DAYS_PER_YEAR).rename("source_years")
    detections = per_filter["detections"].sum().rename("detections")
    found = injections.assign(filter=injections["filter"].astype(str))
    counted = found.groupby(["filter", "amplitude"])["recovered"].agg(injected="size", recovered="sum")
    efficiency = counted.reset_index()
    efficiency["efficiency"] = efficiency["recovered"] / efficiency["injected"]
    table = efficiency.merge(exposure.reset_index(), on="filter").merge(detections.reset_index(), on="filter")
    covered = table["efficiency"].to_numpy(float) * table["source_years"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate"] = np.where(covered > 0, table["detections"].to_numpy(float) / covered, np.nan)
        table["upper_limit"] = np.where(
            covered > 0, poisson_upper_limit(table["detections"].to_numpy()) / covered, np.nan
        )
    result: pd.DataFrame = table[columns]
    return result
