"""The contract of a catalog adapter (name → target), shaped like TOM Toolkit's harvesters.

A catalog adapter subclasses :class:`Catalog` and registers in the ``tom_tui.catalogs`` entry
point group. It implements :meth:`Catalog.request_for` (the request a lookup sends; a dry run
returns it and touches no network) and :meth:`Catalog.parse` (the answer → target fields for
:func:`tom_tui.domain.target.build_target`, or ``None`` when the catalog does not know the name).
Remote failures raise :class:`~tom_tui.domain.errors.AdapterError`. Each adapter's base URL is a setting
(``[catalogs.<name>] base_url = ...`` in ``tom-tui.toml``), so a mirror or a local test server
can stand in for the service.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from tom_tui.adapters.http import HttpClient, HttpRequest
from tom_tui.domain.errors import AdapterError

if TYPE_CHECKING:
    from astropy.table import Table


class Catalog(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str]
    sidereal: ClassVar[bool] = True  # False for solar-system catalogs (orbital elements)

    def __init__(
        self,
        client: HttpClient | None = None,
        settings: Mapping[str, Any] | None = None,
        store_root: Path | None = None,
    ) -> None:
        self.settings = dict(settings or {})
        self.base_url = str(self.settings.get("base_url") or self.default_base_url).rstrip("/")
        self.client = client or HttpClient()
        self.store_root = store_root

    @abstractmethod
    def request_for(self, term: str) -> HttpRequest:
        """The request that looks ``term`` up."""

    @abstractmethod
    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        """Target fields from the answer, or None when the name is unknown to the catalog."""

    def lookup(self, term: str) -> dict[str, Any] | None:
        request = self.request_for(term)
        return self.parse(term, self.client.send(request))

    def read_votable(self, content: bytes, *, use_names_over_ids: bool = False) -> Table:
        """The first table of a VOTable answer; an answer that is not one raises AdapterError."""
        from astropy.io.votable import parse_single_table

        try:
            return parse_single_table(io.BytesIO(content)).to_table(use_names_over_ids=use_names_over_ids)
        except Exception as error:
            raise AdapterError(f"{self.label}: answer is not a VOTable ({type(error).__name__})") from None


def clean_name(name: str) -> str:
    """Catalog names padded with runs of spaces (SIMBAD's ``M   1``) → single spaces."""
    return " ".join(str(name).split())


def term_aliases(term: str, name: str) -> list[str]:
    """The name that was looked up, as an alias, when the catalog knows the object by another."""
    looked_up = clean_name(term)
    return [looked_up] if looked_up.lower() != name.lower() else []


def sidereal_fields(term: str, name: str, ra: float, dec: float, extra: dict[str, Any]) -> dict[str, Any]:
    """Target fields of an object found in a catalog of fixed positions (degrees)."""
    return {"name": name, "ra": ra, "dec": dec, "aliases": term_aliases(term, name), "extra": extra}
