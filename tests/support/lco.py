"""The recorded LCO portal payloads, and the archive frame list built around real LCO frames."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import LCO

TOKEN = "secret-token-123"


def recorded(name: str) -> Any:
    return json.loads((LCO / name).read_text())


def archive_frames(base_url: str, request_id: int) -> list[dict[str, Any]]:
    """Archive ``/frames/`` results in the archive API's documented shape, built around real LCO
    frame ids and names (BANZAI's e2e frame list); no archive response was ever recorded."""
    real_frames = [
        (11316611, "lsc1m004-fa03-20190402-0010-b00.fits.fz", "zs", "2019-04-03T00:10:11.123Z", "EXPOSE"),
        (11316617, "lsc1m004-fa03-20190402-0011-b00.fits.fz", "zs", "2019-04-03T00:12:40.456Z", "EXPOSE"),
        (11323171, "lsc1m004-fa03-20190402-0298-b00.fits.fz", "Y", "2019-04-03T09:58:02.001Z", "EXPOSE"),
    ]
    return [
        {
            "id": frame_id,
            "basename": filename.split(".")[0],
            "filename": filename,
            "url": f"{base_url}/storage/{filename}?X-Amz-Signature=abc",
            "DATE_OBS": date_obs,
            "FILTER": band,
            "OBSTYPE": obstype,
            "SITEID": "lsc",
            "TELID": "1m0a",
            "INSTRUME": "fa03",
            "EXPTIME": 300.0,
            "reduction_level": 0,
            "request_id": request_id,
        }
        for frame_id, filename, band, date_obs, obstype in real_frames
    ]
