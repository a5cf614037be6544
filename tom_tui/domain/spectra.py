"""A 1-D spectrum as tom-tui keeps it: arrays plus their units (astropy unit strings), never rescaled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

SPECTRUM_SCHEMA = pa.schema(
    [
        pa.field("wavelength", pa.float64(), nullable=False),
        pa.field("flux", pa.float64(), nullable=False),
        pa.field("flux_error", pa.float64()),
    ]
)


@dataclass
class Spectrum:
    wavelength: np.ndarray
    flux: np.ndarray
    flux_error: np.ndarray | None = None
    wavelength_unit: str = "Angstrom"  # astropy unit string
    flux_unit: str | None = None  # astropy unit string; None when the file does not say
    mjd: float | None = None
    date_obs: str | None = None
    telescope: str | None = None
    instrument: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.wavelength)

    def to_arrow(self) -> pa.Table:
        error = (
            pa.nulls(len(self), pa.float64())
            if self.flux_error is None
            else pa.array(self.flux_error, mask=~np.isfinite(self.flux_error), type=pa.float64())
        )
        table = pa.table(
            {"wavelength": pa.array(self.wavelength), "flux": pa.array(self.flux), "flux_error": error},
            schema=SPECTRUM_SCHEMA,
        )
        units = {"wavelength_unit": self.wavelength_unit, "flux_unit": self.flux_unit or ""}
        return table.replace_schema_metadata({key: value.encode() for key, value in units.items()})

    @classmethod
    def from_arrow(cls, table: pa.Table, **fields: Any) -> Spectrum:
        metadata = {key.decode(): value.decode() for key, value in (table.schema.metadata or {}).items()}
        error_column = table.column("flux_error")
        error = None if error_column.null_count == len(table) else error_column.to_numpy(zero_copy_only=False)
        return cls(
            wavelength=np.asarray(table.column("wavelength").to_numpy(), dtype=np.float64),
            flux=np.asarray(table.column("flux").to_numpy(), dtype=np.float64),
            flux_error=None if error is None else np.asarray(error, dtype=np.float64),
            wavelength_unit=metadata.get("wavelength_unit") or "Angstrom",
            flux_unit=metadata.get("flux_unit") or None,
            **fields,
        )

    def quantities(self) -> tuple[Any, Any]:
        """Wavelength and flux as astropy Quantities (flux dimensionless when its unit is unknown)."""
        import astropy.units as u

        return (
            self.wavelength * u.Unit(self.wavelength_unit),
            self.flux * (u.Unit(self.flux_unit) if self.flux_unit else u.dimensionless_unscaled),
        )
