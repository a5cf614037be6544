"""The real services (run with ``pytest --online``; skipped by default)."""

from __future__ import annotations

import pytest

from tom_tui.services.plugins import make_broker, make_catalog

pytestmark = pytest.mark.online


def test_alerce_ztf_object_online() -> None:
    [alert] = make_broker("alerce").query(oid="ZTF18abcgqmz")
    assert alert.ra == pytest.approx(279.9048, abs=1e-3)
    assert make_broker("alerce").photometry_history(alert).num_rows >= 1


def test_fink_object_online() -> None:
    alerts = make_broker("fink").query(object_id="ZTF19aaosfcb")
    assert alerts and alerts[0].name == "ZTF19aaosfcb"


def test_simbad_resolves_vega_online() -> None:
    fields = make_catalog("simbad").lookup("Vega")
    assert fields is not None and fields["ra"] == pytest.approx(279.2347, abs=1e-3)


def test_horizons_ceres_online() -> None:
    fields = make_catalog("jpl_horizons").lookup("Ceres")
    assert fields is not None and fields["semimajor_axis"] == pytest.approx(2.77, abs=0.05)
