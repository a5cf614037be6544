"""`import_frames`: real frames into the archive, once each; bad files refused by name while the
rest go on; profiles chosen by header or by name; frames from `obs update` indexed the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import Run, append_config, json_of
from tests.support.stores import snapshot
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.frames import ImageType
from tom_tui.services.config import config_problems
from tom_tui.services.plugins import UnknownPluginError
from tom_tui.services.reduction.frames import ImportStatus, import_frames, list_frames
from tom_tui.store.store import Store

RAW = Path(__file__).resolve().parents[2] / "data" / "images" / "raw"
NAMES = [
    "ccdproc_a8280271.fits",
    "msumastro_biastest2.fit",
    "msumastro_darktest1.fit",
    "msumastro_maximdl_5_23_light_B.fit",
]


@pytest.fixture
def night_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in NAMES:
        shutil.copyfile(RAW / name, folder / name)
    (folder / "notes.txt").write_text("not a frame, not looked at")
    return folder


def test_a_folder_is_imported_classified_and_a_second_import_stores_nothing(
    store: Store, night_folder: Path
) -> None:
    outcomes = import_frames(store, [night_folder])
    assert [item.status for item in outcomes] == [ImportStatus.STORED] * 4
    by_name = {item.source.name: item.frame for item in outcomes if item.frame}
    saao = by_name["ccdproc_a8280271.fits"]
    assert saao.path == "raw/SAAO_1.0m/20130712/ccdproc_a8280271.fits"
    assert (saao.image_type, saao.exposure_s, saao.size, saao.profile) == (
        ImageType.LIGHT,
        150.04,
        (536, 520),
        "generic",
    )
    assert by_name["msumastro_darktest1.fit"].image_type is ImageType.DARK
    with store.read() as view:
        assert view.read_bytes(saao.path) == (RAW / "ccdproc_a8280271.fits").read_bytes()

    before = snapshot(store)
    again = import_frames(store, [night_folder / name for name in NAMES])
    assert [item.status for item in again] == [ImportStatus.ALREADY_THERE] * 4
    assert [item.frame.id for item in again if item.frame] == [
        item.frame.id for item in outcomes if item.frame
    ]
    assert snapshot(store) == before
    assert [frame.image_type.value for frame in list_frames(store, night="20120205")] == ["bias", "dark"]


def test_a_corrupt_file_is_refused_by_name_and_the_rest_go_on(store: Store, night_folder: Path) -> None:
    data = (RAW / "msumastro_darktest1.fit").read_bytes()
    (night_folder / "cut.fits").write_bytes(data[:5000])
    outcomes = import_frames(store, [night_folder, night_folder / "missing.fits"])
    refused = {item.source.name: item.reason for item in outcomes if item.status is ImportStatus.REFUSED}
    assert set(refused) == {"cut.fits", "missing.fits"}
    assert refused["cut.fits"].startswith(f"{night_folder / 'cut.fits'}: ")
    assert refused["missing.fits"].endswith("missing.fits: no such file")
    assert sum(item.status is ImportStatus.STORED for item in outcomes) == 4

    from astropy.io import fits

    with fits.open(RAW / "msumastro_biastest2.fit") as hdul:
        hdul[0].header["TIMESYS"] = "MARS"  # a time scale that does not exist
        hdul.writeto(night_folder / "odd_time.fit")
    odd = import_frames(store, [night_folder / "odd_time.fit"])[0]
    assert odd.status is ImportStatus.REFUSED and "TIMESYS 'MARS' is not a time scale" in odd.reason

    before = snapshot(store)
    only_bad = import_frames(store, [night_folder / "cut.fits"])
    assert [item.status for item in only_bad] == [ImportStatus.REFUSED]
    assert snapshot(store) == before


def test_telescope_override_unknown_telescope_and_a_name_taken_by_another_file(
    store: Store, tmp_path: Path
) -> None:
    flat = import_frames(store, [RAW / "msumastro_aspen_trimmed_flat_R.fit"])[0].frame
    assert flat is not None and flat.path.startswith("raw/unknown/20170411/")  # TELESCOP is blank
    light = import_frames(store, [RAW / "msumastro_maximdl_6_18_light_r.fit"], telescope="Feder 0.4m")[
        0
    ].frame
    assert light is not None and light.path == "raw/Feder_0.4m/20180822/msumastro_maximdl_6_18_light_r.fit"
    impostor = tmp_path / "msumastro_maximdl_6_18_light_r.fit"
    shutil.copyfile(RAW / "msumastro_maximdl_5_23_light_B.fit", impostor)  # same name, other night
    assert import_frames(store, [impostor], telescope="Feder 0.4m")[0].status is ImportStatus.STORED
    other = tmp_path / "other" / "msumastro_maximdl_6_18_light_r.fit"
    other.parent.mkdir()
    data = bytearray((RAW / "msumastro_maximdl_6_18_light_r.fit").read_bytes())
    data[-1] ^= 1  # one pixel differs: another file under a name already taken that night
    other.write_bytes(bytes(data))
    outcome = import_frames(store, [other], telescope="Feder 0.4m")[0]
    assert (
        outcome.status is ImportStatus.REFUSED
        and "already stored as raw/Feder_0.4m/20180822/" in outcome.reason
    )


def test_a_profile_from_the_configuration_claims_its_frames(store: Store) -> None:
    append_config(
        store,
        '[instruments.saao-ste3]\ninstruments = ["STE3 CCD"]\nfilter_keywords = ["FILTERS"]\n'
        'filter_names = { "48" = "V" }\nbinning = [1, 1]\n',
    )
    frame = import_frames(store, [RAW / "ccdproc_a8280271.fits"])[0].frame
    assert frame is not None and (frame.profile, frame.band, frame.binning) == ("saao-ste3", "V", (1, 1))
    generic = import_frames(store, [RAW / "msumastro_darktest1.fit"], profile="generic")[0].frame
    assert generic is not None and generic.profile == "generic"
    with pytest.raises(UnknownPluginError, match="no instrument profile named 'nope'"):
        import_frames(store, [RAW / "msumastro_darktest1.fit"], profile="nope")


def test_instrument_tables_are_checked_with_the_rest_of_the_configuration() -> None:
    problems = config_problems(
        {"instruments": {"cam": {"gian": 1.5, "base": "generik", "overscan": "[1:10]"}, "flat": 3}}
    )
    assert "tom-tui.toml: [instruments.cam]: unknown key 'gian'; did you mean 'gain'?" in problems
    assert any(
        "[instruments.cam] base: unknown instrument profile 'generik'; did you mean 'generic'?" in p
        for p in problems
    )
    assert any("overscan = '[1:10]'; expected a FITS section" in p for p in problems)
    assert "tom-tui.toml: [instruments.flat] must be a table" in problems
    assert config_problems({"instruments": {"simulated": {"gain": 1.7}}}) == []
    with pytest.raises(ValidationError):
        from tom_tui.services.plugins import instrument_profile

        instrument_profile("cam", {"instruments": {"cam": {"gain": "high"}}})


@pytest.mark.usefixtures("targets")
def test_frames_fetched_by_obs_update_are_in_the_archive(
    run: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    run("obs", "request", "ZTF26aaaaaaa", "--filters", "r", "--exposure-time", "30", "--exposure-count", "2")
    run("obs", "update")
    end = dt.datetime.fromisoformat(json_of(run("obs", "show", "1", "--json"))["scheduled_end"])
    monkeypatch.setenv("TOM_TUI_NOW", (end + dt.timedelta(minutes=1)).isoformat())
    assert json_of(run("obs", "update", "--json"))["downloaded"] == 3 + 3 + 2
    frames = list_frames(store)
    assert sorted(frame.image_type.value for frame in frames) == ["bias"] * 3 + ["flat"] * 3 + ["light"] * 2
    assert {(frame.profile, frame.observation_id, frame.telescope) for frame in frames} == {
        ("simulated", 1, "SIM-1m0")
    }
    lights = [frame for frame in frames if frame.image_type is ImageType.LIGHT]
    assert {(frame.band, frame.exposure_s, frame.object_name) for frame in lights} == {
        ("r", 30.0, "SN 2026abc")
    }
    # The same files imported by hand are recognised, not stored twice.
    with store.read() as view:
        paths = [view.path(frame.path) for frame in frames]
    assert {item.status for item in import_frames(store, paths)} == {ImportStatus.ALREADY_THERE}
