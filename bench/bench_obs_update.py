"""`tom-tui obs update` with 500 open LCO requests against a local portal on 127.0.0.1.

Target (issue 5): <= 5 s for the whole process. The portal answers every request group with the
real recorded PENDING request group (id substituted) and ``/api/observations/`` with the real
empty page, so each request costs the two calls a pending request really costs. Median of 3
runs; the store is rebuilt before each run so every run polls 500 open requests.

Run: ``.venv/bin/python bench/bench_obs_update.py [--requests 500]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TARGET_S = 5.0
RUNS = 3
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "facilities" / "lco"
GROUP = json.loads((DATA / "skyportal_lco_requestgroup_create_response.json").read_text())
EMPTY = (DATA / "banzai_obs_portal_observations_empty.json").read_bytes()
GROUP_PATH = re.compile(r"^/api/requestgroups/(\d+)/$")


class Portal(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real portal

    def setup(self) -> None:
        super().setup()
        # http.server writes headers and body separately: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every keep-alive response (a server artefact, not tom-tui's).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        match = GROUP_PATH.match(path)
        if match:
            body = json.dumps(dict(GROUP, id=int(match.group(1)))).encode()
        elif path == "/api/observations/":
            body = EMPTY
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def build_store(root: Path, count: int, base_url: str) -> None:
    from tom_tui.domain.clock import now_iso
    from tom_tui.domain.observations import ObservationRecord, StatusChange
    from tom_tui.domain.target import build_target
    from tom_tui.store.observations import ObservationRepository
    from tom_tui.store.store import Store
    from tom_tui.store.targets import TargetRepository

    store = Store.init(root)
    with open(store.config_path, "a") as handle:
        handle.write(f'\n[facilities.lco]\nportal_url = "{base_url}"\narchive_url = "{base_url}/archive"\n')
    stamp = now_iso()
    with store.transaction() as tx:
        targets = TargetRepository(tx)
        target = targets.insert_many([build_target({"name": "bench target", "ra": 123.8, "dec": -5.9})])[0]
        targets.flush()
        repository = ObservationRepository(tx)
        records = [
            ObservationRecord(
                id=repository.new_id(),
                target_id=int(target.id or 0),
                target_name=target.name,
                facility="lco",
                facility_id=str(1_000_000 + number),
                parameters={"proposal": "BENCH", "filters": "gp"},
                status="PENDING",
                submitted=stamp,
                created=stamp,
                modified=stamp,
                history=[StatusChange(stamp, "PENDING", "submitted")],
            )
            for number in range(count)
        ]
        repository.save_many(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    executable = Path(sys.executable).with_name("tom-tui")
    env = dict(os.environ, TOM_TUI_LCO_TOKEN="bench-token")
    times = []
    try:
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as scratch:
                root = Path(scratch) / "store"
                build_store(root, args.requests, base_url)
                start = time.perf_counter()
                result = subprocess.run(
                    [str(executable), "--store", str(root), "obs", "update", "--json"],
                    capture_output=True,
                    check=True,
                    env=env,
                )
                times.append(time.perf_counter() - start)
                summary = json.loads(result.stdout)
                assert summary["polled"] == args.requests and not summary["errors"], summary["errors"][:3]
    finally:
        server.shutdown()
    median = statistics.median(times)
    verdict = "OK" if median <= TARGET_S else "TOO SLOW"
    print(
        f"obs update, {args.requests} open LCO requests, whole process: median {median:.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}) target <= {TARGET_S} s: {verdict}"
    )


if __name__ == "__main__":
    main()
