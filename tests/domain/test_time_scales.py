"""TAI to UTC through the IAU leap-second table."""

from __future__ import annotations

import math

import pytest

from tom_tui.domain.units import tai_to_utc_mjd


@pytest.mark.parametrize(
    ("mjd_tai", "tai_minus_utc_seconds"),
    [
        (61105.093643486834, 37.0),  # a real Rubin alert, 2026
        (57754.5, 37.0),  # 2017-01-01, after the last leap second
        (57753.5, 36.0),  # 2016-12-31, before it
        (44239.5, 19.0),  # 1980-01-01
    ],
)
def test_tai_becomes_utc_by_that_day_s_leap_seconds(mjd_tai: float, tai_minus_utc_seconds: float) -> None:
    assert tai_to_utc_mjd(mjd_tai) == pytest.approx(mjd_tai - tai_minus_utc_seconds / 86_400.0, abs=1e-10)


def test_a_time_no_table_covers_is_left_for_the_checks_to_refuse() -> None:
    assert tai_to_utc_mjd(0.0) == 0.0 and tai_to_utc_mjd(1e12) == 1e12
    assert math.isnan(tai_to_utc_mjd(math.nan))
