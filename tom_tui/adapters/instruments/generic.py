"""The profile used when no other one claims a frame: the common header conventions.

It reads what MaxIm DL (``IMAGETYP`` = "Light Frame", "Bias Frame", "Dark Frame", "Flat Field";
``XBINNING``/``YBINNING``; ``EGAIN``), ccdproc/IRAF-style headers (``IMAGETYP`` = "object",
"zero", "flat"; ``BIASSEC``/``TRIMSEC``; ``GAIN``/``RDNOISE``) and LCO's BANZAI (``OBSTYPE`` =
"EXPOSE", "BIAS", "SKYFLAT"; ``CCDSUM`` = "2 2"; ``DAY-OBS``; ``SATURATE``) write. It knows no
detector values of its own: they come from each frame's header.
"""

from __future__ import annotations

from tom_tui.adapters.instruments.base import InstrumentProfile


class GenericProfile(InstrumentProfile):
    name = "generic"
    description = "common header conventions (MaxIm DL, ccdproc/IRAF, LCO BANZAI)"
