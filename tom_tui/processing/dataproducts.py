"""Data processors: plugins that read an uploaded file of one data type.

A processor turns a file into photometry, a spectrum, or just facts about the file; the data
service stores the result in the same transaction as the data product, so a file that fails to
process leaves nothing behind. Processors are found by data type through the
``tom_tui.processors`` plugin group (name = data type, value = a class with a no-argument
constructor; see :mod:`tom_tui.services.plugins`), exactly as a third-party package would
register its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tom_tui.domain.errors import ValidationError
from tom_tui.processing.photometry import NormalisedPhotometry, ReadOptions, read_photometry
from tom_tui.processing.spectra import Spectrum, SpectrumOptions, read_spectrum


@dataclass
class ProcessOptions:
    photometry: ReadOptions = field(default_factory=ReadOptions)
    spectrum: SpectrumOptions = field(default_factory=SpectrumOptions)


@dataclass
class ProcessedData:
    photometry: NormalisedPhotometry | None = None
    spectrum: Spectrum | None = None
    details: dict[str, Any] = field(default_factory=dict)


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
        spectrum = read_spectrum(path, options.spectrum)
        return ProcessedData(spectrum=spectrum, details={"points": len(spectrum)})


class ImageFileProcessor(DataProcessor):
    """A FITS image: checked to open, with the header cards people search by recorded."""

    CARDS = ("DATE-OBS", "MJD-OBS", "OBJECT", "FILTER", "EXPTIME", "TELESCOP", "INSTRUME", "NAXIS1", "NAXIS2")

    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        from astropy.io import fits

        try:
            with fits.open(path, memmap=False) as hdus:
                image = next((hdu for hdu in hdus if hdu.is_image and hdu.header.get("NAXIS", 0) >= 2), None)
                if image is None:
                    raise ValidationError(
                        f"{path.name}: no image in this FITS file (no HDU with 2 or more axes); "
                        "upload tables as photometry or other"
                    )
                header = image.header
                found = {card: header[card] for card in self.CARDS if card in header}
        except (OSError, ValueError) as error:
            raise ValidationError(f"{path.name}: not a readable FITS image ({error})") from error
        return ProcessedData(details={"header": {key: _plain(value) for key, value in found.items()}})


class OtherProcessor(DataProcessor):
    def process(self, path: Path, options: ProcessOptions) -> ProcessedData:
        return ProcessedData()


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) else str(value)
