"""TNS bulk reports from domain records, against values known by hand (MJD 60000.0 is
2023-02-25 00:00 UTC; TNS unit id 1 is AB mag, 3 Vega mag; object type 3 is SN Ia)."""

from __future__ import annotations

import pytest

from tom_tui.adapters.sharing.tns import (
    ClassifiedSpectrum,
    ReportSettings,
    TnsBot,
    TnsReply,
    at_report,
    classification_report,
    missing_ids,
    object_type_id,
    tns_name_of,
    tns_time,
)
from tom_tui.domain.errors import ValidationError
from tom_tui.domain.target import Target

SETTINGS = ReportSettings(
    reporter="A. Observer (Example University)",
    group_id="66",
    data_source_id="48",
    filter_ids={"ztfg": "110", "ztfr": "111"},
    instrument_ids={"ZTF": "196"},
)
TARGET = Target(name="ZTF23abcdefg", ra=150.123456, dec=-2.345678)
# Two limits before discovery (the later one is the "last non-detection"), two detections, a limit after.
ROWS = [
    {"mjd": 59990.25, "filter": "ztfr", "mag": None, "limit": 20.1, "magsys": "AB", "instrument": "ZTF"},
    {"mjd": 59998.5, "filter": "ztfg", "mag": None, "limit": 20.7, "magsys": "AB", "instrument": "ZTF"},
    {"mjd": 60001.0, "filter": "ztfr", "mag": 18.25, "magerr": 0.04, "limit": 20.6, "instrument": "ZTF"},
    {"mjd": 60000.0, "filter": "ztfg", "mag": 18.512, "magerr": 0.031, "magsys": "AB", "instrument": "ZTF"},
    {"mjd": 60004.0, "filter": "ztfg", "mag": None, "limit": 19.0, "magsys": "AB", "instrument": "ZTF"},
]


def test_times_are_written_as_tns_writes_them() -> None:
    assert tns_time(60000.0) == "2023-02-25 00:00:00.000"
    assert tns_time(60000.5) == "2023-02-25 12:00:00.000"


def test_an_at_report_discovers_at_the_first_detection_after_the_last_limit() -> None:
    (report,) = at_report(TARGET, ROWS, SETTINGS, position_error_arcsec=0.3)["at_report"].values()
    assert report["ra"] == {"value": 150.123456, "error": 0.3, "units": "arcsec"}
    assert report["dec"] == {"value": -2.345678, "error": 0.3, "units": "arcsec"}
    assert (report["reporting_group_id"], report["discovery_data_source_id"]) == ("66", "48")
    assert report["discovery_datetime"] == "2023-02-25 00:00:00.000"
    assert report["internal_name"] == "ZTF23abcdefg" and report["at_type"] == "1"
    assert report["non_detection"] == {
        "obsdate": "2023-02-23 12:00:00.000",
        "limiting_flux": 20.7,
        "flux_units": "1",
        "filter_value": "110",
        "instrument_value": "196",
        "exptime": "",
        "observer": "A. Observer (Example University)",
        "comments": "",
    }
    group = report["photometry"]["photometry_group"]
    assert [(g["obsdate"], g["flux"], g["flux_error"], g["filter_value"]) for g in group.values()] == [
        ("2023-02-25 00:00:00.000", 18.512, 0.031, "110"),
        ("2023-02-26 00:00:00.000", 18.25, 0.04, "111"),
    ]
    assert group["1"]["limiting_flux"] == 20.6 and group["1"]["flux_units"] == "1"


def test_without_an_earlier_limit_the_non_detection_says_so() -> None:
    detections = [row for row in ROWS if row["mag"] is not None]
    (report,) = at_report(TARGET, detections, SETTINGS)["at_report"].values()
    assert (
        report["non_detection"]["archiveid"] == "0"
        and "no non-detection" in report["non_detection"]["archival_remarks"]
    )
    assert report["ra"]["error"] == ""


def test_vega_magnitudes_carry_their_unit_id_and_other_systems_are_left_out() -> None:
    rows = [
        {"mjd": 60000.0, "filter": "ztfg", "mag": 15.0, "magsys": "Vega", "instrument": "ZTF"},
        {"mjd": 59999.0, "filter": "ztfg", "mag": 14.0, "magsys": "ST", "instrument": "ZTF"},
    ]
    (report,) = at_report(TARGET, rows, SETTINGS)["at_report"].values()
    (only,) = report["photometry"]["photometry_group"].values()
    assert (only["flux"], only["flux_units"]) == (15.0, "3")


def test_reports_that_cannot_be_made_say_why() -> None:
    with pytest.raises(ValidationError, match="no detection with an AB or Vega magnitude"):
        at_report(TARGET, [ROWS[0]], SETTINGS)
    with pytest.raises(ValidationError, match="no ra/dec"):
        at_report(Target(name="nowhere"), ROWS, SETTINGS)
    odd = [{**ROWS[3], "filter": "B", "instrument": "Sinistro"}]
    assert missing_ids(odd, SETTINGS) == [
        "band 'B' has no TNS filter id: add it to filter_ids",
        "instrument 'Sinistro' has no TNS instrument id: add it to instrument_ids",
    ]


def test_a_classification_report_names_the_tns_object_type_and_spectrum() -> None:
    spectrum = ClassifiedSpectrum(60010.0, "ZTF", "P48")
    (report,) = classification_report("2023abc", object_type_id("sn ia"), SETTINGS, 0.031, [spectrum])[
        "classification_report"
    ].values()
    assert (report["name"], report["objtypeid"], report["redshift"], report["groupid"]) == (
        "2023abc",
        "3",
        0.031,
        "66",
    )
    (entry,) = report["spectra"]["spectra-group"].values()
    assert (entry["obsdate"], entry["instrumentid"], entry["spectypeid"]) == (
        "2023-03-07 00:00:00.000",
        "196",
        "1",
    )


def test_object_types_and_tns_names() -> None:
    assert object_type_id("SN II") == "10" and object_type_id("TDE") == "120" and object_type_id("3") == "3"
    with pytest.raises(ValidationError, match=r"--type 'SN Iz': not a TNS object type \(did you mean SN I,"):
        object_type_id("SN Iz")
    assert tns_name_of(["ZTF23abcdefg", "AT 2023abc"]) == "2023abc"
    assert tns_name_of(["SN2023xyz"]) == "2023xyz" and tns_name_of(["ZTF23abcdefg"]) is None


def test_the_bot_marker_and_reply_feedback() -> None:
    assert (
        TnsBot("12345", "my_bot").marker() == 'tns_marker{"tns_id": 12345, "type": "bot", "name": "my_bot"}'
    )
    answer = {
        "id_code": 200,
        "data": {
            "feedback": {
                "at_report": [{"100": {"message": "Transient object was inserted.", "objname": "2023abc"}}]
            }
        },
    }
    reply = TnsReply(True, answer)
    assert reply.object_names == ["2023abc"] and reply.messages == ["Transient object was inserted."]
