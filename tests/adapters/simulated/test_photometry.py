"""Simulated ZTF-like photometry of simulated-sky objects (used by the demo)."""

from __future__ import annotations

import numpy as np
import pytest

from tom_tui.adapters.simulated.photometry import simulated_photometry
from tom_tui.adapters.simulated.sky import SimulatedSky
from tom_tui.domain.photometry import DedupPolicy, with_target_ids
from tom_tui.services.photometry.ingest import ingest
from tom_tui.services.photometry.reads import photometry_summary
from tom_tui.store.store import Store


@pytest.fixture(scope="module")
def sky() -> SimulatedSky:
    return SimulatedSky(seed=2026)


def test_supernova_light_curve_is_realistic_and_reproducible(sky: SimulatedSky) -> None:
    supernova = next(o for o in sky.objects if o.kind == "SN Ia" and o.dec is not None and o.dec > 0)
    peak = supernova.params["t0"]
    table = simulated_photometry(supernova, peak - 40, peak + 60)
    assert table.equals(simulated_photometry(supernova, peak - 40, peak + 60))
    rows = table.to_pylist()
    assert {row["filter"] for row in rows} <= {"ztfg", "ztfr", "ztfi"}
    before = [row for row in rows if row["mjd"] < peak - 30]
    assert before and all(row["mag"] is None and row["limit"] is not None for row in before)
    detections = [row for row in rows if row["mag"] is not None]
    assert detections and all(row["flux"] / row["fluxerr"] >= 5 for row in detections)
    # Noise is consistent with the quoted errors: the brightest r point is near the model peak.
    r_band = [row for row in detections if row["filter"] == "ztfr"]
    brightest = min(r_band, key=lambda row: row["mag"])
    model = float(supernova.magnitude(brightest["mjd"], "r")[0])
    assert abs(brightest["mag"] - model) < 5 * brightest["magerr"] + 0.1
    mjd = np.array([row["mjd"] for row in rows])
    assert np.all(np.diff(mjd) > 0) and mjd.min() >= peak - 40 and mjd.max() < peak + 60


def test_variable_star_year_has_seasons_and_ingests(sky: SimulatedSky, tmp_path: object) -> None:
    star = next(o for o in sky.objects if o.kind == "RR Lyrae" and o.dec is not None and o.dec > 0)
    table = simulated_photometry(star, 60000, 60730)
    nights = np.unique(np.floor(np.asarray(table.column("mjd").to_numpy())))
    assert 200 < len(nights) < 500  # weather and the Sun take their share of two years
    gaps = np.diff(nights)
    assert gaps.max() > 30  # a seasonal gap while the star is behind the Sun
    store = Store.init(tmp_path / "store")  # type: ignore[operator]
    with store.transaction() as tx:
        ingest(tx, with_target_ids(table, 1), policy=DedupPolicy(), source="simulated")
    with store.read() as view:
        summary = photometry_summary(view).to_pylist()[0]
    assert summary["n_points"] == table.num_rows and summary["n_detections"] > 0.9 * table.num_rows


def test_ingest_simulated_for_the_demo(sky: SimulatedSky, tmp_path: object) -> None:
    from tom_tui.services.photometry.ingest import ingest_simulated

    chosen = [o for o in sky.objects if o.ra is not None][:20]
    store = Store.init(tmp_path / "store")  # type: ignore[operator]
    with store.transaction() as tx:
        outcome = ingest_simulated(tx, list(enumerate(chosen, start=1)), 61000, 61360)
    results = outcome.targets
    assert results and outcome.upload_id is not None  # one upload for all of them
    with store.read() as view:
        summary = photometry_summary(view)
    assert summary.num_rows == len(results) and sum(r.added for r in results) == sum(
        summary.column("n_points").to_pylist()
    )
