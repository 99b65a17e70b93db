"""``python -m registry.serve`` as ``make run`` starts it, with real processes.

* Killing the estimation worker used to stop gunicorn too; now the worker is started
  again (after a back-off, logged) while the site keeps answering, and jobs still run.
* gunicorn's control socket used to be ``~/.gunicorn/gunicorn.ctl``, one for every
  instance of the user; now it is ``gunicorn.ctl`` in each instance folder.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_SECRETS
from tests.registry.jobs.conftest import ROOT
from tests.registry.jobs.test_worker_faults import study

pytestmark = [
    pytest.mark.slow,
    pytest.mark.backend_neutral("processes, signals and a socket file: no query decides"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> int | None:
    """The status of ``GET /login``, or ``None`` if nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            return response.status
    except OSError:
        return None


def wait_for(condition: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


class Served:
    """One ``registry.serve`` process: its port, instance folder and log."""

    def __init__(self, app, tmp_path: Path, name: str) -> None:
        self.port = free_port()
        self.instance = tmp_path / name
        self.home = tmp_path / "home"
        self.log_path = tmp_path / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "XDG_RUNTIME_DIR")}
        env.update(TEST_SECRETS, HOME=str(self.home), REGISTRY_INSTANCE_PATH=str(self.instance),
                   DATABASE_URL=app.config["DATABASE_URL"])  # fmt: skip
        for setting in ("JOBS_SQLITE_PATH", "JOB_HEARTBEAT_SECONDS", "JOB_STALE_SECONDS"):
            env[setting] = str(app.config[setting])
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "registry.serve", "--port", str(self.port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert wait_for(lambda: answers(self.port)) == 200, self.output()

    def output(self) -> str:
        return self.log_path.read_text()

    def worker_pid(self) -> int | None:
        """The pid of the running estimation worker (a child process), if any."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split() if children.exists() else []:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if (
                b"registry.jobs.worker" in command
                and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
            ):
                return int(pid)
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def serve(app, tmp_path):
    """``serve(name) -> Served``; every process is stopped at the end."""
    started: list[Served] = []

    def start(name: str = "instance") -> Served:
        started.append(Served(app, tmp_path, name))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def test_a_killed_worker_is_started_again_and_the_site_keeps_serving(api, population, serve):
    served = serve()
    first = wait_for(served.worker_pid)
    job_id = api.post("/api/jobs", json=study()).json["id"]
    assert api.wait(job_id, ("succeeded", "failed"))["state"] == "succeeded"

    os.kill(first, signal.SIGKILL)
    second = wait_for(lambda: served.worker_pid() not in (None, first) and served.worker_pid())
    assert served.process.poll() is None and answers(served.port) == 200, served.output()
    assert second, served.output()
    log = served.output()
    assert f"registry.jobs.worker (pid {first}) exited with status -9" in log
    assert f"registry.jobs.worker started (pid {second})" in log

    later = api.post("/api/jobs", json=study()).json["id"]
    assert api.wait(later, ("succeeded", "failed"))["state"] == "succeeded"


def test_two_instances_keep_their_own_control_socket(app, serve):
    one, two = serve("one"), serve("two")
    for served in (one, two):
        socket_path = served.instance / "gunicorn.ctl"
        assert wait_for(socket_path.exists, 20), served.output()
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
    assert not (one.home / ".gunicorn").exists()

    one.stop()
    assert not (one.instance / "gunicorn.ctl").exists()
    assert (two.instance / "gunicorn.ctl").exists() and answers(two.port) == 200
