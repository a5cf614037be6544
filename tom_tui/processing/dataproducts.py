"""Data processors: plugins that read an uploaded file of one data type.

A processor turns a file into photometry, a spectrum, or just facts about the file; the data
service stores the result in the same transaction as the data product, so a file that fails to
process leaves nothing behind. Processors are found by data type through the
``tom_tui.processors`` plugin group (name = data type, value = a class with a no-argument
constructor; see :mod:`tom_tui.services.plugins`), exactly as a third-party package would
register its own.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry import NormalisedPhotometry, ReadOptions, read_photometry
from tom_tui.processing.spectra import Spectrum, SpectrumOptions, read_spectra


@dataclass
class ProcessOptions:
    photometry: ReadOptions = field(default_factory=ReadOptions)
    spectrum: SpectrumOptions = field(default_factory=SpectrumOptions)


@dataclass
class ProcessedData:
    """What a processor found. A file may hold several spectra (``spectra``); ``spectrum`` is the
    first of them, so a processor that reads one spectrum may set either."""

    photometry: NormalisedPhotometry | None = None
    spectrum: Spectrum | None = None
    details: dict[str, Any] = field(default_factory=dict)
    spectra: list[Spectrum] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.spectrum is not None and not self.spectra:
            self.spectra = [self.spectrum]
        if self.spectrum is None and self.spectra:
            self.spectrum = self.spectra[0]


class DataProcessor(ABC):
    """Reads one kind of file.

    ``process`` returns what it found, or raises :class:`~tom_tui.domain.errors.ValidationError` naming
    the file, line and field of the first problem; it must not write anything anywhere.
    """

    @abstractmethod
    def process(self, path: Path, options: ProcessOptions) -> ProcessedData: ...


class PhotometryProcessor(DataProcessor):
    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        result = read_photometry(path, options.photometry)
        return ProcessedData(
            photometry=result,
            details={"format": result.format.value, "points": result.table.num_rows},
        )


class SpectroscopyProcessor(DataProcessor):
    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        spectra = read_spectra(path, options.spectrum)
        details: dict[str, Any] = {"points": sum(len(spectrum) for spectrum in spectra)}
        if len(spectra) > 1:
            details["spectra"] = len(spectra)
        return ProcessedData(spectra=spectra, details=details)


class ImageFileProcessor(DataProcessor):
    """A FITS image: checked to open, with the header cards people search by recorded."""

    CARDS = ("DATE-OBS", "MJD-OBS", "OBJECT", "FILTER", "EXPTIME", "TELESCOP", "INSTRUME", "NAXIS1", "NAXIS2")

    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        header = _first_image_header(path)
        found = {card: header[card] for card in self.CARDS if card in header}
        return ProcessedData(details={"header": {key: _plain(value) for key, value in found.items()}})


FITS_BLOCK = 2880  # bytes; headers and data are padded to whole blocks
MAX_HDUS = 1000  # more extensions than any real image file holds: a crafted file


def _data_bytes(header: Any) -> int:
    """The data size an HDU's header declares (FITS standard 4.4.1), without its padding."""
    axes = [int(header.get(f"NAXIS{axis}", 0)) for axis in range(1, int(header.get("NAXIS", 0)) + 1)]
    if any(length < 0 for length in axes):
        raise ValueError(f"negative axis length in NAXISn = {axes}")
    if not axes:
        return 0
    groups = "GROUPS" in header and header.get("GROUPS") is True and axes[0] == 0
    elements = math.prod(axes[1:] if groups else axes)
    bytes_per_element = abs(int(header["BITPIX"])) // 8
    return bytes_per_element * int(header.get("GCOUNT", 1)) * (int(header.get("PCOUNT", 0)) + elements)


def _is_image(header: Any) -> bool:
    """A primary array, an IMAGE extension or a tile-compressed image, with two or more axes."""
    if header.get("ZIMAGE") is True:
        return int(header.get("ZNAXIS", 0)) >= 2
    kind = str(header.get("XTENSION", "IMAGE" if header.get("SIMPLE") else "")).strip()
    return kind == "IMAGE" and int(header.get("NAXIS", 0)) >= 2


def _first_image_header(path: Path) -> Any:
    """The header of the first HDU with two or more axes, reading headers only.

    Each header's declared data size is checked against the file: a header claiming more data
    than the file holds is refused at once instead of being read (or allocated)."""
    from astropy.io import fits

    file_size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            for number in range(MAX_HDUS):
                if handle.tell() >= file_size:
                    break
                header = fits.Header.fromfile(handle)
                data_start = handle.tell()
                size = _data_bytes(header)
                if data_start + size > file_size:
                    raise ValidationError(
                        f"{path.name}: HDU {number} declares {size:,} bytes of data "
                        f"(NAXIS = {header.get('NAXIS')}, BITPIX = {header.get('BITPIX')}) but the file "
                        f"holds only {file_size - data_start:,} after its header; not a complete FITS image"
                    )
                if _is_image(header):
                    return header
                handle.seek(data_start + -(-size // FITS_BLOCK) * FITS_BLOCK)
    except (OSError, ValueError, KeyError) as error:
        raise ValidationError(f"{path.name}: not a readable FITS image ({error})") from error
    raise ValidationError(
        f"{path.name}: no image in this FITS file (no HDU with 2 or more axes); "
        "upload tables as photometry or other"
    )


class OtherProcessor(DataProcessor):
    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        return ProcessedData()


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) else str(value)
