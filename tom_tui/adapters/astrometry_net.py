"""Blind astrometric solutions from astrometry.net's ``solve-field``, when it is installed.

The frame's detected stars (not its pixels) go to ``solve-field`` as an x/y list in a temporary
folder of their own, so nothing is written beside the frame and ``raw/`` is never touched. The
search is narrowed by the pixel scale (±10 % of the instrument profile's) and, when the header
says where the telescope pointed, by a radius around it. The solution (TAN with SIP terms,
``--tweak-order 2``) is read from the ``.wcs`` file and handed to the astrometry stage, which
refits it against the reference catalog. The process is stopped after ``timeout_s`` seconds.

Which index files are searched is astrometry.net's own configuration (``/etc/astrometry.cfg``
on Debian), or ``config_file``. An index must hold stars of the field's scale: Debian's
``astrometry-data-tycho2`` packages cover fields from about half a degree (07: 22′–30′ quads) to
tens of degrees (10–19); smaller fields need the 4100/5200 series from data.astrometry.net, or an
index built from a catalog with ``build-astrometry-index``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS, FITSFixedWarning

from tom_tui.processing.reduction.astrometry import BlindSolveFailed, FloatArray

SOLVE_FIELD = "solve-field"
SCALE_TOLERANCE = 0.1  # the pixel scale is searched within ±10 % of the profile's
DEFAULT_TIMEOUT_S = 120.0
SEARCH_RADIUS_DEG = 2.0  # around the header's pointing, when it has one
MOST_STARS = 300  # the brightest stars given to the solver: more only slow it down
TWEAK_ORDER = 2


def solve_field_program() -> str | None:
    """The path of ``solve-field`` on PATH, or None when astrometry.net is not installed."""
    return shutil.which(SOLVE_FIELD)


@dataclass(frozen=True)
class AstrometryNetSolver:
    """A :class:`~tom_tui.processing.reduction.astrometry.BlindSolver` running ``solve-field``.

    Plain settings only, so a reduction can send it to worker processes."""

    program: str = SOLVE_FIELD
    pixel_scale_arcsec: float | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    config_file: str | None = None

    def arguments(
        self, xylist: Path, folder: Path, shape: tuple[int, int], pointing: tuple[float, float] | None
    ) -> list[str]:
        """The command line solving ``xylist`` (1-based X, Y and FLUX columns) into ``folder``."""
        height, width = shape
        command = [
            self.program,
            "--no-plots",
            "--overwrite",
            "--dir",
            str(folder),
            "--width",
            str(width),
            "--height",
            str(height),
            "--x-column",
            "X",
            "--y-column",
            "Y",
            "--sort-column",
            "FLUX",
            "--tweak-order",
            str(TWEAK_ORDER),
            "--crpix-center",
            "--cpulimit",
            str(max(1, int(self.timeout_s))),
            "--new-fits",
            "none",
        ]
        if self.pixel_scale_arcsec:
            command += [
                "--scale-units",
                "arcsecperpix",
                "--scale-low",
                f"{self.pixel_scale_arcsec * (1 - SCALE_TOLERANCE):.6g}",
                "--scale-high",
                f"{self.pixel_scale_arcsec * (1 + SCALE_TOLERANCE):.6g}",
            ]
        if pointing is not None:
            command += ["--ra", f"{pointing[0]:.6f}", "--dec", f"{pointing[1]:.6f}"]
            command += ["--radius", f"{SEARCH_RADIUS_DEG:g}"]
        if self.config_file:
            command += ["--config", self.config_file]
        return [*command, str(xylist)]

    def __call__(
        self,
        x: FloatArray,
        y: FloatArray,
        flux: FloatArray,
        shape: tuple[int, int],
        pointing: tuple[float, float] | None,
    ) -> WCS:
        if x.size < 4:
            raise BlindSolveFailed(f"solve-field needs at least 4 stars; {x.size} were detected")
        order = np.argsort(-np.nan_to_num(flux, nan=-np.inf))[:MOST_STARS]
        with tempfile.TemporaryDirectory(prefix="tom-tui-solve-") as scratch:
            folder = Path(scratch)
            xylist = folder / "stars.xyls"
            # astrometry.net counts pixels from 1, as FITS does.
            Table({"X": x[order] + 1.0, "Y": y[order] + 1.0, "FLUX": flux[order]}).write(
                xylist, format="fits"
            )
            self._run(self.arguments(xylist, folder, shape, pointing))
            solution = folder / "stars.wcs"
            if not solution.is_file():
                raise BlindSolveFailed(
                    f"solve-field found no solution for {x.size} stars"
                    f"{' near the header pointing' if pointing else ''} with the installed index files"
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FITSFixedWarning)
                return WCS(fits.getheader(solution))

    def _run(self, command: list[str]) -> None:
        try:
            # Its own session: on a timeout the whole group goes (solve-field starts an engine).
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        except FileNotFoundError:
            raise BlindSolveFailed(
                f"{self.program} is not installed; install astrometry.net (apt-get install astrometry.net)"
            ) from None
        try:
            process.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BlindSolveFailed(f"solve-field gave no solution within {self.timeout_s:g} s") from None


def installed_solver(
    pixel_scale_arcsec: float | None, timeout_s: float = DEFAULT_TIMEOUT_S, config_file: str | None = None
) -> AstrometryNetSolver | None:
    """A solver for frames of this pixel scale when ``solve-field`` is installed, else None."""
    program = solve_field_program()
    if program is None:
        return None
    return AstrometryNetSolver(program, pixel_scale_arcsec, timeout_s, config_file)
