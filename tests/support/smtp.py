"""A local SMTP server that keeps what it receives, for tests of e-mailed notices."""

from __future__ import annotations

from typing import Any

import pytest


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
