"""The simulated survey: the sky's own objects where they are, a fixed field source elsewhere (some
empty, some variable), the same points whatever window is asked."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.adapters.surveys.simulated import SimulatedSurvey, field_source
from tom_tui.domain.photometry import MEASUREMENT_SCHEMA
from tom_tui.domain.units import AB_ZERO_POINT_UJY


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOM_TUI_NOW", "2026-11-22T00:00:00")


def short_survey() -> SimulatedSurvey:
    return SimulatedSurvey(settings={"start_mjd": 61000.0})


def test_a_variable_star_of_the_sky_is_seen_with_its_own_light_curve() -> None:
    star = next(o for o in SimulatedSky().fixed_objects if o.kind == "RR Lyrae" and (o.dec or -90) > 10)
    answer = short_survey().fetch(star.ra or 0.0, star.dec or 0.0)
    assert answer.photometry.schema == MEASUREMENT_SCHEMA and not answer.empty
    assert set(answer.raw.column("object").to_pylist()) == {star.name}
    detected = answer.photometry.filter(pc.is_valid(answer.photometry.column("mag")))
    g = detected.filter(pc.equal(detected.column("filter"), "ztfg"))
    # The measured magnitudes follow the model within their noise, and the star varies.
    model = star.magnitude(g.column("mjd").to_numpy(), "g")
    residual = g.column("mag").to_numpy() - model
    assert abs(float(np.median(residual))) < 0.05 and float(np.ptp(model)) > 0.3
    flux = detected.column("flux").to_numpy()
    assert np.allclose(detected.column("mag").to_numpy(), AB_ZERO_POINT_UJY - 2.5 * np.log10(flux), atol=1e-3)


def test_elsewhere_some_fields_are_empty_some_variable_and_each_is_always_the_same() -> None:
    kinds = [field_source(10.0 + i * 0.37, 20.0 + i * 0.11, 2026) for i in range(60)]
    empty = sum(source is None for source in kinds)
    variable = sum(source is not None and source.kind != "star" for source in kinds)
    assert 4 <= empty <= 24 and 3 <= variable <= 20
    again = [field_source(10.0 + i * 0.37, 20.0 + i * 0.11, 2026) for i in range(60)]
    assert kinds == again
    empty_at = next(i for i, source in enumerate(kinds) if source is None)
    answer = short_survey().fetch(10.0 + empty_at * 0.37, 20.0 + empty_at * 0.11)
    assert answer.empty and answer.photometry.num_rows == 0 and answer.note == "no source in the field"


def test_a_later_window_gives_exactly_the_same_points_as_the_whole_history() -> None:
    survey = short_survey()
    whole = survey.fetch(150.0, 30.0)
    recent = survey.fetch(150.0, 30.0, since_mjd=61200.0)
    assert whole.photometry.num_rows > recent.photometry.num_rows > 0
    tail = whole.photometry.filter(pc.greater_equal(whole.photometry.column("mjd"), 61200.0))
    assert tail.equals(recent.photometry)


def test_a_recent_transient_is_seen_rising_from_nothing() -> None:
    transient = next(t for t in SimulatedSky().transients_between(61330.0, 61350.0) if (t.dec or -90) > 0)
    answer = short_survey().fetch(transient.ra or 0.0, transient.dec or 0.0)
    assert set(answer.raw.column("object").to_pylist()) == {transient.name}
    table = answer.photometry
    before = table.filter(pc.less(table.column("mjd"), transient.params["t0"] - 30.0))
    assert before.num_rows > 0 and before.column("mag").null_count == before.num_rows  # limits only
    assert table.column("mag").null_count < table.num_rows  # detected once it rose
