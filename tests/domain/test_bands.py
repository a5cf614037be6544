"""One canonical name per survey band, whatever a route calls it."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tom_tui.domain.bands import canonical_band, canonical_facility
from tom_tui.domain.photometry import measurement_problems, with_canonical_names, with_target_ids


@pytest.mark.parametrize(
    ("name", "telescope", "instrument", "canonical"),
    [
        ("ztfr", None, None, "ztfr"),
        ("r-ZTF", None, None, "ztfr"),  # YSE-PZ
        ("ZTF_r", None, None, "ztfr"),
        ("ztf::r", None, None, "ztfr"),
        ("r", "P48", "ZTF", "ztfr"),  # alerts and brokers (fid 2)
        ("r", None, "ZTF", "ztfr"),
        ("g", "P48", None, "ztfg"),
        ("o", "ATLAS", None, "atlaso"),
        ("c", None, "ATLAS", "atlasc"),
        ("atlaso", None, None, "atlaso"),
        ("r", "Rubin", "LSSTCam", "lsstr"),  # Rubin's band
        ("y", "Rubin", None, "lssty"),
        ("r", None, None, "r"),  # a letter with no survey stays itself
        ("r", "LT", "IO:O", "r"),
        ("B", "P48", None, "B"),
        ("sdssr", None, None, "sdssr"),
    ],
)
def test_every_spelling_of_a_survey_band_has_one_name(
    name: str, telescope: str | None, instrument: str | None, canonical: str
) -> None:
    assert canonical_band(name, telescope, instrument) == canonical


def test_a_table_gets_canonical_bands_row_by_row() -> None:
    table = pa.table(
        {
            "mjd": [60000.0, 60000.1, 60000.2, 60000.3],
            "filter": ["r", "r-ZTF", "o", "V"],
            "telescope": ["P48", None, "ATLAS", "P48"],
            "instrument": ["ZTF", "ZTF", None, None],
        }
    )
    measurements = with_canonical_names(with_target_ids(table, 1))
    assert measurements.column("filter").to_pylist() == ["ztfr", "ztfr", "atlaso", "V"]


def test_one_validation_names_every_bad_value() -> None:
    table = with_target_ids(
        pa.table(
            {
                "mjd": [0.0, 60000.0, 60000.1, 60000.2, 60000.3, 60000.4, 60000.5],
                "filter": ["r"] * 7,
                "mag": [18.0, float("nan"), -50.0, 18.0, None, 18.0, 18.0],
                "magerr": [0.1, 0.1, 0.1, -0.1, None, 0.1, 0.1],
                "limit": [None, None, None, None, 99.0, None, None],
            }
        ),
        1,
    )
    problems = measurement_problems(table)
    assert sorted(problems) == [0, 1, 2, 3, 4]
    assert "MJD 0" in problems[0] and "1900 and 2100" in problems[0]
    assert "mag nan" in problems[1] and "mag -50" in problems[2]
    assert "magerr -0.1" in problems[3] and "limit 99" in problems[4]


@pytest.mark.parametrize(
    ("telescope", "instrument", "canonical"),
    [
        ("ZTF", None, ("P48", "ZTF")),  # YSE-PZ's obs_group
        (None, "ZTF", ("P48", "ZTF")),
        ("P48", "ZTF", ("P48", "ZTF")),
        ("LSST", "LSSTComCam", ("Rubin", "LSSTComCam")),
        ("ATLAS", "04a", ("ATLAS", "04a")),
        ("LT", "IO:O", ("LT", "IO:O")),
        ("Keck", "ZTF", ("Keck", "ZTF")),  # another telescope's row is left as it is
    ],
)
def test_a_survey_facility_has_one_name(
    telescope: str | None, instrument: str | None, canonical: tuple[str, str]
) -> None:
    assert canonical_facility(telescope, instrument) == canonical
