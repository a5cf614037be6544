"""A fresh store with a few targets, a pinned clock and a CLI runner for observation tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tom_tui.cli.main import cli
from tom_tui.store.store import Store

START = "2026-11-22T12:00:00+00:00"

Run = Callable[..., Result]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TOM_TUI_NOW", START)
    for variable in ("TOM_TUI_LCO_TOKEN", "LCO_API_TOKEN", "TOM_TUI_STORE"):
        monkeypatch.delenv(variable, raising=False)
    return Store.init(tmp_path / "store")


@pytest.fixture
def run(store: Store) -> Run:
    def invoke(*args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(cli, ["--store", str(store.root), *args], catch_exceptions=False)
        assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}\n{result.stderr}"
        return result

    return invoke


@pytest.fixture
def targets(run: Run) -> None:
    # A target well placed for La Palma in late November, and one that never rises there.
    run("target", "add", "SN 2026abc", "--ra", "150.1", "--dec", "25.3", "--alias", "ZTF26aaaaaaa")
    run("target", "add", "Southern", "--ra", "83.0", "--dec", "-80.0")


def json_of(result: Result) -> Any:
    return json.loads(result.stdout)


def append_config(store: Store, text: str) -> None:
    with open(store.config_path, "a") as handle:
        handle.write("\n" + text + "\n")


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that keeps every message body it receives."""

    def __init__(self) -> None:
        import socketserver
        import threading

        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost test SMTP\r\n")
                in_data = False
                body: list[bytes] = []
                while line := self.rfile.readline():
                    if in_data:
                        if line == b".\r\n":
                            in_data = False
                            sink.messages.append(b"".join(body))
                            self.wfile.write(b"250 OK\r\n")
                        else:
                            body.append(line)
                        continue
                    command = line[:4].upper()
                    if command in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 localhost\r\n")
                    elif command == b"DATA":
                        in_data, body = True, []
                        self.wfile.write(b"354 end with .\r\n")
                    elif command == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        self.messages: list[bytes] = []
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        address = self.server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="smtp-sink", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_sink() -> Any:
    sink = SmtpSink()
    yield sink
    sink.close()
