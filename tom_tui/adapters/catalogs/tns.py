"""TNS as a catalog: ``/get/object`` through the TNS broker adapter (same bot credentials)."""

from __future__ import annotations

from typing import Any

import requests

from tom_tui.adapters.brokers.tns import TnsBroker, tns_reply
from tom_tui.adapters.catalogs.base import Catalog
from tom_tui.adapters.http import HttpRequest


class TnsCatalog(Catalog):
    name = "tns"
    label = "TNS"
    default_base_url = TnsBroker.default_base_url

    def _broker(self) -> TnsBroker:
        return TnsBroker(base_url=self.base_url, client=self.client, store_root=self.store_root)

    def request_for(self, term: str) -> HttpRequest:
        objname = term.strip()
        for prefix in ("SN ", "AT ", "SN", "AT"):
            if objname.upper().startswith(prefix) and objname[len(prefix) : len(prefix) + 4].isdigit():
                objname = objname[len(prefix) :].strip()
                break
        return self._broker().object_request(objname)

    def parse(self, term: str, response: requests.Response) -> dict[str, Any] | None:
        reply = tns_reply(response.json())
        if not isinstance(reply, dict) or "objname" not in reply:
            return None
        broker = self._broker()
        return broker.to_target(broker.to_generic_alert(reply))
