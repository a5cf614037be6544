"""`data upload --type spectroscopy`: every spectrum of a file is stored and shown; --where picks
one, and is refused where it cannot apply."""

from __future__ import annotations

from click.testing import CliRunner

from tests.support import stores
from tests.support.paths import SPECTRA
from tests.support.stores import snapshot
from tom_tui.cli.main import cli
from tom_tui.store.store import Store

store = stores.photometry_store
TWO_INSTRUMENTS = str(SPECTRA / "skyportal_spec_with_instrument_id.csv")


def run(store: Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(store.root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_two_spectra_in_one_file_are_both_shown(store: Store) -> None:
    code, out, err = run(store, "data", "upload", "SN 2024abc", TWO_INSTRUMENTS, "--type", "spectroscopy")
    assert code == 0, err
    assert "Spectrum 1: 1197 points" in out and "Spectrum 2: 1854 points" in out


def test_where_picks_one_and_is_refused_for_fits(store: Store) -> None:
    code, out, err = run(
        store,
        "data",
        "upload",
        "SN 2024abc",
        TWO_INSTRUMENTS,
        "--type",
        "spectroscopy",
        "--where",
        "instrument_id=2",
    )
    assert code == 0, err
    assert "Spectrum 1: 1854 points" in out and "Spectrum 2" not in out
    before = snapshot(store)
    floyds = str(SPECTRA / "tom_base_test_spectrum_SN2017cbv_floyds.fits")
    code, _, err = run(
        store, "data", "upload", "SN 2024abc", floyds, "--type", "spectroscopy", "--where", "instrument_id=1"
    )
    assert code != 0 and "not a text spectrum with named columns" in err
    assert snapshot(store) == before
