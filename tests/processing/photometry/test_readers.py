"""Photometry readers on real files, and the errors bad files give."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from tests.support.paths import PHOTOMETRY
from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry import PhotometryFormat, ReadOptions, read_photometry
from tom_tui.processing.photometry.timeformat import TimeFormat


def test_tom_toolkit_csv_keeps_limits_and_sources() -> None:
    result = read_photometry(PHOTOMETRY / "tom_base_photometry_sample.csv")
    rows = result.table.to_pylist()
    assert [row["filter"] for row in rows] == ["r", "V", "B", "B"]
    assert rows[0]["mag"] == 15.582 and rows[0]["magerr"] == 0.005 and rows[0]["source"] == "ZTF"
    # The DLT40 row is an upper limit at 18.0, not a detection.
    assert rows[3]["mag"] is None and rows[3]["limit"] == 18.0 and rows[3]["source"] == "DLT40"
    # AB magnitude to µJy: 15.582 mag -> 10**(-0.4*(15.582-23.9)) µJy.
    assert rows[0]["flux"] == pytest.approx(10 ** (-0.4 * (15.582 - 23.9)))
    assert result.line_numbers.tolist() == [2, 3, 4, 5]


def test_atlas_forced_photometry_uses_snr_and_5_sigma_limits() -> None:
    result = read_photometry(PHOTOMETRY / "tom_base_test_atlas_fp.csv")
    assert result.format is PhotometryFormat.ATLAS
    table = result.table.to_pylist()
    assert len(table) == 32
    first, second = table[0], table[1]
    # 417 ± 37 µJy is an 11σ detection; its magnitude agrees with ATLAS's own m = 17.349.
    assert first["mag"] == pytest.approx(17.349, abs=0.002)
    assert first["telescope"] == "ATLAS" and first["instrument"] == "04a" and first["filter"] == "atlaso"
    # A negative flux is no detection: an upper limit at ATLAS's mag5sig, the flux itself kept.
    assert second["mag"] is None and second["limit"] == 19.39 and second["flux"] == -310.0
    assert all(row["mag"] is None or row["flux"] / row["fluxerr"] >= 3 for row in table)


def test_skyportal_flux_file_converts_to_magnitudes_and_limits() -> None:
    result = read_photometry(PHOTOMETRY / "skyportal_ZTF21aaqjmps_phot.csv")
    rows = result.table.to_pylist()
    assert len(rows) == 174
    limit_row = rows[0]  # empty flux, fluxerr 8.2869 at zp 23.9
    assert limit_row["mag"] is None
    assert limit_row["limit"] == pytest.approx(23.9 - 2.5 * math.log10(5 * 8.28686134956073))
    detection = rows[1]
    assert detection["mag"] == pytest.approx(23.9 - 2.5 * math.log10(58.0978831606501))
    assert detection["magerr"] == pytest.approx(2.5 / math.log(10) * 6.89601100509816 / 58.0978831606501)


def test_oac_rows_without_measurement_are_reported_not_stored() -> None:
    result = read_photometry(PHOTOMETRY / "astroquery_oac_GW170817_photometry.csv")
    assert result.table.num_rows + len(result.skipped_lines) == 866 - 1
    lines = (PHOTOMETRY / "astroquery_oac_GW170817_photometry.csv").read_text().splitlines()
    # Skipped lines are the radio/X-ray rows: no magnitude, no error, no band.
    skipped = [next(csv.reader([lines[number - 1]])) for number in result.skipped_lines]
    assert skipped and all(row[2] == "" and row[4] == "" for row in skipped)
    assert result.table.column("filter").null_count == 0


def test_ecsv_with_iso_dates_and_a_column_mapping() -> None:
    options = ReadOptions(columns={"mag": "mag_inst", "magerr": "mag_error"})
    result = read_photometry(PHOTOMETRY / "stellarphot_sample_small_photometry.ecsv", options)
    assert result.format is PhotometryFormat.ECSV
    mjd = result.table.column("mjd").to_numpy()
    # 2024-04-21T02:51:24.710 is MJD 60421.11903...
    assert mjd[0] == pytest.approx(60421.0 + (2 * 3600 + 51 * 60 + 24.71) / 86400, abs=1e-8)
    assert set(result.table.column("filter").to_pylist()) <= {"B", "V", "R", "I", "rp", "gp", "ip"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_jd_in_an_mjd_column_is_rejected_with_line_and_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "mjd,filter,mag,magerr\n59000.5,g,18.1,0.1\n2459000.5,g,18.0,0.1\n")
    with pytest.raises(ValidationError) as error:
        read_photometry(path)
    message = str(error.value)
    assert "bad.csv: line 3: mjd: 2459000.5 is not an MJD" in message
    assert "--time-format jd" in message


def test_jd_column_converts_and_explicit_format_wins(tmp_path: Path) -> None:
    path = _write(tmp_path, "jd.csv", "jd,filter,mag\n2459000.5,g,18.1\n")
    assert read_photometry(path).table.column("mjd").to_pylist() == [59000.0]
    other = _write(tmp_path, "obs.csv", "obs_time,filter,mag\n2459000.5,g,18.1\n")
    with pytest.raises(ValidationError, match="format of time column 'obs_time' is unknown"):
        read_photometry(other, ReadOptions(columns={"time": "obs_time"}))
    converted = read_photometry(other, ReadOptions(columns={"time": "obs_time"}, time_format=TimeFormat.JD))
    assert converted.table.column("mjd").to_pylist() == [59000.0]


def test_iso_dates_and_bad_iso_dates(tmp_path: Path) -> None:
    good = _write(tmp_path, "iso.csv", "date-obs,filter,mag\n2020-09-09T23:10:24Z,r,17\n2020-09-10,r,17.2\n")
    mjd = read_photometry(good).table.column("mjd").to_numpy()
    assert mjd.tolist() == pytest.approx([59101.965555555556, 59102.0])
    bad = _write(tmp_path, "badiso.csv", "date-obs,filter,mag\n2020-09-09,r,17\n2020-13-40,r,17.2\n")
    with pytest.raises(
        ValidationError, match=r"badiso.csv: line 3: date-obs: '2020-13-40' is not an ISO date"
    ):
        read_photometry(bad)


def test_bad_number_names_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", "time,filter,magnitude,error\n59000,g,18.1,0.1\n59001,g,eighteen,0.1\n")
    with pytest.raises(ValidationError, match=r"x.csv: line 3: magnitude: 'eighteen' is not a number"):
        read_photometry(path)


def test_magnitude_out_of_range_and_missing_filter(tmp_path: Path) -> None:
    # 99 is the "no value" sentinel (read as such); 60 is out of range.
    path = _write(tmp_path, "m.csv", "time,filter,magnitude\n59000,g,18.1\n59001,g,60\n")
    with pytest.raises(ValidationError, match=r"m.csv: line 3: magnitude: 60.0 is not a magnitude"):
        read_photometry(path)
    nofilter = _write(tmp_path, "nf.csv", "mjd,mag\n59000,18\n")
    with pytest.raises(ValidationError, match="no filter column"):
        read_photometry(nofilter)
    assert read_photometry(nofilter, ReadOptions(filter="r")).table.column("filter").to_pylist() == ["r"]


def test_line_numbers_survive_blank_lines_and_comments(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "# exported\n\nmjd,filter,mag\n59000,g,18\n\n59001,g,x\n")
    with pytest.raises(ValidationError, match=r"c.csv: line 6: magnitude: 'x' is not a number"):
        read_photometry(path)


def test_ragged_row_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.csv", "mjd,filter,mag\n59000,g,18\n59001,g,18,4\n")
    with pytest.raises(ValidationError, match=r"r.csv: line 3: expected 3 fields like the header, found 4"):
        read_photometry(path)


def test_mapped_column_that_does_not_exist(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.csv", "mjd,filter,m_ap\n59000,g,18\n")
    with pytest.raises(ValidationError, match="column 'mag_auto' given for mag is not in the file"):
        read_photometry(path, ReadOptions(columns={"mag": "mag_auto"}))
    table = read_photometry(path, ReadOptions(columns={"mag": "m_ap"})).table
    assert table.column("mag").to_pylist() == [18.0]


def test_extra_columns_are_kept_as_json() -> None:
    table = read_photometry(PHOTOMETRY / "skyportal_ZTFrlh6cyjh_ATLAS.csv").table
    import orjson

    extra = orjson.loads(table.column("extra")[0].as_py())
    assert extra == {"index": 0, "ra": 342.4596, "dec": 51.2634}


def test_flux_units_and_zero_points(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "mjd,filter,flux,fluxerr\n59000,g,1.0,0.01\n")
    mjy = read_photometry(path, ReadOptions(flux_unit="mJy")).table.to_pylist()[0]
    assert mjy["flux"] == pytest.approx(1000.0) and mjy["mag"] == pytest.approx(23.9 - 7.5)
    zp = read_photometry(path, ReadOptions(zero_point=25.0)).table.to_pylist()[0]
    assert zp["mag"] == pytest.approx(25.0)
    with pytest.raises(ValidationError, match="flux unit 'furlong' is not understood"):
        read_photometry(path, ReadOptions(flux_unit="furlong"))
    assert np.isfinite(zp["flux"])


ZTF_FPS_COLUMNS = (
    "index, field, ccdid, qid, filter, pid, infobitssci, sciinpseeing, scibckgnd, scisigpix, zpmaginpsci, "
    "zpmaginpsciunc, zpmaginpscirms, clrcoeff, clrcoeffunc, ncalmatches, exptime, adpctdif1, adpctdif2, "
    "diffmaglim, zpdiff, programid, jd, rfid, forcediffimflux, forcediffimfluxunc, forcediffimsnr, "
    "forcediffimchisq, forcediffimfluxap, forcediffimfluxuncap, forcediffimsnrap, aperturecorr, "
    "dnearestrefsrc, nearestrefmag, nearestrefmagunc, nearestrefchi, nearestrefsharp, refjdstart, refjdend, "
    "procstatus"
)
# The layout of IRSA's ztf_forced_photometry.pdf; no recorded file is available to the tests.
ZTF_FPS_HEADER = (
    "# ZTF forced-photometry service output\n# Requested input R.A. = 35.200000 degrees\n"
    "# Requested input Dec. = 12.400000 degrees\n#\n# " + ZTF_FPS_COLUMNS + "\n"
)
ZTF_FPS_COMMON = (
    "1 600 1 1 {band} 1 0 2.1 100.0 10.0 {zp} 0.02 0.03 0.1 0.01 100 30.0 0.1 0.1 {limit} {zp} 1 {jd} 1 "
)
ZTF_FPS_ROWS = [
    ZTF_FPS_COMMON.format(band="ZTF_g", zp="26.20", limit="20.5", jd="2460950.7500")
    + "1500.0 50.0 30.0 1.1 1490.0 55.0 27.0 1.0 5.0 18.0 0.1 1.0 0.1 2458000 2458100 0",
    ZTF_FPS_COMMON.format(band="ZTF_r", zp="26.30", limit="20.7", jd="2460950.7600")
    + "25.0 40.0 0.6 1.1 24.0 45.0 0.5 1.0 5.0 18.0 0.1 1.0 0.1 2458000 2458100 0",
    ZTF_FPS_COMMON.format(band="ZTF_i", zp="25.90", limit="19.9", jd="2460951.7600")
    + "null null null null null null null 1.0 5.0 18.0 0.1 1.0 0.1 2458000 2458100 56",
]


def test_ztf_forced_photometry_service_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "forcedphotometry_req00012345_lc.txt", ZTF_FPS_HEADER + "\n".join(ZTF_FPS_ROWS) + "\n"
    )
    result = read_photometry(path)
    assert result.format is PhotometryFormat.ZTF_FPS
    rows = result.table.to_pylist()
    assert [row["filter"] for row in rows] == ["ztfg", "ztfr", "ztfi"]
    assert rows[0]["mjd"] == pytest.approx(2460950.75 - 2400000.5)
    # 1500 DN at zero point 26.2 is 26.2 - 2.5 log10(1500) mag, and that many µJy at 23.9.
    assert rows[0]["mag"] == pytest.approx(26.2 - 2.5 * math.log10(1500.0))
    assert rows[0]["flux"] == pytest.approx(1500.0 * 10 ** (-0.4 * (26.2 - 23.9)))
    # 25 ± 40 DN is no detection: the service's diffmaglim is the limit.
    assert rows[1]["mag"] is None and rows[1]["limit"] == 20.7
    assert rows[2]["flux"] is None and rows[2]["limit"] == 19.9
    assert result.line_numbers.tolist() == [6, 7, 8]  # four comment lines, then the header line


IRSA_HEADER = (
    "oid,expid,hjd,mjd,mag,magerr,catflags,filtercode,ra,dec,chi,sharp,filefracday,field,ccdid,qid,limitmag,"
    "magzp,magzprms,clrcoeff,clrcounc,exptime,airmass,programid"
)


def test_irsa_ztf_light_curve_csv(tmp_path: Path) -> None:
    """IRSA's nph_light_curves CSV (its documented columns): mjd wins over hjd, flags are kept."""
    rows = [
        "675103300002930,44835315,2458202.8577286243,58202.353159699996,18.6746521,0.0466535166,0,zg,"
        "209.9900551,51.3112,1.1,0.02,20180329353160,675,10,3,20.71,26.28,0.03,-0.05,0.001,30,1.21,1",
        "675103300002930,44835316,2458203.8577286243,58203.353159699996,18.7011,0.048,32768,zg,"
        "209.9900551,51.3112,1.4,0.03,20180330353160,675,10,3,20.45,26.27,0.03,-0.05,0.001,30,1.30,1",
    ]
    path = _write(tmp_path, "irsa.csv", IRSA_HEADER + "\n" + "\n".join(rows) + "\n")
    table = read_photometry(path).table.to_pylist()
    assert [row["mjd"] for row in table] == [58202.353159699996, 58203.353159699996]
    assert table[0]["mag"] == 18.6746521 and table[0]["filter"] == "zg" and table[0]["limit"] is None
    import orjson

    assert orjson.loads(table[1]["extra"])["catflags"] == 32768


def test_ecsv_flux_units_are_converted_to_microjansky(tmp_path: Path) -> None:
    from astropy.table import Table

    table = Table(
        {"mjd": [60000.1, 60001.1], "band": ["g", "g"], "flux": [0.5, 0.001], "flux_err": [0.01, 0.002]}
    )
    table["flux"].unit = "mJy"
    table["flux_err"].unit = "mJy"
    path = tmp_path / "fluxes.ecsv"
    table.write(path, format="ascii.ecsv")
    rows = read_photometry(path).table.to_pylist()
    assert rows[0]["flux"] == pytest.approx(500.0) and rows[0]["mag"] == pytest.approx(
        23.9 - 2.5 * math.log10(500)
    )
    assert rows[1]["mag"] is None and rows[1]["limit"] == pytest.approx(23.9 - 2.5 * math.log10(5 * 2.0))


@pytest.mark.filterwarnings("ignore:.*FITS:astropy.utils.exceptions.AstropyUserWarning")
@pytest.mark.filterwarnings("ignore:The unit 'electron'")
def test_fits_table_one_star_instrumental_magnitudes(tmp_path: Path) -> None:
    """A FITS binary table (here stellarphot's real photometry re-saved as FITS), one star picked."""
    from astropy.table import Table

    original = Table.read(PHOTOMETRY / "stellarphot_sample_small_photometry.ecsv", format="ascii.ecsv")
    path = tmp_path / "photometry.fits"
    original.write(path, format="fits")
    star = int(original["star_id"][0])
    options = ReadOptions(
        columns={"mag": "mag_inst", "magerr": "mag_error"},
        magsys="instrumental",
        where={"star_id": str(star)},
    )
    result = read_photometry(path, options)
    assert result.format is PhotometryFormat.FITS
    assert result.table.num_rows == int((original["star_id"] == star).sum())
    rows = result.table.to_pylist()
    # Instrumental magnitudes are kept as they are and never turned into (meaningless) fluxes.
    assert all(row["magsys"] == "instrumental" and row["flux"] is None for row in rows)
    assert rows[0]["mag"] == pytest.approx(float(original["mag_inst"][original["star_id"] == star][0]))
    with pytest.raises(ValidationError, match="no row has star_id=123456"):
        read_photometry(path, ReadOptions(columns={"mag": "mag_inst"}, where={"star_id": "123456"}))


def test_space_separated_table_with_a_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "lc.txt", "mjd mag magerr filter\n60000.1 18.2 0.1 g\n60001.1 18.4 x g\n")
    with pytest.raises(ValidationError, match=r"lc.txt: line 3: magnitude error: 'x' is not a number"):
        read_photometry(path)
    path.write_text("mjd mag magerr filter\n60000.1 18.2 0.1 g\n")
    assert read_photometry(path).table.column("mag").to_pylist() == [18.2]


def test_binary_and_badly_encoded_files(tmp_path: Path) -> None:
    binary = tmp_path / "frame.fz"
    binary.write_bytes(b"\x00\x01\x02 not a table" * 10)
    with pytest.raises(ValidationError, match=r"frame.fz: not a text file"):
        read_photometry(binary)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        b"mjd,filter,mag,source\n60000.1,g,18.2,ok\n60000.2,g,18.3,Observatorio de Calar Alto \xe9\n"
    )
    with pytest.raises(ValidationError, match=r"latin.csv: line 3: not UTF-8 text"):
        read_photometry(latin)
    # Past the first 64 KiB, pyarrow finds the bad bytes and the line is looked up afterwards.
    good_rows = "".join(f"{60000 + k / 1000:.3f},g,18.2,ok\n" for k in range(4000)).encode()
    latin.write_bytes(b"mjd,filter,mag,source\n" + good_rows + b"60010.0,g,18.3,Calar Alto \xe9\n")
    with pytest.raises(ValidationError, match=r"latin.csv: line 4002: not UTF-8 text"):
        read_photometry(latin)
