"""Every adapter talks HTTP through adapters/http.py, so retries, deadlines, size limits and
redaction hold everywhere: no other module sends a request by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import tom_tui

PACKAGE = Path(tom_tui.__file__).parent
THE_CLIENT = PACKAGE / "adapters" / "http.py"
# Other ways to open a connection; any import of them outside the client is a second client.
OTHER_CLIENTS = {"urllib.request", "http.client", "httpx", "aiohttp", "urllib3", "pycurl"}
SENDING_NAMES = {"get", "post", "put", "patch", "delete", "head", "options", "request", "Session", "session"}


def sending_calls(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{path.name}:{node.lineno} imports {name}" for name in names if name in OTHER_CLIENTS]
            if isinstance(node, ast.ImportFrom) and node.module == "requests":
                sending = [alias.name for alias in node.names if alias.name in SENDING_NAMES]
                found += [f"{path.name}:{node.lineno} imports requests.{name}" for name in sending]
        attribute = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(attribute, ast.Attribute)
            and isinstance(attribute.value, ast.Name)
            and attribute.value.id == "requests"
            and attribute.attr in SENDING_NAMES
        ):
            found.append(f"{path.name}:{node.lineno} calls requests.{attribute.attr}")
    return found


def test_no_module_but_the_shared_client_sends_http() -> None:
    offenders = [
        finding
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_CLIENT
        for finding in sending_calls(path)
    ]
    assert offenders == []


def test_the_check_sees_a_direct_call(tmp_path: Path) -> None:
    sample = tmp_path / "rogue.py"
    sample.write_text("import requests\nrequests.post('https://example.org', json={})\n")
    assert sending_calls(sample) == ["rogue.py:2 calls requests.post"]
