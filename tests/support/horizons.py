"""JPL Horizons' recorded answers about Ceres (tests/data/catalogs, from astroquery's test data):
osculating elements at four dates and Horizons' geocentric observer table at the same instants."""

from __future__ import annotations

from tests.support.paths import DATA

HORIZONS = DATA / "catalogs"


def table_rows(name: str) -> list[list[str]]:
    text = (HORIZONS / name).read_text()
    body = text.split("$$SOE", 1)[1].split("$$EOE", 1)[0]
    return [[cell.strip() for cell in line.split(",")] for line in body.strip().splitlines()]


def elements_at_dates() -> list[dict[str, float | str]]:
    # JDTDB, Calendar Date (TDB), EC, QR, IN, OM, W, Tp, N, MA, TA, A, AD, PR
    return [
        {
            "scheme": "MPC_MINOR_PLANET",
            "epoch_of_elements": float(row[0]) - 2400000.5,
            "eccentricity": float(row[2]),
            "inclination": float(row[4]),
            "lng_asc_node": float(row[5]),
            "arg_of_perihelion": float(row[6]),
            "mean_anomaly": float(row[9]),
            "semimajor_axis": float(row[11]),
        }
        for row in table_rows("ceres_elements_range.txt")
    ]


def horizons_observer_table() -> list[dict[str, float]]:
    # Date, JDUT, , , RA (ICRF), DEC (ICRF), RA (a-app), DEC (a-app), dRA*cosD, d(DEC)/dt, ...
    header = (HORIZONS / "ceres_ephemerides_range.txt").read_text().split("$$SOE")[0].splitlines()
    names = [cell.strip() for cell in next(line for line in header if "Date__(UT)" in line).split(",")]
    rows = []
    for cells in table_rows("ceres_ephemerides_range.txt"):
        row = dict(zip(names, cells, strict=False))
        rows.append(
            {
                "mjd": float(row["Date_________JDUT"]) - 2400000.5,
                "ra": float(row["R.A._(ICRF)"]),
                "dec": float(row["DEC_(ICRF)"]),
                "ra_rate": float(row["dRA*cosD"]),
                "dec_rate": float(row["d(DEC)/dt"]),
                "delta": float(row["delta"]),
                "r": float(row["r"]),
            }
        )
    return rows
