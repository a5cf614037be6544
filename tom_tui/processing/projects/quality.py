"""Quality: per-point checks that each set one bit of the light curves' ``flag`` column.

A check is a small class behind :class:`QualityCheck`; the built-ins are registered in the
``tom_tui.project_checks`` entry point group, where a third-party package adds its own. The
project lists the checks it runs; the n-th listed check owns bit ``1 << n`` (the project's saved
configuration records which bit is which), and a flagged point is left out of the event search.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from tom_tui.processing.projects.settings import QualitySettings

BoolArray = npt.NDArray[np.bool_]
# Scale from the median absolute deviation to the standard deviation of a normal distribution.
MAD_TO_SIGMA = 1.4826


class QualityCheck(ABC):
    """One per-point test over a whole light curve table.

    ``flagged`` receives the points of many light curves (columns of
    :data:`~tom_tui.processing.projects.lightcurves.LIGHTCURVE_COLUMNS` plus ``lightcurve``,
    sorted by source, filter and time) and returns a boolean array, True where the point is bad.
    It must not change the table and should work on all rows at once (no loop over sources).
    """

    name: str = ""
    description: str = ""

    @abstractmethod
    def flagged(self, points: pd.DataFrame, settings: QualitySettings) -> BoolArray:
        """True for each point this check rejects."""


class SurveyFlags(QualityCheck):
    name = "survey_flags"
    description = "the survey marked the point as bad (a non-zero flag in its answer)"

    def flagged(self, points: pd.DataFrame, settings: QualitySettings) -> BoolArray:
        return np.asarray(points["survey_flag"].to_numpy() != 0)


class BadErrors(QualityCheck):
    name = "bad_errors"
    description = "the flux error is missing, zero or negative"

    def flagged(self, points: pd.DataFrame, settings: QualitySettings) -> BoolArray:
        fluxerr = points["fluxerr"].to_numpy(float)
        return np.asarray(~(np.isfinite(fluxerr) & (fluxerr > 0)))


class OffsetOutliers(QualityCheck):
    name = "offset_outliers"
    description = "measured too far from the catalogue position (absolute limit, or robust outlier)"

    def flagged(self, points: pd.DataFrame, settings: QualitySettings) -> BoolArray:
        offset = points["offset_arcsec"]
        if not np.isfinite(offset.to_numpy(float)).any():
            return np.zeros(len(points), dtype=bool)
        by_source = offset.groupby(points["source"].to_numpy())
        median = by_source.transform("median").to_numpy(float)
        spread = (offset - median).abs().groupby(points["source"].to_numpy()).transform("median")
        sigma = MAD_TO_SIGMA * spread.to_numpy(float)
        values = offset.to_numpy(float)
        too_far = values > settings.max_offset_arcsec
        outlier = (values - median) > settings.offset_sigma * sigma
        return np.asarray(np.nan_to_num(too_far | (outlier & (sigma > 0)), nan=0).astype(bool))


BUILTIN_CHECKS: dict[str, type[QualityCheck]] = {
    check.name: check for check in (SurveyFlags, BadErrors, OffsetOutliers)
}


def check_bits(names: Sequence[str]) -> dict[str, int]:
    """The bit each listed check sets, by its position in the list."""
    return {name: 1 << position for position, name in enumerate(names)}


def apply_checks(
    points: pd.DataFrame, checks: Sequence[QualityCheck], settings: QualitySettings
) -> pd.DataFrame:
    """The table with its ``flag`` column set from ``checks`` (bit n for the n-th check)."""
    flag = np.zeros(len(points), dtype=np.int64)
    for position, check in enumerate(checks):
        flag |= np.where(check.flagged(points, settings), np.int64(1) << position, 0)
    flagged = points.copy(deep=False)
    flagged["flag"] = flag
    return flagged
