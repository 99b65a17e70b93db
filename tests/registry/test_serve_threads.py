"""``python -m registry.serve`` runs threaded gunicorn workers (``WEB_THREADS``).

With synchronous workers a client that is slow to send its request holds a whole worker
process, and every other request waits behind it; under load, every quick page waits
behind every slow one. Threaded workers keep serving.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  (loopback)
        return response.status


def test_a_slow_client_does_not_hold_the_only_worker(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(TEST_SECRETS)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
               JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"), WEB_THREADS="2")  # fmt: skip
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "registry.serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/login"
    try:
        for _ in range(120):  # the server starts
            try:
                assert get(url, timeout=5) == 200
                break
            except OSError:
                time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            time.sleep(0.5)
            # a synchronous worker would be reading the slow request until its 30 s timeout
            assert get(url, timeout=10) == 200
        assert "Using worker: gthread" in (tmp_path / "serve.log").read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
